/** Query-string helpers: booleans ("true"/"1") and bounded integers, with field-named errors. */
import { FieldValidationError } from './validation.js';

export function boolQuery(v: unknown, field: string): boolean {
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new FieldValidationError([{ field, message: `${field} must be true or false` }]);
}

export function tailQuery(v: unknown): number {
  if (v === undefined || v === '' || v === 'all') return -1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new FieldValidationError([{ field: 'tail', message: 'tail must be a non-negative integer or "all"' }]);
  return n;
}
