/**
 * The agent's main thread runs above its workloads: heartbeats, status
 * reports and every message wait on it, and a loaded host must not starve
 * it into looking dead (the lab saw its loop held up 4-7 s under load,
 * long enough to be marked down). On Linux a nice value belongs to a
 * thread, so only the main thread is raised; commands are started from
 * threads at the host's normal priority (the spawner thread resets its own,
 * and the few commands started from the main thread go through atNormal),
 * so containers and every other child run as they would without the agent.
 */
import { getPriority, setPriority } from 'node:os';

/** MAIN_THREAD_NICE: the main thread's nice value (-20 highest, 0 normal). */
export const MAIN_THREAD_NICE = -10;

/** raiseMainThread gives the calling (main) thread MAIN_THREAD_NICE; returns why not when it cannot. */
export function raiseMainThread(): string | undefined {
  try {
    setPriority(0, MAIN_THREAD_NICE);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** normalPriority puts the calling thread back at nice 0 (lowering a priority is always allowed). */
export function normalPriority(): void {
  if (getPriority(0) < 0) setPriority(0, 0);
}

/** atNormal prefixes a command started from the calling thread so that it runs at nice 0. */
export function atNormal(cmd: string, args: string[]): [string, string[]] {
  const raised = -getPriority(0);
  return raised > 0 ? ['nice', ['-n', String(raised), cmd, ...args]] : [cmd, args];
}
