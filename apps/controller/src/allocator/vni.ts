/**
 * vni: overlay networks' VXLAN ids. Pure: given the ids held, the next one.
 * Ids go up from the highest held, so a deleted overlay's id is not handed
 * to a new one while hosts may still hold its VXLAN device; only once the
 * top of the 24-bit space is reached are freed ids reused, lowest first.
 */
import { ExhaustedError } from './errors.js';

/** FIRST_VNI: overlay VXLAN ids start here (low ids are left to other users of VXLAN). */
export const FIRST_VNI = 4096;

/** LAST_VNI: the highest VXLAN id (24 bits). */
export const LAST_VNI = 2 ** 24 - 1;

/** pickVni returns the id after the highest held one (FIRST_VNI when none is), else the lowest free one; throws ExhaustedError when all are held. */
export function pickVni(held: Iterable<number>): number {
  const taken = new Set([...held].filter((v) => v >= FIRST_VNI && v <= LAST_VNI));
  let top = FIRST_VNI - 1;
  for (const v of taken) if (v > top) top = v;
  if (top < LAST_VNI) return top + 1;
  for (let v = FIRST_VNI; v <= LAST_VNI; v++) if (!taken.has(v)) return v;
  throw new ExhaustedError(`every VXLAN id from ${FIRST_VNI} to ${LAST_VNI} is held by an overlay network`);
}
