/**
 * RequestTextPipe (global, runs before every other pipe): each path
 * parameter and named query value of every route is one string of at most
 * MAX_PARAM_LENGTH (paths) or MAX_QUERY_LENGTH (queries) characters with no
 * NUL, control character or unpaired surrogate. Routes then never hand such
 * a value to the store, where Postgres refused it with a 500.
 */
import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { fieldError } from './validation.js';
import { textProblem } from './text-check.js';

/** MAX_PARAM_LENGTH: the longest path parameter (names are at most 255, repository paths a little more). */
export const MAX_PARAM_LENGTH = 512;
/** MAX_QUERY_LENGTH: the longest query value a route reads by name. */
export const MAX_QUERY_LENGTH = 1024;

@Injectable()
export class RequestTextPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if ((meta.type !== 'param' && meta.type !== 'query') || !meta.data || value === undefined) return value;
    const field = meta.data;
    if (typeof value !== 'string') throw fieldError(field, meta.type === 'query' ? 'must be given once, as a plain value' : 'must be a string');
    const p = textProblem(value, { allowControl: false, maxLength: meta.type === 'param' ? MAX_PARAM_LENGTH : MAX_QUERY_LENGTH });
    if (p) throw fieldError(field, p);
    return value;
  }
}
