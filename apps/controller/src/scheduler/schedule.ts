/**
 * schedule: the pure placement function. For each task in order: keep the
 * nodes that pass the pipeline, then spread: fewest tasks of the same
 * service on the node, then fewest tasks overall, then node id so equal
 * inputs always give equal plans. Placements update the counts so a batch
 * spreads as if placed one by one. A port published on any host port gets
 * the node's lowest free one (the allocator's pickPort). No IO, and the
 * arguments are left as they were: the counts are updated on copies, and
 * what the caller must store comes back in the plan (placements with their
 * picked ports and the volumes they pin). Unit-tested with plain objects.
 */
import type { NodeInfo, TaskToPlace } from './node-info.js';
import { Pipeline } from './pipeline.js';
import { formatPublish, hostPortKey, parsePublish } from '#libs/common';
import { hasFreePort, pickPort } from '../allocator/ports.js';

export interface PlacementMetrics {
  taskId: string;
  nodesEvaluated: number;
  nodesFeasible: number;
}

export interface Plan {
  /** ports: the task's published ports with the host ports picked for it, when it had random ones; pins: volumes now held by the node. */
  placements: Array<{ taskId: string; version: number; nodeId: string; ports?: string[]; pins?: string[] }>;
  unplaced: Array<{ taskId: string; reason: string }>;
  metrics: PlacementMetrics[];
}

function serviceKey(t: TaskToPlace): string {
  return t.serviceId ?? `container:${t.id}`;
}

/**
 * schedule places `tasks`; volumeNodes says which node holds each local volume.
 * A volume's first task pins it where it goes (placement.pins), and the
 * volume's later tasks in the same batch follow it there.
 */
export function schedule(nodes: NodeInfo[], tasks: TaskToPlace[], pipeline = new Pipeline(), held: ReadonlyMap<string, string> = new Map()): Plan {
  const plan: Plan = { placements: [], unplaced: [], metrics: [] };
  const view = nodes.map((n) => ({ ...n, tasksByService: new Map(n.tasksByService), usedPorts: new Set(n.usedPorts) }));
  const volumeNodes = new Map(held);
  const hostname = (id: string) => view.find((n) => n.id === id)?.hostname ?? id;
  for (const task of tasks) {
    const pinned = (task.volumes ?? []).filter((v) => volumeNodes.has(v));
    const holders = new Set([...(task.pinnedNode ? [task.pinnedNode] : []), ...pinned.map((v) => volumeNodes.get(v)!)]);
    if (holders.size > 1) {
      plan.unplaced.push({ taskId: task.id, reason: `its volumes and --volumes-from are on different nodes (${[...holders].map(hostname).join(', ')})` });
      continue;
    }
    const [required] = holders;
    const t: TaskToPlace = required
      ? { ...task, requiredNode: required, requiredWhy: pinned.length ? `volume ${pinned[0]} (${hostname(required)})` : `its --volumes-from container (${hostname(required)})` }
      : task;
    pipeline.setTask(t);
    const feasible = view.filter((n) => pipeline.process(n));
    plan.metrics.push({ taskId: t.id, nodesEvaluated: view.length, nodesFeasible: feasible.length });
    if (!feasible.length) {
      plan.unplaced.push({ taskId: t.id, reason: pipeline.explain(view.length) });
      continue;
    }
    const key = serviceKey(t);
    let best = feasible[0];
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
      const hostPort = m.hostPort || (hasFreePort(m.protocol, best.usedPorts) ? pickPort(m.protocol, best.usedPorts) : 0);
      if (!hostPort) return spec; // PortsFilter keeps tasks off nodes with no free port
      best.usedPorts.add(hostPortKey({ ...m, hostPort }));
      return formatPublish({ ...m, hostPort });
    });
    const pins = (t.volumes ?? []).filter((v) => !volumeNodes.has(v));
    for (const v of pins) volumeNodes.set(v, best.id);
    plan.placements.push({ taskId: t.id, version: t.version, nodeId: best.id, ...(ports ? { ports } : {}), ...(pins.length ? { pins } : {}) });
  }
  return plan;
}
