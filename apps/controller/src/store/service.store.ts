/** ServiceStore: replicated services as rows. */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { ConflictError, resolveRef } from './resolve.js';
import type { Service } from './generated/client.js';
import type { AllocateVip, Tx } from './transactions.js';
import { TaskState, type Attachment, type Mount } from '#libs/common';

export type { Service };
export type ServiceWithCounts = Service & { running: number };

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === 'P2002';
}

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
    const [services, counts] = await Promise.all([
      this.db.service.findMany({ orderBy: { name: 'asc' } }),
      this.db.task.groupBy({ by: ['serviceId'], where: { serviceId: { not: null }, state: TaskState.RUNNING, desiredState: TaskState.RUNNING }, _count: { _all: true } }),
    ]);
    const running = new Map(counts.map((c) => [c.serviceId!, c._count._all]));
    return services.map((s) => ({ ...s, running: running.get(s.id) ?? 0 }));
  }

  async withRunning(s: Service): Promise<ServiceWithCounts> {
    const running = await this.db.task.count({ where: { serviceId: s.id, state: TaskState.RUNNING, desiredState: TaskState.RUNNING } });
    return { ...s, running };
  }

  scale(id: string, replicas: number): Promise<Service> {
    return this.db.service.update({ where: { id }, data: { replicas, version: { increment: 1 } } });
  }

  async remove(id: string): Promise<void> {
    await this.db.service.deleteMany({ where: { id } });
  }

  ids(): Promise<string[]> {
    return this.db.service.findMany({ select: { id: true } }).then((r) => r.map((x) => x.id));
  }
}
