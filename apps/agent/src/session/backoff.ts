/** Backoff: reconnect delays from BACKOFF_MIN_MS doubling to BACKOFF_MAX_MS, with ±20% jitter. */
export const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 5_000;

export class Backoff {
  private attempt = 0;

  next(): number {
    const base = Math.min(BACKOFF_MIN_MS * 2 ** this.attempt, BACKOFF_MAX_MS);
    this.attempt++;
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** jittered spreads a period by ±10% so a fleet's heartbeats do not align. */
export function jittered(periodMs: number): number {
  return Math.round(periodMs * (0.9 + Math.random() * 0.2));
}
