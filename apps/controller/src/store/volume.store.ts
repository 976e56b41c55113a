/** VolumeStore: volume rows, which node holds each local one, and which tasks use them. */
import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { ConflictError, isUniqueViolation, NotFoundError } from './resolve.js';
import type { Prisma, Volume } from './generated/client.js';
import { TaskState, type Mount } from '#libs/common';

export type { Volume };

export interface NewVolume {
  name: string;
  driver: string;
  scope?: string;
  options: Record<string, string>;
  labels: Record<string, string>;
  anonymous?: boolean;
}

/** anonymousName: what Docker names a volume nobody named (64 hex digits). */
export function anonymousName(): string {
  return randomBytes(32).toString('hex');
}

/** mountsVolume: the filter for tasks mounting volume `name`. */
export function mountsVolume(name: string): { array_contains: Array<{ type: string; source: string }> } {
  return { array_contains: [{ type: 'volume', source: name }] };
}

/**
 * withVolumes gives each task's anonymous volume mounts a volume of their own and
 * creates, in the caller's transaction, the volumes the mounts name that do not exist.
 */
export async function withVolumes(tx: Prisma.TransactionClient, perTask: Mount[][]): Promise<Mount[][]> {
  const fresh: NewVolume[] = [];
  const out = perTask.map((mounts) =>
    mounts.map((m) => {
      if (m.type !== 'volume') return m;
      const name = m.source || anonymousName();
      fresh.push({ name, driver: m.volumeDriver ?? 'local', options: m.volumeOptions ?? {}, labels: {}, anonymous: !m.source });
      return { ...m, source: name };
    }),
  );
  // A plugin's volumes take its scope, as the nodes report it.
  if (fresh.some((v) => v.driver !== 'local')) {
    const scopes = new Map<string, string>();
    for (const n of await tx.node.findMany({ select: { volumePlugins: true } })) {
      for (const p of (n.volumePlugins ?? []) as Array<{ name: string; scope: string }>) scopes.set(p.name, p.scope);
    }
    for (const v of fresh) v.scope = scopes.get(v.driver) ?? 'local';
  }
  if (fresh.length) await tx.volume.createMany({ data: fresh, skipDuplicates: true });
  return out;
}

@Injectable()
export class VolumeStore {
  constructor(private readonly db: PrismaService) {}

  list(): Promise<Volume[]> {
    return this.db.volume.findMany({ orderBy: { name: 'asc' } });
  }

  async get(name: string): Promise<Volume> {
    const v = await this.db.volume.findUnique({ where: { name } });
    if (!v) throw new NotFoundError(`volume ${name} not found`);
    return v;
  }

  byNames(names: string[], tx: Prisma.TransactionClient | PrismaService = this.db): Promise<Volume[]> {
    return names.length ? tx.volume.findMany({ where: { name: { in: names } } }) : Promise.resolve([]);
  }

  async create(v: NewVolume): Promise<Volume> {
    try {
      return await this.db.volume.create({ data: v });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`volume ${v.name} already exists`);
      throw err;
    }
  }

  /** pin records the node now holding local volumes that had none. */
  async pin(tx: Prisma.TransactionClient, names: string[], nodeId: string): Promise<void> {
    if (names.length) await tx.volume.updateMany({ where: { name: { in: names }, nodeId: null, scope: 'local' }, data: { nodeId } });
  }

  /** usersOf counts the tasks that mount the volume: those not ended, and any container's, stopped or not (as Docker). */
  usersOf(name: string): Promise<number> {
    return this.db.task.count({ where: { mounts: mountsVolume(name), OR: [{ state: { lt: TaskState.COMPLETE } }, { containerId: { not: null } }] } });
  }

  async delete(name: string): Promise<void> {
    await this.db.volume.deleteMany({ where: { name } });
  }
}
