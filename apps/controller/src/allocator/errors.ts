/** Errors of the allocator's pure functions. */

/** ExhaustedError: every value of a pool (subnet, VIP pool, VXLAN ids, host ports) is taken; the message names the pool. */
export class ExhaustedError extends Error {
  override readonly name = 'ExhaustedError';
}
