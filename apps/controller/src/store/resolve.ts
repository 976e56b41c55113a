/**
 * resolveRef finds one row by full id, unique id prefix or name, the way
 * docker resolves container and service references.
 */
export class NotFoundError extends Error {}
export class AmbiguousError extends Error {}
export class ConflictError extends Error {}

export async function resolveRef<T extends { id: string }>(
  kind: string,
  ref: string,
  byId: (id: string) => Promise<T | null>,
  byName: (name: string) => Promise<T | null>,
  byPrefix: (prefix: string) => Promise<T[]>,
): Promise<T> {
  if (!ref || ref.length > 128) throw new NotFoundError(`${kind} "${ref}" not found`);
  const exact = (await byId(ref)) ?? (await byName(ref));
  if (exact) return exact;
  if (/^[a-z0-9]+$/.test(ref)) {
    const hits = await byPrefix(ref);
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new AmbiguousError(`${kind} id prefix "${ref}" is ambiguous (${hits.length} matches)`);
  }
  throw new NotFoundError(`${kind} "${ref}" not found`);
}
