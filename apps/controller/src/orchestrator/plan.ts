/**
 * planService: the replicated orchestrator's decision for one service, as a
 * pure function (swarmkit's replicated orchestrator + restart supervisor +
 * task reaper in one pass over the service's tasks).
 *
 * - Slots 1..replicas each want one live task: desired running, not
 *   terminal, not on a down node. Extra live tasks in a slot, live tasks in
 *   slots above replicas and live tasks on down nodes get desired shutdown.
 * - An empty slot gets a new task, unless its last tasks failed: then the
 *   restart waits RESTART_BASE_MS doubling per consecutive failure up to
 *   RESTART_MAX_MS, so a missing image cannot cause a retry storm.
 * - History: each slot keeps its KEEP_HISTORY newest terminal tasks; older
 *   ones, and terminal tasks of slots above replicas, are deleted.
 */
import { TaskState, isTerminal } from '#libs/common';

/** RESTART_BASE_MS / RESTART_MAX_MS: restart backoff after consecutive failures. */
export const RESTART_BASE_MS = 200;
export const RESTART_MAX_MS = 10_000;
/** KEEP_HISTORY: terminal tasks kept per slot for `service ps -a`. */
export const KEEP_HISTORY = 5;

export interface SlotTask {
  id: string;
  slot: number;
  desiredState: number;
  state: number;
  nodeDown: boolean;
  createdAt: number;
  statusAt: number;
}

export interface ServicePlan {
  create: number[];
  shutdown: Array<{ id: string; message: string }>;
  remove: string[];
  /** Set when a slot waits for its restart backoff: reconcile again after this. */
  retryInMs?: number;
}

export function restartDelayMs(consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return 0;
  return Math.min(RESTART_BASE_MS * 2 ** (consecutiveFailures - 1), RESTART_MAX_MS);
}

const isFailure = (s: number) => s === TaskState.FAILED || s === TaskState.REJECTED;

export function planService(replicas: number, tasks: SlotTask[], now: number): ServicePlan {
  const plan: ServicePlan = { create: [], shutdown: [], remove: [] };
  const bySlot = new Map<number, SlotTask[]>();
  for (const t of tasks) bySlot.set(t.slot, [...(bySlot.get(t.slot) ?? []), t]);
  const slots = new Set<number>([...bySlot.keys(), ...Array.from({ length: replicas }, (_, i) => i + 1)]);
  for (const slot of [...slots].sort((a, b) => a - b)) {
    const history = (bySlot.get(slot) ?? []).sort((a, b) => b.createdAt - a.createdAt);
    const wanted = slot >= 1 && slot <= replicas;
    const live: SlotTask[] = [];
    for (const t of history) {
      if (t.desiredState !== TaskState.RUNNING) continue;
      if (isTerminal(t.state)) plan.shutdown.push({ id: t.id, message: 'replaced' });
      else if (t.nodeDown) plan.shutdown.push({ id: t.id, message: 'node down' });
      else if (!wanted) plan.shutdown.push({ id: t.id, message: 'scaled down' });
      else live.push(t);
    }
    for (const extra of live.slice(1)) plan.shutdown.push({ id: extra.id, message: 'duplicate in slot' });
    const terminal = history.filter((t) => isTerminal(t.state));
    plan.remove.push(...(wanted ? terminal.slice(KEEP_HISTORY) : terminal).map((t) => t.id));
    if (!wanted || live.length) continue;
    let failures = 0;
    for (const t of terminal) {
      if (!isFailure(t.state)) break;
      failures++;
    }
    const wait = failures ? terminal[0].statusAt + restartDelayMs(failures) - now : 0;
    if (wait > 0) plan.retryInMs = Math.min(plan.retryInMs ?? Infinity, wait);
    else plan.create.push(slot);
  }
  return plan;
}
