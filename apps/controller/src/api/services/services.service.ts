/** ServicesService: the services API's logic over ServiceStore and the queue. */
import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ServiceStore, TaskStore } from '../../store/store.module.js';
import { JobQueue } from '../../queue/queue.module.js';
import { AllocatorService } from '../../allocator/allocator.module.js';
import { NodeRouter } from '../../dispatcher/dispatcher.module.js';
import { BerthConfig } from '../../config/berth-config.js';
import { formatImageRef, hasResolver, parseImageRef } from '#libs/common';
import { mapService, mapTask } from '../common/mappers.js';
import type { LogView } from '../common/query.js';
import { LogStreamer } from '../common/log-stream.js';
import { AttachmentsService } from '../networks/attachments.service.js';
import { VolumesService } from '../volumes/volumes.service.js';
import type { CreateServiceDto, ScaleServiceDto } from './service.dto.js';

@Injectable()
export class ServicesService {
  constructor(
    private readonly services: ServiceStore,
    private readonly tasks: TaskStore,
    private readonly queue: JobQueue,
    private readonly router: NodeRouter,
    private readonly config: BerthConfig,
    private readonly logs: LogStreamer,
    private readonly attachments: AttachmentsService,
    private readonly volumes: VolumesService,
    private readonly allocator: AllocatorService,
  ) {}

  async create(dto: CreateServiceDto) {
    const image = formatImageRef(parseImageRef(dto.image, this.config.registry));
    const { networks, ports, user } = await this.attachments.check(dto, false);
    const { mounts } = await this.volumes.checkMounts(dto.mounts);
    const endpointMode = dto.endpointMode ?? 'vip';
    // A virtual IP is for networks with names (a resolver).
    const named = user.some((n) => hasResolver(n.driver));
    const s = await this.services.create(
      { name: dto.name, image, replicas: dto.replicas, command: dto.command ?? [], env: dto.env ?? [], networks, ports, mounts, endpointMode },
      endpointMode === 'vip' && named ? this.allocator.vip(this.config.vipPool) : undefined,
    );
    await this.queue.reconcileService(s.id);
    return mapService({ ...s, running: 0 });
  }

  async list() {
    return (await this.services.list()).map(mapService);
  }

  async get(ref: string) {
    return mapService(await this.services.withRunning((await this.services.resolve(ref)).id));
  }

  async scale(ref: string, dto: ScaleServiceDto) {
    const s = await this.services.scale(ref, dto.replicas);
    await this.queue.reconcileService(s.id);
    return mapService(s);
  }

  async remove(ref: string): Promise<void> {
    const s = await this.services.resolve(ref);
    const nodes = await this.tasks.peersOf({ serviceId: s.id });
    await this.services.remove(s.id);
    await this.router.notifyNodes(nodes);
  }

  async tasksOf(ref: string, all: boolean) {
    const s = await this.services.resolve(ref);
    return (await this.tasks.list({ serviceId: s.id, all })).map(mapTask);
  }

  async streamLogs(ref: string, view: LogView, req: Request, res: Response): Promise<void> {
    const s = await this.services.resolve(ref);
    const tasks = await this.tasks.list({ serviceId: s.id, all: false });
    await this.logs.stream(
      tasks.map((t) => ({ nodeId: t.nodeId, taskId: t.id, prefix: `${s.name}.${t.slot}@${t.node?.hostname ?? '?'} | ` })),
      view,
      req,
      res,
    );
  }
}
