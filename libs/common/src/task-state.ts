/**
 * Task states, shared by controller and agent. The numbers are swarmkit's,
 * with gaps, so code can compare states with < and >: everything below
 * ASSIGNED belongs to the controller, everything from ACCEPTED on to the agent,
 * and every state from COMPLETE on is terminal. A task never moves backwards.
 */
export const TaskState = {
  NEW: 0,
  PENDING: 64,
  ASSIGNED: 192,
  ACCEPTED: 256,
  PREPARING: 320,
  READY: 384,
  STARTING: 448,
  RUNNING: 512,
  COMPLETE: 576,
  SHUTDOWN: 640,
  FAILED: 704,
  REJECTED: 768,
  REMOVE: 800,
  ORPHANED: 832,
} as const;

export type TaskStateValue = (typeof TaskState)[keyof typeof TaskState];

const NAMES = new Map<number, string>(Object.entries(TaskState).map(([k, v]) => [v, k.toLowerCase()]));

/** taskStateName returns the lower-case name of a state ("running"), or "unknown(N)". */
export function taskStateName(state: number): string {
  return NAMES.get(state) ?? `unknown(${state})`;
}

/** parseTaskState maps a name ("running") back to its number, or undefined. */
export function parseTaskState(name: string): TaskStateValue | undefined {
  const v = (TaskState as Record<string, number>)[name.toUpperCase()];
  return v === undefined ? undefined : (v as TaskStateValue);
}

/** isTerminal is true for states a task never leaves (complete and after). */
export function isTerminal(state: number): boolean {
  return state >= TaskState.COMPLETE;
}

/** isAgentState is true for states only the agent may set (accepted and after). */
export function isAgentState(state: number): boolean {
  return state >= TaskState.ACCEPTED;
}

export class BackwardsTransitionError extends Error {
  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    super(`task state cannot move backwards from ${taskStateName(from)} to ${taskStateName(to)}`);
  }
}

/**
 * checkTransition throws BackwardsTransitionError when moving from `from` to
 * `to` would go backwards or leave a terminal state; it returns false for a
 * no-op (same state) and true for a real forward move.
 */
export function checkTransition(from: number, to: number): boolean {
  if (to === from) return false;
  if (to < from || isTerminal(from)) throw new BackwardsTransitionError(from, to);
  return true;
}
