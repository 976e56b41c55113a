/**
 * The stores' errors, and resolveRef: one row by full id, name or unique id
 * prefix, in that order, the way docker resolves container and service
 * references. `exact` reads the rows whose id or name is the reference in
 * one query.
 */
export class NotFoundError extends Error {}
export class AmbiguousError extends Error {}
export class ConflictError extends Error {}

/** isUniqueViolation: a unique key taken, as Prisma reports it or as Postgres does to the stores' own SQL (directly or through Prisma's raw queries). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } } | undefined;
  return e?.code === 'P2002' || e?.code === '23505' || (e?.code === 'P2010' && e.meta?.driverAdapterError?.cause?.originalCode === '23505');
}

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
