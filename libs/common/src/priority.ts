/**
 * raiseMainThread: a daemon's main thread above its host's workloads.
 * Heartbeats, session messages and API requests wait on it, and a loaded
 * host must not starve it into looking dead (the lab saw agents' and
 * controllers' loops held up 4-7 s under load). On Linux a nice value
 * belongs to a thread and is inherited by what the thread makes, so a
 * daemon that starts processes does so from a helper put back at the
 * normal priority (the agent's spawner process).
 */
import { setPriority } from 'node:os';

/** MAIN_THREAD_NICE: the main thread's nice value (-20 highest, 0 normal). */
export const MAIN_THREAD_NICE = -10;

/** raiseMainThread gives the calling (main) thread MAIN_THREAD_NICE; returns why not when it cannot (not root). */
export function raiseMainThread(): string | undefined {
  try {
    setPriority(0, MAIN_THREAD_NICE);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
