/** ServiceStore: replicated services as rows. */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { ConflictError, isUniqueViolation, NotFoundError, resolveRef } from './resolve.js';
import type { Service } from './generated/client.js';
import type { AllocateVip, Tx } from './transactions.js';
import { TaskState, type Attachment, type Mount } from '#libs/common';

export type { Service };
export type ServiceWithCounts = Service & { running: number };

/**
 * The services as Prisma returns them (test/integration/store-sql checks it), each with
 * `running`, its tasks running and meant to ($1 is RUNNING), in one statement: the list is
 * the API's second largest read, and a scale answers with the count.
 */
const WITH_RUNNING = `s."id", s."name", s."image", s."command", s."env", s."networks", s."ports", s."mounts", s."endpointMode", s."vip",
  s."replicas", s."version", s."createdAt" AT TIME ZONE 'UTC' AS "createdAt", s."updatedAt" AT TIME ZONE 'UTC' AS "updatedAt",
  (SELECT count(*)::int FROM "Task" t WHERE t."serviceId" = s."id" AND t."state" = $1 AND t."desiredState" = $1) AS "running"`;
const LIST_SQL = `SELECT ${WITH_RUNNING} FROM "Service" s ORDER BY s."name" ASC`;
/**
 * SCALE_SQL ($2 a full id or a name, $3 replicas): the service named by its id before
 * one named by its name, as resolveRef picks; the count is of the tasks before the
 * orchestrator acts on the new number.
 */
const SCALE_SQL = `UPDATE "Service" s SET "replicas" = $3, "version" = s."version" + 1, "updatedAt" = now() AT TIME ZONE 'UTC'
  WHERE s."id" = (SELECT x."id" FROM "Service" x WHERE x."id" = $2 OR x."name" = $2 ORDER BY x."id" = $2 DESC LIMIT 1)
  RETURNING ${WITH_RUNNING}`;

@Injectable()
export class ServiceStore {
  constructor(private readonly db: PrismaService) {}

  /** create inserts a service; with `vip` it gets a virtual IP allocated in the same transaction. */
  async create(
    s: { name: string; image: string; replicas: number; command: string[]; env: string[]; networks: Attachment[]; ports: string[]; mounts: Mount[]; endpointMode: string },
    vip?: AllocateVip,
  ): Promise<Service> {
    try {
      return await this.db.$transaction(async (tx) => {
        const address = vip ? await vip(tx) : null;
        return tx.service.create({ data: { id: newId(), ...s, networks: s.networks as object[], mounts: s.mounts as object[], vip: address } });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`service name "${s.name}" is already in use`);
      throw err;
    }
  }

  get(id: string, tx: Tx | PrismaService = this.db): Promise<Service | null> {
    return tx.service.findUnique({ where: { id } });
  }

  resolve(ref: string): Promise<Service> {
    return resolveRef(
      'service',
      ref,
      (r) => this.db.service.findMany({ where: { OR: [{ id: r }, { name: r }] }, take: 2 }),
      (p) => this.db.service.findMany({ where: { id: { startsWith: p } }, take: 2 }),
    );
  }

  async list(): Promise<ServiceWithCounts[]> {
    return (await this.db.sql.query<ServiceWithCounts>(LIST_SQL, [TaskState.RUNNING])).rows;
  }

  /** withRunning: the service with this id and its running count (NotFoundError once removed). */
  async withRunning(id: string): Promise<ServiceWithCounts> {
    const r = await this.db.sql.query<ServiceWithCounts>(`SELECT ${WITH_RUNNING} FROM "Service" s WHERE s."id" = $2`, [TaskState.RUNNING, id]);
    if (!r.rows.length) throw new NotFoundError(`service ${id} not found`);
    return r.rows[0];
  }

  /**
   * scale sets the replica count of the service `ref` names (as resolve reads it) and
   * returns it with `running`: one statement for a full id or a name, the usual case.
   */
  async scale(ref: string, replicas: number): Promise<ServiceWithCounts> {
    const named = await this.db.sql.query<ServiceWithCounts>(SCALE_SQL, [TaskState.RUNNING, ref, replicas]);
    if (named.rows.length) return named.rows[0];
    const { id } = await this.resolve(ref);
    const r = await this.db.sql.query<ServiceWithCounts>(SCALE_SQL, [TaskState.RUNNING, id, replicas]);
    if (!r.rows.length) throw new NotFoundError(`service "${ref}" not found`);
    return r.rows[0];
  }

  async remove(id: string): Promise<void> {
    await this.db.service.deleteMany({ where: { id } });
  }

  ids(): Promise<string[]> {
    return this.db.service.findMany({ select: { id: true } }).then((r) => r.map((x) => x.id));
  }
}
