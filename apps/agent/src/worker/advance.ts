/**
 * advance: the pure one-step task state machine of the agent (swarmkit's
 * exec.Do). Given what the task has reached and what the controller wants,
 * it names the single next action. The task manager performs it, reports
 * the new state, and asks again; states only ever move forward.
 */
import { TaskState, isTerminal } from '#libs/common';

export type Action = 'accept' | 'prepare' | 'start' | 'wait' | 'stop' | 'none';

export function advance(state: number, desired: number): Action {
  if (isTerminal(state)) return 'none';
  if (desired >= TaskState.SHUTDOWN) return 'stop';
  if (state < TaskState.ACCEPTED) return 'accept';
  if (state < TaskState.READY) return 'prepare';
  if (state < TaskState.RUNNING) return 'start';
  return 'wait';
}
