/**
 * Commands at the host's normal priority: the agent's main thread runs
 * raised (raiseMainThread, libs/common), and a child inherits the priority
 * of the thread that starts it, so the spawner process puts all its threads
 * back at nice 0 and the few commands started from the main thread go
 * through atNormal: containers and every other child run as they would
 * without the agent.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** normalPriority puts every thread of the process back at nice 0 (lowering a priority is always allowed). */
export function normalPriority(): void {
  for (const tid of readdirSync('/proc/self/task')) if (getPriority(Number(tid)) < 0) setPriority(Number(tid), 0);
}

/** atNormal prefixes a command started from the calling thread so that it runs at nice 0. */
export function atNormal(cmd: string, args: string[]): [string, string[]] {
  const raised = -getPriority(0);
  return raised > 0 ? ['nice', ['-n', String(raised), cmd, ...args]] : [cmd, args];
}
