/** ContainerStore: one-off containers (`berth run`) and their single task. */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { lockIn, type AllocateAddresses } from './transactions.js';
import { withVolumes } from './volume.store.js';
import { ConflictError, isUniqueViolation, NotFoundError, resolveRef } from './resolve.js';
import type { Container, Task } from './generated/client.js';
import { TaskState, asAttachments, isBuiltinNetwork, type Attachment, type Mount, type RunOptions } from '#libs/common';

/** ContainerWithTask: a container, its task (none once removed from the node) and the name of that task's node. */
export type ContainerWithTask = Container & { task: (Task & { node: { hostname: string } | null }) | null };
const TASK_COLUMNS = [
  'id',
  'serviceId',
  'containerId',
  'slot',
  'nodeId',
  'image',
  'command',
  'env',
  'networks',
  'ports',
  'mounts',
  'pinnedNode',
  'addresses',
  'options',
  'desiredState',
  'state',
  'message',
  'error',
  'exitCode',
  'address',
  'version',
];
const TASK_DATES = ['createdAt', 'updatedAt', 'statusAt'];

/** The columns of a container and its task (prefixed `t_`; Prisma's zoneless UTC times as instants), from `c` and `t`. */
const COLUMNS = `c."id", c."name", c."image", c."command", c."env", c."networks", c."mounts", c."autoRemove", c."options",
    c."createdAt" AT TIME ZONE 'UTC' AS "createdAt",
    ${TASK_COLUMNS.map((k) => `t."${k}" AS "t_${k}"`).join(', ')},
    ${TASK_DATES.map((k) => `t."${k}" AT TIME ZONE 'UTC' AS "t_${k}"`).join(', ')}`;

/**
 * FIND_SQL: containers with their task and its node's name in one statement
 * (the caller's condition follows WHERE), for lookups and lists. Removal and
 * inspection resolve a container on every request: three queries through
 * Prisma, each waiting its turn for a pooled connection under load.
 * test/integration/store-sql checks it returns what Prisma does.
 */
const FIND_SQL = `
  SELECT ${COLUMNS}, n."hostname" AS "t_hostname"
  FROM "Container" c LEFT JOIN "Task" t ON t."containerId" = c."id" LEFT JOIN "Node" n ON n."id" = t."nodeId"
  WHERE`;

/**
 * INSERT_SQL: a container, its NEW task and that task's first event in one
 * statement (atomic without a transaction of its own), returning what
 * FIND_SQL would read back. $1 container id, $2 name, $3 image, $4 command,
 * $5 env, $6 networks, $7 mounts (JSON), $8 autoRemove, $9 task id, $10 the
 * task's addressed networks (JSON), $11 ports, $12 pinned node, $13 desired
 * state, $14 state, $15 run options (JSON). Times are the database's, in UTC
 * as Prisma keeps them.
 */
const INSERT_SQL = `
  WITH c AS (
    INSERT INTO "Container" ("id", "name", "image", "command", "env", "networks", "mounts", "autoRemove", "options", "createdAt")
    VALUES ($1, $2, $3, $4::text[], $5::text[], $6::jsonb, $7::jsonb, $8, $15::jsonb, now() AT TIME ZONE 'UTC')
    RETURNING *
  ), t AS (
    INSERT INTO "Task" ("id", "containerId", "image", "command", "env", "networks", "ports", "mounts", "pinnedNode", "options",
      "desiredState", "state", "message", "createdAt", "updatedAt", "statusAt")
    SELECT $9, c."id", c."image", c."command", c."env", $10::jsonb, $11::text[], c."mounts", $12, c."options",
      $13::int, $14::int, 'created', c."createdAt", c."createdAt", c."createdAt" FROM c
    RETURNING *
  ), e AS (
    INSERT INTO "TaskEvent" ("taskId", "state", "message", "at") SELECT t."id", t."state", t."message", t."createdAt" FROM t
  )
  SELECT ${COLUMNS}, NULL::text AS "t_hostname" FROM c, t`;

/**
 * REMOVE_SQL: the container named by full id or name ($1; an id before a
 * name) as FIND_SQL reads it, deleted unless forced ($2) or its task has
 * ended ($3 and up) or is not wanted running ($4); `removed` says which.
 */
const REMOVE_SQL = `
  WITH target AS (${FIND_SQL} c."id" = $1 OR c."name" = $1 ORDER BY c."id" = $1 DESC LIMIT 1),
  gone AS (
    DELETE FROM "Container" d USING target
    WHERE d."id" = target."id" AND ($2 OR target."t_id" IS NULL OR target."t_state" >= $3 OR target."t_desiredState" <> $4)
    RETURNING d."id"
  )
  SELECT target.*, EXISTS (SELECT 1 FROM gone) AS "removed" FROM target`;

/** withTask rebuilds a FIND_SQL row as Prisma's container-with-task shape. */
function withTask(row: Record<string, unknown>): ContainerWithTask {
  const c: Record<string, unknown> = {};
  const t: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('t_')) t[k.slice(2)] = v;
    else c[k] = v;
  }
  const { hostname, ...task } = t;
  return { ...(c as Container), task: task.id === null ? null : { ...(task as Task), node: hostname === null ? null : { hostname: hostname as string } } };
}

@Injectable()
export class ContainerStore {
  constructor(private readonly db: PrismaService) {}

  /**
   * create inserts the container, its NEW task and that task's first event
   * together (INSERT_SQL); returns the rows as inserted (no node yet). Named
   * volumes and addresses on cluster-scoped networks are taken in a
   * transaction with the insert; a container with neither (the usual
   * `berth run`) is the one statement alone.
   */
  async create(
    c: { name: string; image: string; command: string[]; env: string[]; networks: Attachment[]; ports: string[]; mounts: Mount[]; pinnedNode?: string; autoRemove: boolean; options?: RunOptions },
    addresses: AllocateAddresses,
  ): Promise<ContainerWithTask> {
    const id = newId();
    const name = c.name || `c-${id.slice(0, 10)}`;
    const params = (mounts: Mount[], addressed: Attachment[]) => [
      id,
      name,
      c.image,
      c.command,
      c.env,
      JSON.stringify(c.networks),
      JSON.stringify(mounts),
      c.autoRemove,
      newId(),
      JSON.stringify(addressed),
      c.ports,
      c.pinnedNode ?? null,
      TaskState.RUNNING,
      TaskState.NEW,
      JSON.stringify(c.options ?? {}),
    ];
    try {
      const plain = c.mounts.every((m) => m.type !== 'volume') && c.networks.every((a) => isBuiltinNetwork(a.name));
      const rows = plain
        ? (await this.db.sql.query<Record<string, unknown>>(INSERT_SQL, params(c.mounts, c.networks))).rows
        : await this.db.$transaction(async (tx) => {
            const named = (await withVolumes(tx, [c.mounts]))[0]!;
            const addressed = (await addresses(tx, [c.networks]))[0]!;
            return tx.$queryRawUnsafe<Array<Record<string, unknown>>>(INSERT_SQL, ...params(named, addressed));
          });
      return withTask(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`container name "${name}" is already in use`);
      throw err;
    }
  }

  async get(id: string): Promise<ContainerWithTask | null> {
    const r = await this.db.sql.query<Record<string, unknown>>(`${FIND_SQL} c."id" = $1`, [id]);
    return r.rows.length ? withTask(r.rows[0]) : null;
  }

  resolve(ref: string): Promise<ContainerWithTask> {
    return resolveRef(
      'container',
      ref,
      async (r) => (await this.db.sql.query<Record<string, unknown>>(`${FIND_SQL} c."id" = $1 OR c."name" = $1 LIMIT 2`, [r])).rows.map(withTask),
      async (p) => (await this.db.sql.query<Record<string, unknown>>(`${FIND_SQL} left(c."id", length($1)) = $1 LIMIT 2`, [p])).rows.map(withTask),
    );
  }

  /** list: the newest first; without `all` only those whose task has not ended. */
  async list(all: boolean): Promise<ContainerWithTask[]> {
    const r = await this.db.sql.query<Record<string, unknown>>(`${FIND_SQL} ($1 OR t."state" < $2) ORDER BY c."createdAt" DESC`, [all, TaskState.COMPLETE]);
    return r.rows.map(withTask);
  }

  /**
   * setNetworks changes a container's networks (network connect/disconnect) and its
   * task's, giving a new cluster-scoped attachment its address; `change` sees the
   * current list and returns the new one or throws. Locked per container.
   */
  async setNetworks(id: string, change: (current: Attachment[]) => Attachment[], addresses: AllocateAddresses): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await lockIn(tx, `container:${id}`);
      const c = await tx.container.findUnique({ where: { id }, include: { task: true } });
      if (!c) throw new ConflictError(`container ${id} was removed`);
      const next = change(asAttachments(c.networks)).map((a) => ({ name: a.name, ...(a.aliases?.length ? { aliases: a.aliases } : {}) }));
      await tx.container.update({ where: { id }, data: { networks: next } });
      if (c.task) {
        // Kept attachments keep their address and take the new aliases; new ones get an address.
        const held = new Map(asAttachments(c.task.networks).map((a) => [a.name, a]));
        const [fresh] = await addresses(tx, [next.filter((a) => !held.has(a.name))]);
        const merged = next.map((a) => {
          const h = held.get(a.name);
          return h ? { ...a, ...(h.ip ? { ip: h.ip } : {}) } : fresh!.find((f) => f.name === a.name)!;
        });
        const message = next.length > held.size ? 'connecting to a network' : 'disconnecting from a network';
        await tx.task.update({ where: { id: c.task.id }, data: { networks: merged as object[], message, version: { increment: 1 } } });
      }
    });
  }

  /** rename sets a container's name; a name another container has is a conflict. */
  async rename(id: string, name: string): Promise<ContainerWithTask> {
    try {
      const r = await this.db.sql.query(`UPDATE "Container" SET "name" = $2 WHERE "id" = $1`, [id, name]);
      if (!r.rowCount) throw new NotFoundError(`container "${id}" not found`);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`container name "${name}" is already in use`);
      throw err;
    }
    const c = await this.get(id);
    if (!c) throw new NotFoundError(`container "${id}" not found`);
    return c;
  }

  /**
   * removeUnlessRunning removes a container (its task and events with it)
   * unless its task runs or is wanted running and `force` is off; returns
   * the container as it was and whether it went. One statement (REMOVE_SQL)
   * when `ref` is a full id or a name, the usual case; an id prefix resolves
   * first. Removal is the busiest write after creation: two pooled round
   * trips made it wait twice as long as any other request under load.
   */
  async removeUnlessRunning(ref: string, force: boolean): Promise<{ container: ContainerWithTask; removed: boolean }> {
    const remove = async (r: string) => (await this.db.sql.query<Record<string, unknown>>(REMOVE_SQL, [r, force, TaskState.COMPLETE, TaskState.RUNNING])).rows[0];
    const row = (await remove(ref)) ?? (await remove((await this.resolve(ref)).id));
    if (!row) throw new NotFoundError(`container "${ref}" not found`);
    const { removed, ...rest } = row;
    return { container: withTask(rest), removed: removed === true };
  }
}
