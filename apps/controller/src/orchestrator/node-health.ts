/**
 * nodesToMarkDown: which silent nodes the health check marks down now. A
 * pure rule (Kubernetes' node lifecycle controller has the same two):
 * - when several nodes are silent at once and, with those already down,
 *   more than half of the cluster looks down, none is marked: it is likelier that the control plane is the
 *   one cut off or starved than that most hosts died together, and marking
 *   them would reschedule the whole cluster in a storm;
 * - otherwise at most MARK_DOWN_SHARE of the cluster per check, the longest
 *   silent first, and always at least one, so a single host's loss is
 *   acted on at once.
 */
import type { Silence } from '../store/store.module.js';

/** MARK_DOWN_SHARE: the share of the cluster one health check may mark down (the check runs every second). */
export const MARK_DOWN_SHARE = 0.1;

export interface MarkDownDecision {
  ids: string[];
  /** Why silent nodes were left ready ('' when none were). */
  held: string;
}

export function nodesToMarkDown(s: Silence): MarkDownDecision {
  const n = s.silent.length;
  if (!n) return { ids: [], held: '' };
  if (n > 1 && (n + s.down) * 2 > s.total) {
    return { ids: [], held: `${n} nodes silent at once and ${s.down} down, of ${s.total}: none is marked down while more than half look down` };
  }
  const limit = Math.max(1, Math.ceil(s.total * MARK_DOWN_SHARE));
  const ids = s.silent.slice(0, limit).map((x) => x.id);
  return { ids, held: n > limit ? `${n - limit} more silent node(s) wait for the next check (at most ${limit} marked down per check)` : '' };
}
