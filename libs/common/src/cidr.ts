/**
 * IPv4 CIDR arithmetic for network settings: parsing with clear errors,
 * containment, overlap, and carving the next free block out of a pool.
 */
export class CidrError extends Error {}

export interface Cidr {
  /** Network address as a 32-bit unsigned number. */
  base: number;
  prefix: number;
  size: number;
}

export function ipToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new CidrError(`"${ip}" is not an IPv4 address`);
  return m.slice(1).reduce((n, o) => n * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(s: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m || Number(m[2]) > 32) throw new CidrError(`"${s}" is not an IPv4 CIDR (like 10.1.2.0/24)`);
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  const ip = ipToInt(m[1]);
  if (ip % size !== 0) throw new CidrError(`"${s}" has host bits set (the network is ${intToIp(ip - (ip % size))}/${prefix})`);
  return { base: ip, prefix, size };
}

/** macFor: the MAC a container has on a cluster-scoped network, from its address (as Docker derives 02:42:…). */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

export function within(inner: Cidr, outer: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** nextFree returns the first block of `prefix` inside `pool` overlapping none of `taken`. */
export function nextFree(pool: Cidr, prefix: number, taken: Cidr[]): Cidr | undefined {
  const size = 2 ** (32 - prefix);
  for (let base = pool.base; base + size <= pool.base + pool.size; base += size) {
    const c = { base, prefix, size };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  return undefined;
}
