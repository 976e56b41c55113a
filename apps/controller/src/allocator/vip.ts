/**
 * vip: services' virtual IPs, one per service in endpoint mode vip, from the
 * cluster's pool (BERTH_VIP_POOL). Pure: given the pool and the VIPs held,
 * the lowest free host address of the pool.
 */
import { intToIp, ipToInt, parseCidr } from '#libs/common';
import { ExhaustedError } from './errors.js';
import { pickAddress } from './ipam.js';

/** pickVip returns the lowest host address of `pool` not in `held`; throws ExhaustedError when the pool is full. */
export function pickVip(pool: string, held: Iterable<string>): string {
  const subnet = parseCidr(pool);
  try {
    return intToIp(pickAddress({ subnet }, new Set([...held].map(ipToInt))));
  } catch (err) {
    if (err instanceof ExhaustedError) throw new ExhaustedError(`the virtual IP pool ${pool} is exhausted`);
    throw err;
  }
}
