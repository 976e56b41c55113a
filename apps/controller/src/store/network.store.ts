/** NetworkStore: user-defined networks as rows (bridge, host and none are built in, not stored). */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { ConflictError, resolveRef } from './resolve.js';
import type { Network } from './generated/client.js';
import { TaskState } from '../../../../libs/common/src/index.js';

export type { Network };

export interface NewNetwork {
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  internal: boolean;
}

@Injectable()
export class NetworkStore {
  constructor(private readonly db: PrismaService) {}

  /** list returns the user-defined networks (the built-in rows stay out of it). */
  list(): Promise<Network[]> {
    return this.db.network.findMany({ where: { builtin: false }, orderBy: { name: 'asc' } });
  }

  byNames(names: string[]): Promise<Network[]> {
    return names.length ? this.db.network.findMany({ where: { name: { in: names }, builtin: false } }) : Promise.resolve([]);
  }

  resolve(ref: string): Promise<Network> {
    return resolveRef('network', ref, (id) => this.db.network.findFirst({ where: { id, builtin: false } }), (name) => this.db.network.findFirst({ where: { name, builtin: false } }),
      (p) => this.db.network.findMany({ where: { id: { startsWith: p }, builtin: false }, take: 2 }));
  }

  /** create inserts a network under a lock, so two subnets chosen at once never overlap. */
  create(name: string, pick: (taken: Network[]) => NewNetwork): Promise<Network> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('networks'))`;
      const all = await tx.network.findMany({ where: { builtin: false } });
      if (all.some((n) => n.name === name)) throw new ConflictError(`network ${name} already exists`);
      const n = pick(all);
      const id = newId();
      try {
        return await tx.network.create({ data: { id, ...n, bridge: `br-${id.slice(0, 12)}` } });
      } catch (err) {
        if ((err as { code?: string }).code === 'P2002') throw new ConflictError(`network ${n.name} already exists`);
        throw err;
      }
    });
  }

  /** usersOf counts the tasks not yet ended that are attached to a network. */
  usersOf(name: string): Promise<number> {
    return this.db.task.count({ where: { network: name, state: { lt: TaskState.COMPLETE } } });
  }

  async delete(id: string): Promise<void> {
    await this.db.network.deleteMany({ where: { id } });
  }
}
