/** NodeStore: hosts as rows: joins, descriptions, lookups (liveness is LivenessStore's). */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { resolveRef } from './resolve.js';
import type { Node } from './generated/client.js';
import { TaskState } from '#libs/common';
import type { NodeDescription } from '#libs/proto/messages.js';

export type { Node };

/**
 * LIST_SQL: every node by hostname, as Prisma would return it (test/integration/store-sql
 * checks that): the API, each reconcile and each scheduler pass read the whole list.
 */
const LIST_SQL = `
  SELECT "id", "hostname", "addr", "cpus", "memoryBytes"::text AS "memoryBytes", "labels", "agentVersion",
    "status"::text AS "status", "statusMessage", "availability"::text AS "availability", "certSerial", "volumePlugins",
    "lastHeartbeatAt" AT TIME ZONE 'UTC' AS "lastHeartbeatAt", "sessionReplica",
    "createdAt" AT TIME ZONE 'UTC' AS "createdAt", "updatedAt" AT TIME ZONE 'UTC' AS "updatedAt"
  FROM "Node" ORDER BY "hostname" ASC`;

const ACTIVE_COUNTS_SQL = `SELECT "nodeId", count(*)::int AS n FROM "Task" WHERE "nodeId" IS NOT NULL AND "state" < $1 GROUP BY "nodeId"`;

@Injectable()
export class NodeStore {
  constructor(private readonly db: PrismaService) {}

  async list(): Promise<Node[]> {
    const r = await this.db.sql.query<Omit<Node, 'memoryBytes'> & { memoryBytes: string }>(LIST_SQL);
    return r.rows.map((n) => ({ ...n, memoryBytes: BigInt(n.memoryBytes) }));
  }

  get(id: string): Promise<Node | null> {
    return this.db.node.findUnique({ where: { id } });
  }

  resolve(ref: string): Promise<Node> {
    return resolveRef(
      'node',
      ref,
      (r) => this.db.node.findMany({ where: { OR: [{ id: r }, { hostname: r }] }, take: 2 }),
      (p) => this.db.node.findMany({ where: { id: { startsWith: p } }, take: 2 }),
    );
  }

  /** activeTaskCounts counts non-terminal tasks per node. */
  async activeTaskCounts(): Promise<Map<string, number>> {
    const r = await this.db.sql.query<{ nodeId: string; n: number }>(ACTIVE_COUNTS_SQL, [TaskState.COMPLETE]);
    return new Map(r.rows.map((row) => [row.nodeId, row.n]));
  }

  async delete(id: string): Promise<void> {
    await this.db.node.deleteMany({ where: { id } });
  }

  create(d: NodeDescription): Promise<Node> {
    return this.db.node.create({ data: { id: newId(), ...this.describe(d) } });
  }

  async setCertSerial(id: string, certSerial: string): Promise<void> {
    await this.db.node.update({ where: { id }, data: { certSerial } });
  }

  private describe(d: NodeDescription) {
    return {
      hostname: d.hostname.slice(0, 253),
      cpus: d.cpus,
      memoryBytes: BigInt(Math.max(0, Math.floor(d.memoryBytes))),
      labels: d.labels,
      addr: d.addr,
      agentVersion: d.agentVersion,
      volumePlugins: (d.volumePlugins ?? []).map((p) => ({ name: p.name, scope: p.scope === 'global' ? 'global' : 'local' })),
    };
  }

  /** described records a node's new description (its volume plugins changed). */
  async described(id: string, d: NodeDescription): Promise<void> {
    await this.db.node.update({ where: { id }, data: this.describe(d) });
  }
}
