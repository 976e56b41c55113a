/**
 * SchedulerService: loads a snapshot (nodes, active task counts, tasks
 * waiting for a node), runs the pure schedule(), and commits the plan with
 * a version check per task, all under one cluster-wide advisory lock so two
 * replicas never place against the same stale counts. Nodes that got work
 * are notified through the dispatcher's NodeRouter.
 *
 * Passes run only from schedule jobs (scheduler.processor.ts), which the
 * queue coalesces cluster-wide: a burst of `berth run`s is one or two
 * passes, not one transaction per request asleep on the advisory lock.
 */
import { Injectable, Logger } from '@nestjs/common';
import { NodeStore, TaskStore, Transactions, VolumeStore } from '../store/store.module.js';
import { NodeRouter } from '../dispatcher/node-router.js';
import { schedule } from './schedule.js';
import type { NodeInfo } from './node-info.js';
import { asMounts, hostPortKey, parsePublish } from '#libs/common';

/** portKeys turns stored published ports into the scheduler's host-port keys (the fixed ones). */
export function portKeys(ports: string[]): string[] {
  return ports
    .map(parsePublish)
    .filter((m) => m.hostPort)
    .map(hostPortKey);
}

@Injectable()
export class SchedulerService {
  private readonly log = new Logger('scheduler');

  constructor(
    private readonly nodes: NodeStore,
    private readonly tasks: TaskStore,
    private readonly volumes: VolumeStore,
    private readonly router: NodeRouter,
    private readonly tx: Transactions,
  ) {}

  /** scheduleAll places every task waiting for a node (committed before the call); returns how many nodes got work. */
  async scheduleAll(): Promise<number> {
    const nodes = await this.nodes.list();
    const touched = await this.tx.withLock('scheduler', async (tx) => {
      const waiting = await this.tasks.unplaced(tx);
      if (!waiting.length) return [];
      const counts = await this.tasks.activeCounts(tx);
      const infos: NodeInfo[] = nodes.map((n) => ({
        id: n.id,
        hostname: n.hostname,
        status: n.status,
        availability: n.availability,
        activeTasks: 0,
        tasksByService: new Map(),
        usedPorts: new Set<string>(),
        plugins: new Set(((n.volumePlugins ?? []) as Array<{ name: string }>).map((p) => p.name)),
      }));
      const byId = new Map(infos.map((i) => [i.id, i]));
      for (const c of counts) {
        const info = byId.get(c.nodeId);
        if (!info) continue;
        info.activeTasks += c.n;
        if (c.serviceId) info.tasksByService.set(c.serviceId, (info.tasksByService.get(c.serviceId) ?? 0) + c.n);
      }
      for (const u of await this.tasks.publishedPorts(tx)) byId.get(u.nodeId)?.usedPorts!.add(u.port);
      const volumesOf = new Map(
        waiting.map((t) => [
          t.id,
          asMounts(t.mounts)
            .filter((m) => m.type === 'volume')
            .map((m) => m.source),
        ]),
      );
      const used = await this.volumes.byNames([...new Set([...volumesOf.values()].flat())], tx);
      const local = used.filter((v) => v.scope === 'local');
      const volumeNodes = new Map(local.filter((v) => v.nodeId).map((v) => [v.name, v.nodeId!]));
      const localNames = new Set(local.map((v) => v.name));
      const driverOf = new Map(used.filter((v) => v.driver !== 'local').map((v) => [v.name, v.driver]));
      const plan = schedule(
        infos,
        waiting.map((t) => ({
          id: t.id,
          version: t.version,
          serviceId: t.serviceId,
          ports: portKeys(t.ports ?? []),
          ...((t.ports ?? []).some((p) => p.startsWith('0:')) ? { published: t.ports } : {}),
          ...(t.pinnedNode ? { pinnedNode: t.pinnedNode } : {}),
          volumes: volumesOf.get(t.id)!.filter((v) => localNames.has(v)),
          drivers: [...new Set(volumesOf.get(t.id)!.flatMap((v) => (driverOf.has(v) ? [driverOf.get(v)!] : [])))],
        })),
        undefined,
        volumeNodes,
      );
      const reasons = new Map<string, string[]>();
      for (const u of plan.unplaced) reasons.set(u.reason, [...(reasons.get(u.reason) ?? []), u.taskId]);
      for (const [reason, ids] of reasons) await this.tasks.markPending(tx, ids, reason);
      if (plan.unplaced.length) this.log.warn(`${plan.unplaced.length} task(s) pending: ${plan.unplaced[0].reason}`);
      for (const p of plan.placements) if (p.pins) await this.volumes.pin(tx, p.pins, p.nodeId);
      // Last, so the placed tasks' rows stay locked for as short a time as can be.
      return this.tasks.assign(tx, plan.placements);
    });
    if (touched.length) await this.router.notifyNodes(touched);
    return touched.length;
  }
}
