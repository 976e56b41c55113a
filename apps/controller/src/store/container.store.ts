/** ContainerStore: one-off containers (`berth run`) and their single task. */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { allocateAddresses } from './network.store.js';
import { ConflictError, resolveRef } from './resolve.js';
import type { Container } from './generated/client.js';
import type { TaskWithNames } from './task.store.js';
import { TaskState } from '../../../../libs/common/src/index.js';

export type ContainerWithTask = Container & { task: TaskWithNames | null };
const WITH_TASK = { task: { include: { service: { select: { name: true } }, container: { select: { name: true } }, node: { select: { hostname: true } } } } } as const;

@Injectable()
export class ContainerStore {
  constructor(private readonly db: PrismaService) {}

  /** create inserts the container and its NEW task together; returns both. */
  async create(c: { name: string; image: string; command: string[]; env: string[]; network: string; ports: string[]; autoRemove: boolean }): Promise<ContainerWithTask> {
    const id = newId();
    if (!c.name) c = { ...c, name: `c-${id.slice(0, 10)}` };
    const { ports, ...row } = c;
    try {
      return await this.db.$transaction(async (tx) => tx.container.create({
        data: {
          id, ...row,
          task: { create: { id: newId(), image: c.image, command: c.command, env: c.env, network: c.network, ports, ip: (await allocateAddresses(tx, c.network, 1))[0]!, desiredState: TaskState.RUNNING, state: TaskState.NEW, message: 'created', events: { create: { state: TaskState.NEW, message: 'created' } } } },
        },
        include: WITH_TASK,
      }));
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') throw new ConflictError(`container name "${c.name}" is already in use`);
      throw err;
    }
  }

  get(id: string): Promise<ContainerWithTask | null> {
    return this.db.container.findUnique({ where: { id }, include: WITH_TASK });
  }

  resolve(ref: string): Promise<ContainerWithTask> {
    return resolveRef('container', ref, (id) => this.get(id), (n) => this.db.container.findUnique({ where: { name: n }, include: WITH_TASK }),
      (p) => this.db.container.findMany({ where: { id: { startsWith: p } }, include: WITH_TASK, take: 2 }));
  }

  list(all: boolean): Promise<ContainerWithTask[]> {
    return this.db.container.findMany({ where: all ? {} : { task: { state: { lt: TaskState.COMPLETE } } }, include: WITH_TASK, orderBy: { createdAt: 'desc' } });
  }

  async remove(id: string): Promise<void> {
    await this.db.container.deleteMany({ where: { id } });
  }
}
