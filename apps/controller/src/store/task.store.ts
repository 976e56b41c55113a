/**
 * TaskStore: task rows and their events. Every state change made here
 * records a TaskEvent; agent reports only move tasks forward.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { resolveRef } from './resolve.js';
import { onNetwork } from './network.store.js';
import { withVolumes } from './volume.store.js';
import type { AllocateAddresses, Tx } from './transactions.js';
import type { Prisma, Task } from './generated/client.js';
import { TaskState, VOLUME_NAME, asMounts, hostPortKey, isBuiltinNetwork, isTerminal, networkNames, parsePublish, taskStateName, type Attachment, type Mount } from '#libs/common';

export type { Task };
export type TaskWithNames = Task & { service: { name: string; vip: string | null } | null; container: { name: string } | null; node: { hostname: string } | null };

const WITH_NAMES = { service: { select: { name: true, vip: true } }, container: { select: { name: true } }, node: { select: { hostname: true } } } as const;

/** TaskListRow: what a task list shows (no command or environment), with the names it refers to. */
export type TaskListRow = Omit<Task, 'command' | 'env' | 'pinnedNode' | 'version' | 'options'> & {
  service: { name: string } | null;
  container: { name: string } | null;
  node: { hostname: string } | null;
};

type TaskListSql = Omit<TaskListRow, 'service' | 'container' | 'node'> & { serviceName: string | null; containerName: string | null; hostname: string | null };

/**
 * LIST_SQL ($1 service id or null, $2 node id or null, $3 all, $4 RUNNING).
 * Prisma's DateTime columns hold UTC without a zone: read AT TIME ZONE 'UTC'
 * they come back as instants, whatever the process's time zone.
 */
const LIST_SQL = `
  SELECT t."id", t."serviceId", t."containerId", t."slot", t."nodeId", t."image", t."state", t."desiredState",
    t."message", t."error", t."exitCode", t."address", t."ports", t."networks", t."addresses", t."mounts",
    t."createdAt" AT TIME ZONE 'UTC' AS "createdAt", t."updatedAt" AT TIME ZONE 'UTC' AS "updatedAt",
    t."statusAt" AT TIME ZONE 'UTC' AS "statusAt",
    s."name" AS "serviceName", c."name" AS "containerName", n."hostname"
  FROM "Task" t
  LEFT JOIN "Service" s ON s."id" = t."serviceId"
  LEFT JOIN "Container" c ON c."id" = t."containerId"
  LEFT JOIN "Node" n ON n."id" = t."nodeId"
  WHERE ($1::text IS NULL OR t."serviceId" = $1) AND ($2::text IS NULL OR t."nodeId" = $2) AND ($3 OR t."desiredState" = $4)
  ORDER BY t."slot" ASC, t."createdAt" DESC`;

export interface StatusReport {
  taskId: string;
  state: number;
  message: string;
  error: string;
  exitCode?: number;
  address: string;
  /** network → address, when the agent reported them. */
  addresses?: Record<string, string>;
  /** Anonymous volumes the agent made for the image's VOLUMEs (with READY). */
  imageVolumes?: Array<{ name: string; target: string }>;
  at: Date;
}

export interface NewTask {
  serviceId?: string;
  containerId?: string;
  slot: number;
  image: string;
  command: string[];
  env: string[];
  networks: Attachment[];
  ports: string[];
  mounts: Mount[];
  pinnedNode?: string | null;
}

/** sameEntries: do two string maps (one of them a stored JSON column) hold the same pairs, in any order? */
function sameEntries(a: Record<string, string>, stored: unknown): boolean {
  const b = (stored ?? {}) as Record<string, string>;
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
}

/**
 * recordImageVolumes: the anonymous volumes an agent made for the image's VOLUMEs become
 * volume rows held by its node and mounts of the task (and its container, so `rm -v` finds them).
 */
async function recordImageVolumes(
  tx: Tx,
  nodeId: string,
  made: Array<{ row: { id: string; containerId: string | null; mounts: unknown }; volumes: Array<{ name: string; target: string }> }>,
): Promise<void> {
  for (const { row, volumes } of made) {
    const mounts = asMounts(row.mounts);
    const fresh = volumes.filter((v) => VOLUME_NAME.test(v.name) && v.target.startsWith('/') && !mounts.some((m) => m.target === v.target));
    if (!fresh.length) continue;
    await tx.volume.createMany({ data: fresh.map((v) => ({ name: v.name, nodeId, anonymous: true })), skipDuplicates: true });
    const next = [...mounts, ...fresh.map((v): Mount => ({ type: 'volume', source: v.name, target: v.target }))] as object[];
    await tx.task.update({ where: { id: row.id }, data: { mounts: next } });
    if (row.containerId) await tx.container.update({ where: { id: row.containerId }, data: { mounts: next } });
  }
}

@Injectable()
export class TaskStore {
  constructor(private readonly db: PrismaService) {}

  get(id: string): Promise<TaskWithNames | null> {
    return this.db.task.findUnique({ where: { id }, include: WITH_NAMES });
  }

  resolve(ref: string): Promise<TaskWithNames> {
    return resolveRef(
      'task',
      ref,
      (r) => this.db.task.findMany({ where: { id: r }, include: WITH_NAMES }),
      (p) => this.db.task.findMany({ where: { id: { startsWith: p } }, include: WITH_NAMES, take: 2 }),
    );
  }

  /**
   * list: the tasks users list (all, a service's or a node's; with `all`
   * also those meant to stop), lowest slot first, newest first within one.
   * One SQL statement on the pool: under load this is the API's largest
   * read, and Prisma's relation loads and per-row work cost ten times more.
   */
  async list(f: { serviceId?: string; nodeId?: string; all?: boolean }): Promise<TaskListRow[]> {
    const r = await this.db.sql.query<TaskListSql>(LIST_SQL, [f.serviceId ?? null, f.nodeId ?? null, !!f.all, TaskState.RUNNING]);
    return r.rows.map(({ serviceName, containerName, hostname, ...t }) => ({
      ...t,
      service: serviceName === null ? null : { name: serviceName },
      container: containerName === null ? null : { name: containerName },
      node: hostname === null ? null : { hostname },
    }));
  }

  /** ofService: every task row of a service, read inside the caller's transaction. */
  ofService(tx: Tx, serviceId: string): Promise<Task[]> {
    return tx.task.findMany({ where: { serviceId } });
  }

  /** forNode is a node's assignment set: every task row placed on it. */
  forNode(nodeId: string): Promise<TaskWithNames[]> {
    return this.db.task.findMany({ where: { nodeId }, include: WITH_NAMES, orderBy: { createdAt: 'asc' } });
  }

  /** nodesOf returns the nodes the given tasks are placed on. */
  async nodesOf(where: Prisma.TaskWhereInput): Promise<string[]> {
    const rows = await this.db.task.findMany({ where: { ...where, nodeId: { not: null } }, select: { nodeId: true }, distinct: ['nodeId'] });
    return rows.map((r) => r.nodeId!);
  }

  /** nodesOnNetworks: the nodes with live tasks on any of these user-defined networks (built-in ones are left out). */
  async nodesOnNetworks(names: string[]): Promise<string[]> {
    const user = [...new Set(names)].filter((n) => !isBuiltinNetwork(n));
    return user.length ? this.nodesOf({ OR: user.map((n) => ({ networks: onNetwork(n) })), state: { lt: TaskState.COMPLETE } }) : [];
  }

  /**
   * peersOf: the nodes with live tasks on the user-defined networks these tasks are on,
   * besides the tasks' own: those whose peer tables and names change with them.
   */
  async peersOf(where: Prisma.TaskWhereInput): Promise<string[]> {
    return this.peersOfRows(await this.db.task.findMany({ where, select: { networks: true, nodeId: true } }));
  }

  /** peersOfRows: peersOf for task rows the caller has read already. */
  async peersOfRows(rows: Array<Pick<Task, 'networks' | 'nodeId'>>): Promise<string[]> {
    const own = rows.flatMap((r) => (r.nodeId ? [r.nodeId] : []));
    return [...new Set([...own, ...(await this.nodesOnNetworks(rows.flatMap((r) => networkNames(r.networks))))])];
  }

  /** createMany inserts new tasks and their NEW events in two statements; returns their ids. */
  async createMany(tx: Tx, tasks: NewTask[], addresses: AllocateAddresses, message = 'created'): Promise<string[]> {
    if (!tasks.length) return [];
    const addressed = await addresses(
      tx,
      tasks.map((t) => t.networks),
    );
    const mounted = await withVolumes(
      tx,
      tasks.map((t) => t.mounts),
    );
    const rows = tasks.map((t, i) => ({ id: newId(), ...t, networks: addressed[i]! as object[], mounts: mounted[i]! as object[], desiredState: TaskState.RUNNING, state: TaskState.NEW, message }));
    await tx.task.createMany({ data: rows });
    await tx.taskEvent.createMany({ data: rows.map((r) => ({ taskId: r.id, state: TaskState.NEW, message })) });
    return rows.map((r) => r.id);
  }

  /** setDesired changes desired state (shutdown/remove) without touching observed state. */
  async setDesired(ids: string[], desired: number, message: string, tx: Tx | PrismaService = this.db): Promise<void> {
    if (!ids.length) return;
    await tx.task.updateMany({ where: { id: { in: ids }, desiredState: { lt: desired } }, data: { desiredState: desired, message, version: { increment: 1 } } });
  }

  async delete(tx: Tx | PrismaService, ids: string[]): Promise<void> {
    if (ids.length) await tx.task.deleteMany({ where: { id: { in: ids } } });
  }

  /** publishedPorts lists the host ports ("tcp/8080") held by placed, non-terminal tasks, per node. */
  async publishedPorts(tx: Tx): Promise<Array<{ nodeId: string; port: string }>> {
    const rows = await tx.task.findMany({ where: { nodeId: { not: null }, state: { lt: TaskState.COMPLETE }, ports: { isEmpty: false } }, select: { nodeId: true, ports: true } });
    return rows.flatMap((r) =>
      (r.ports ?? [])
        .map(parsePublish)
        .filter((m) => m.hostPort)
        .map((m) => ({ nodeId: r.nodeId!, port: hostPortKey(m) })),
    );
  }

  /** unplaced lists tasks waiting for a node. */
  unplaced(tx: Tx): Promise<Task[]> {
    return tx.task.findMany({ where: { nodeId: null, state: { lt: TaskState.ASSIGNED }, desiredState: TaskState.RUNNING }, orderBy: [{ createdAt: 'asc' }, { slot: 'asc' }] });
  }

  /** activeByNode counts non-terminal tasks per node and per (node, service). */
  async activeCounts(tx: Tx): Promise<Array<{ nodeId: string; serviceId: string | null; n: number }>> {
    const rows = await tx.task.groupBy({ by: ['nodeId', 'serviceId'], where: { nodeId: { not: null }, state: { lt: TaskState.COMPLETE }, desiredState: TaskState.RUNNING }, _count: { _all: true } });
    return rows.map((r) => ({ nodeId: r.nodeId!, serviceId: r.serviceId, n: r._count._all }));
  }

  /**
   * assign commits a pass's placements in one statement, with their
   * ASSIGNED events. The re-check is that each task is still unplaced, still
   * wanted and still at the version the plan read; tasks that changed
   * meanwhile are left for the next pass. One statement because its row
   * locks last until the pass commits: a container removed meanwhile waits
   * on them, and per-node round trips on a busy controller made that wait
   * long. Returns the nodes that got tasks.
   */
  async assign(tx: Tx, placements: Array<{ taskId: string; version: number; nodeId: string; ports?: string[] }>): Promise<string[]> {
    if (!placements.length) return [];
    const done = await tx.$queryRaw<Array<{ id: string; nodeId: string }>>`
      WITH want AS (
        SELECT * FROM unnest(${placements.map((p) => p.taskId)}::text[], ${placements.map((p) => p.version)}::int[], ${placements.map((p) => p.nodeId)}::text[]) AS w(id, version, node)
      ), done AS (
        UPDATE "Task" AS t SET "nodeId" = w.node, "state" = ${TaskState.ASSIGNED}::int, "message" = 'assigned',
          "statusAt" = now() AT TIME ZONE 'UTC', "version" = t."version" + 1, "updatedAt" = now() AT TIME ZONE 'UTC'
        FROM want w
        WHERE t."id" = w.id AND t."version" = w.version AND t."nodeId" IS NULL AND t."desiredState" = ${TaskState.RUNNING}::int AND t."state" < ${TaskState.ASSIGNED}::int
        RETURNING t."id", t."nodeId"
      ), events AS (
        INSERT INTO "TaskEvent" ("taskId", "state", "message", "at")
        SELECT "id", ${TaskState.ASSIGNED}::int, 'assigned to node ' || "nodeId", now() AT TIME ZONE 'UTC' FROM done
      )
      SELECT "id", "nodeId" FROM done`;
    // Ports published on any host port get the ones the plan picked on their node (few tasks publish such ports).
    const assigned = new Set(done.map((d) => d.id));
    for (const p of placements) if (p.ports && assigned.has(p.taskId)) await tx.task.update({ where: { id: p.taskId }, data: { ports: p.ports } });
    return [...new Set(done.map((d) => d.nodeId))];
  }

  async markPending(tx: Tx, ids: string[], message: string): Promise<void> {
    if (!ids.length) return;
    const fresh = await tx.task.findMany({ where: { id: { in: ids }, state: TaskState.NEW }, select: { id: true } });
    await tx.task.updateMany({ where: { id: { in: ids }, state: { lte: TaskState.PENDING } }, data: { state: TaskState.PENDING, message } });
    if (fresh.length) await tx.taskEvent.createMany({ data: fresh.map((t) => ({ taskId: t.id, state: TaskState.PENDING, message })) });
  }

  /**
   * applyReports applies an agent's status reports for tasks on `nodeId`:
   * forward moves only, stale or foreign reports ignored. Returns the
   * services whose tasks reached a terminal state.
   */
  async applyReports(nodeId: string, reports: StatusReport[]): Promise<{ terminalServices: string[]; changed: number; networks: string[] }> {
    if (!reports.length) return { terminalServices: [], changed: 0, networks: [] };
    return this.db.$transaction(async (tx) => {
      const rows = await tx.task.findMany({
        where: { id: { in: reports.map((r) => r.taskId) }, nodeId },
        select: { id: true, state: true, serviceId: true, containerId: true, networks: true, addresses: true, message: true, mounts: true },
      });
      const byId = new Map(rows.map((r) => [r.id, r]));
      const events: Prisma.TaskEventCreateManyInput[] = [];
      // Every forward step becomes an event; each task's row is written once, with its last step.
      const last = new Map<string, StatusReport>();
      // A running task connected to or disconnected from a network reports RUNNING again with its addresses.
      const moved = new Map<string, { addresses: Record<string, string>; message: string }>();
      for (const r of reports) {
        const row = byId.get(r.taskId);
        if (row && r.state === TaskState.RUNNING && row.state === TaskState.RUNNING && r.addresses && (!sameEntries(r.addresses, row.addresses) || r.message !== row.message))
          moved.set(r.taskId, { addresses: r.addresses, message: r.message });
        if (!row || r.state <= row.state || isTerminal(row.state) || r.state < TaskState.ACCEPTED) continue;
        const message = r.message || taskStateName(r.state);
        events.push({ taskId: r.taskId, state: r.state, message: r.error ? `${message}: ${r.error}` : message, at: r.at });
        const prev = last.get(r.taskId);
        last.set(r.taskId, { ...r, message, exitCode: r.exitCode ?? prev?.exitCode, address: r.address || prev?.address || '', addresses: r.addresses ?? prev?.addresses });
        row.state = r.state;
      }
      const updates = [...last.values()];
      // One statement for the whole batch: per-row updates cost a round trip each. The
      // forward-only rule is in the statement too, so a report read against an older row
      // (another session of the node, still open on another replica) cannot move a task back.
      let applied = new Set<string>();
      if (updates.length) {
        const done = await tx.$queryRaw<Array<{ id: string }>>`
          UPDATE "Task" AS t SET
            "state" = v.state, "message" = v.message, "error" = v.error,
            "exitCode" = COALESCE(v.exit_code, t."exitCode"),
            "address" = CASE WHEN v.address <> '' THEN v.address ELSE t."address" END,
            "addresses" = COALESCE(v.addresses, t."addresses"),
            "statusAt" = v.at, "version" = t."version" + 1, "updatedAt" = now() AT TIME ZONE 'UTC'
          FROM unnest(${updates.map((r) => r.taskId)}::text[], ${updates.map((r) => r.state)}::int[], ${updates.map((r) => r.message)}::text[],
                      ${updates.map((r) => r.error)}::text[], ${updates.map((r) => r.exitCode ?? null)}::int[], ${updates.map((r) => r.address)}::text[],
                      ${updates.map((r) => (r.addresses ? JSON.stringify(r.addresses) : null))}::jsonb[], ${updates.map((r) => r.at.toISOString())}::timestamp(3)[])
            AS v(id, state, message, error, exit_code, address, addresses, at)
          WHERE t."id" = v.id AND t."nodeId" = ${nodeId} AND t."state" < v.state AND t."state" < ${TaskState.COMPLETE}
          RETURNING t."id"`;
        applied = new Set(done.map((r) => r.id));
      }
      for (const id of last.keys()) if (!applied.has(id)) last.delete(id);
      for (const [id, m] of moved) {
        if (!last.has(id)) await tx.task.updateMany({ where: { id, nodeId, state: TaskState.RUNNING }, data: m });
      }
      const recorded = events.filter((e) => applied.has(e.taskId));
      const changed = recorded.length;
      if (recorded.length) await tx.taskEvent.createMany({ data: recorded });
      await recordImageVolumes(
        tx,
        nodeId,
        reports.flatMap((r) => (r.imageVolumes?.length && byId.has(r.taskId) ? [{ row: byId.get(r.taskId)!, volumes: r.imageVolumes }] : [])),
      );
      const terminal = new Set(rows.filter((r) => last.has(r.id) && isTerminal(last.get(r.id)!.state) && r.serviceId).map((r) => r.serviceId!));
      const networks = [...new Set(rows.filter((r) => last.has(r.id) || moved.has(r.id)).flatMap((r) => networkNames(r.networks)))];
      return { terminalServices: [...terminal], changed, networks };
    });
  }
}
