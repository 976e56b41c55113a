/**
 * Request bodies: the JSON and form parsers with a size limit, and a check
 * of every parsed body before any route sees it: bounded depth and value
 * count (deep nesting overflowed the DTO transformer's recursion), and no
 * string or key that Postgres cannot store (NUL, unpaired UTF-16
 * surrogates). A rejected body is a 400 naming the offending field.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { fieldError } from './validation.js';
import { textProblem } from './text-check.js';

/** BODY_LIMIT: the largest body the API parses; the biggest real body (a service spec) is a few KiB. */
export const BODY_LIMIT = '1mb';
/** MAX_BODY_DEPTH: the deepest nesting of objects and arrays accepted; DTOs nest three levels. */
export const MAX_BODY_DEPTH = 32;
/** MAX_BODY_VALUES: how many values (objects, arrays, scalars) one body may hold. */
export const MAX_BODY_VALUES = 10_000;

/** MAX_PATH_SHOWN: a field path in an error stops growing past this many characters. */
const MAX_PATH_SHOWN = 120;

/** bodyProblem walks a parsed body without recursion and returns the first problem as [field, reason]. */
export function bodyProblem(body: unknown): [string, string] | undefined {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: body, path: 'body', depth: 0 }];
  let count = 0;
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (++count > MAX_BODY_VALUES) return ['body', `holds more than ${MAX_BODY_VALUES} values`];
    if (typeof v === 'string') {
      const p = textProblem(v, { allowControl: true });
      if (p) return [path, p];
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return [path, `nests deeper than ${MAX_BODY_DEPTH} levels`];
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push({ v: x, path: path.length > MAX_PATH_SHOWN ? path : `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      const keyPath = path.length > MAX_PATH_SHOWN ? path : `${path}.${k.length > 64 ? `${k.slice(0, 64)}…` : k}`;
      const p = textProblem(k, { allowControl: false });
      if (p) return [keyPath, `has a key that ${p}`];
      stack.push({ v: x, path: keyPath, depth: depth + 1 });
    }
  }
  return undefined;
}

function checkBody(req: Request, _res: Response, next: NextFunction): void {
  const p = bodyProblem(req.body);
  // Fields are named without the leading "body." so they match the DTO validation's names.
  if (p) next(fieldError(p[0] === 'body' ? 'body' : p[0].replace(/^body\./, ''), p[1]));
  else next();
}

/** useBodyParsing installs the parsers and the check; the app is created with bodyParser: false. */
export function useBodyParsing(app: { use(...handlers: unknown[]): unknown }): void {
  app.use(express.json({ limit: BODY_LIMIT, strict: true }));
  // Forms are flat (the registry token endpoint's OAuth2 grant): no nested keys.
  app.use(express.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 100 }));
  app.use(checkBody);
}
