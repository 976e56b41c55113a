/** ContainerStore: one-off containers (`berth run`) and their single task. */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { lockIn, type AllocateAddresses } from './transactions.js';
import { withVolumes } from './volume.store.js';
import { ConflictError, resolveRef } from './resolve.js';
import type { Container, Task } from './generated/client.js';
import { TaskState, asAttachments, type Attachment, type Mount } from '#libs/common';

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
  'desiredState',
  'state',
  'message',
  'error',
  'exitCode',
  'address',
  'version',
];
const TASK_DATES = ['createdAt', 'updatedAt', 'statusAt'];

/**
 * FIND_SQL: containers with their task and its node's name in one statement
 * (the caller's condition follows WHERE), for lookups and lists. Task columns
 * come prefixed `t_`; Prisma's zoneless UTC times come back as instants.
 * Removal and inspection resolve a container on every request: three
 * queries through Prisma, each waiting its turn for a pooled connection
 * under load. test/integration/store-sql checks it returns what Prisma does.
 */
const FIND_SQL = `
  SELECT c."id", c."name", c."image", c."command", c."env", c."networks", c."mounts", c."autoRemove",
    c."createdAt" AT TIME ZONE 'UTC' AS "createdAt",
    ${TASK_COLUMNS.map((k) => `t."${k}" AS "t_${k}"`).join(', ')},
    ${TASK_DATES.map((k) => `t."${k}" AT TIME ZONE 'UTC' AS "t_${k}"`).join(', ')},
    n."hostname" AS "t_hostname"
  FROM "Container" c LEFT JOIN "Task" t ON t."containerId" = c."id" LEFT JOIN "Node" n ON n."id" = t."nodeId"
  WHERE`;

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

  /** create inserts the container, its NEW task and that task's first event together; returns the rows as inserted (no node yet). */
  async create(
    c: { name: string; image: string; command: string[]; env: string[]; networks: Attachment[]; ports: string[]; mounts: Mount[]; pinnedNode?: string; autoRemove: boolean },
    addresses: AllocateAddresses,
  ): Promise<ContainerWithTask> {
    const id = newId();
    if (!c.name) c = { ...c, name: `c-${id.slice(0, 10)}` };
    const { ports, networks, mounts, pinnedNode, ...row } = c;
    try {
      return await this.db.$transaction(async (tx) => {
        const named = (await withVolumes(tx, [mounts]))[0]!;
        const container = await tx.container.create({ data: { id, ...row, networks: networks as object[], mounts: named as object[] } });
        const task = await tx.task.create({
          data: {
            id: newId(),
            containerId: id,
            image: c.image,
            command: c.command,
            env: c.env,
            networks: (await addresses(tx, [networks]))[0]! as object[],
            ports,
            mounts: named as object[],
            pinnedNode,
            desiredState: TaskState.RUNNING,
            state: TaskState.NEW,
            message: 'created',
          },
        });
        await tx.taskEvent.create({ data: { taskId: task.id, state: TaskState.NEW, message: 'created' }, select: { id: true } });
        return { ...container, task: { ...task, node: null } };
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') throw new ConflictError(`container name "${c.name}" is already in use`);
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

  async remove(id: string): Promise<void> {
    await this.db.container.deleteMany({ where: { id } });
  }
}
