/**
 * resolveRef finds one row by full id, name or unique id prefix, in that
 * order, the way docker resolves container and service references. `exact`
 * reads the rows whose id or name is the reference in one query.
 */
export class NotFoundError extends Error {}
export class AmbiguousError extends Error {}
export class ConflictError extends Error {}

export async function resolveRef<T extends { id: string }>(kind: string, ref: string, exact: (ref: string) => Promise<T[]>, byPrefix: (prefix: string) => Promise<T[]>): Promise<T> {
  if (!ref || ref.length > 128) throw new NotFoundError(`${kind} "${ref}" not found`);
  const rows = await exact(ref);
  const hit = rows.find((r) => r.id === ref) ?? rows[0];
  if (hit) return hit;
  if (/^[a-z0-9]+$/.test(ref)) {
    const hits = await byPrefix(ref);
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new AmbiguousError(`${kind} id prefix "${ref}" is ambiguous (${hits.length} matches)`);
  }
  throw new NotFoundError(`${kind} "${ref}" not found`);
}
