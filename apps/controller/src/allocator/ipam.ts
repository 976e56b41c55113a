/**
 * ipam: task addresses on the networks the controller addresses (macvlan and
 * overlay). Pure: given the pool and the addresses taken, the pick. The
 * lowest free address comes first, so a freed one is reused before a higher
 * one and equal inputs give equal picks.
 */
import { formatCidr, ipToInt, parseCidr, type Cidr } from '#libs/common';
import { ExhaustedError } from './errors.js';

/** AddressPool: where a network's task addresses come from. */
export interface AddressPool {
  subnet: Cidr;
  /** Never given to a task. */
  gateway?: number;
  /** When set, addresses come from this part of the subnet only (network create checks it lies inside). */
  range?: Cidr;
}

/** addressPool reads a stored network's addressing; gateway and ipRange may be "". */
export function addressPool(subnet: string, gateway = '', ipRange = ''): AddressPool {
  return { subnet: parseCidr(subnet), ...(gateway ? { gateway: ipToInt(gateway) } : {}), ...(ipRange ? { range: parseCidr(ipRange) } : {}) };
}

/**
 * pickAddress returns the lowest address of the pool that is a host address
 * of the subnet (neither its network nor its broadcast address), not the
 * gateway, inside the range when there is one, and not in `taken`. Throws
 * ExhaustedError when there is none.
 */
export function pickAddress(pool: AddressPool, taken: ReadonlySet<number>): number {
  const { subnet, gateway, range } = pool;
  const from = Math.max(subnet.base + 1, range?.base ?? 0);
  const to = Math.min(subnet.base + subnet.size - 2, range ? range.base + range.size - 1 : Infinity);
  for (let ip = from; ip <= to; ip++) if (ip !== gateway && !taken.has(ip)) return ip;
  throw new ExhaustedError(`no free address in ${formatCidr(subnet)}${range ? ` (range ${formatCidr(range)})` : ''}`);
}
