/**
 * schedule: the pure placement function. For each task in order: keep the
 * nodes that pass the pipeline, then spread: fewest tasks of the same
 * service on the node, then fewest tasks overall, then node id so equal
 * inputs always give equal plans. Placements update the counts so a batch
 * spreads as if placed one by one. A port published on any host port gets
 * the node's lowest free one. No IO; unit-tested with plain objects.
 */
import type { NodeInfo, TaskToPlace } from './node-info.js';
import { Pipeline } from './pipeline.js';
import { formatPublish, hostPortKey, parsePublish, pickPort } from '../../../../libs/common/src/index.js';

export interface PlacementMetrics {
  taskId: string;
  nodesEvaluated: number;
  nodesFeasible: number;
}

export interface Plan {
  /** ports: the task's published ports with the host ports picked for it, when it had random ones. */
  placements: Array<{ taskId: string; version: number; nodeId: string; ports?: string[] }>;
  unplaced: Array<{ taskId: string; reason: string }>;
  metrics: PlacementMetrics[];
}

function serviceKey(t: TaskToPlace): string {
  return t.serviceId ?? `container:${t.id}`;
}

export function schedule(nodes: NodeInfo[], tasks: TaskToPlace[], pipeline = new Pipeline()): Plan {
  const plan: Plan = { placements: [], unplaced: [], metrics: [] };
  const view = nodes.map((n) => ({ ...n, tasksByService: new Map(n.tasksByService), usedPorts: new Set(n.usedPorts) }));
  for (const t of tasks) {
    pipeline.setTask(t);
    const feasible = view.filter((n) => pipeline.process(n));
    plan.metrics.push({ taskId: t.id, nodesEvaluated: view.length, nodesFeasible: feasible.length });
    if (!feasible.length) {
      plan.unplaced.push({ taskId: t.id, reason: pipeline.explain(view.length) });
      continue;
    }
    const key = serviceKey(t);
    let best = feasible[0]!;
    for (const n of feasible.slice(1)) {
      const a = n.tasksByService.get(key) ?? 0;
      const b = best.tasksByService.get(key) ?? 0;
      if (a < b || (a === b && (n.activeTasks < best.activeTasks || (n.activeTasks === best.activeTasks && n.id < best.id)))) best = n;
    }
    best.activeTasks++;
    best.tasksByService.set(key, (best.tasksByService.get(key) ?? 0) + 1);
    for (const p of t.ports ?? []) best.usedPorts.add(p);
    const ports = t.published?.map((spec) => {
      const m = parsePublish(spec);
      const hostPort = m.hostPort || pickPort(m.protocol, best.usedPorts);
      if (!hostPort) return spec; // PortsFilter keeps tasks off nodes with no free port
      best.usedPorts.add(hostPortKey({ ...m, hostPort }));
      return formatPublish({ ...m, hostPort });
    });
    plan.placements.push({ taskId: t.id, version: t.version, nodeId: best.id, ...(ports ? { ports } : {}) });
  }
  return plan;
}
