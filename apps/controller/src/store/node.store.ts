/** NodeStore: hosts as rows: joins, descriptions, lookups (liveness is LivenessStore's). */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { resolveRef } from './resolve.js';
import type { Node } from './generated/client.js';
import { TaskState } from '#libs/common';
import type { NodeDescription } from '#libs/proto/messages.js';

export type { Node };

@Injectable()
export class NodeStore {
  constructor(private readonly db: PrismaService) {}

  list(): Promise<Node[]> {
    return this.db.node.findMany({ orderBy: { hostname: 'asc' } });
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
    const rows = await this.db.task.groupBy({ by: ['nodeId'], where: { nodeId: { not: null }, state: { lt: TaskState.COMPLETE } }, _count: { _all: true } });
    return new Map(rows.map((r) => [r.nodeId!, r._count._all]));
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
