/**
 * ContainersService: one-off containers. Creation commits the container
 * and its task and hands placement to the scheduler as a schedule job; the
 * answer does not wait for the pass (`berth run` follows the task itself).
 */
import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ContainerStore, ConflictError, TaskStore } from '../../store/store.module.js';
import { NodeRouter } from '../../dispatcher/dispatcher.module.js';
import { JobQueue } from '../../queue/queue.module.js';
import { AllocatorService } from '../../allocator/allocator.module.js';
import { BerthConfig } from '../../config/berth-config.js';
import { RunOptionsError, TaskState, asMounts, checkRunOptions, formatImageRef, isBuiltinNetwork, isTerminal, parseImageRef, taskStateName, type RunOptions } from '#libs/common';
import { FieldValidationError } from '../common/validation.js';
import type { LogView } from '../common/query.js';
import { mapContainer } from '../common/mappers.js';
import { LogStreamer } from '../common/log-stream.js';
import { AttachmentsService } from '../networks/attachments.service.js';
import { VolumesService } from '../volumes/volumes.service.js';
import type { CreateContainerDto } from './container.dto.js';

/** runOptions: the body's options, checked; a bad one is a 400 naming the option. */
function runOptions(raw: unknown): RunOptions {
  try {
    return checkRunOptions(raw);
  } catch (err) {
    if (err instanceof RunOptionsError) throw new FieldValidationError([{ field: 'options', message: err.message }]);
    throw err;
  }
}

/** WAIT_POLL_MS: how often `wait` re-reads the task; WAIT_MAX_MS bounds one wait request. */
const WAIT_POLL_MS = 100;
const WAIT_MAX_MS = 24 * 3600_000;

@Injectable()
export class ContainersService {
  constructor(
    private readonly containers: ContainerStore,
    private readonly tasks: TaskStore,
    private readonly queue: JobQueue,
    private readonly router: NodeRouter,
    private readonly config: BerthConfig,
    private readonly logs: LogStreamer,
    private readonly attachments: AttachmentsService,
    private readonly volumes: VolumesService,
    private readonly allocator: AllocatorService,
  ) {}

  async create(dto: CreateContainerDto) {
    const image = formatImageRef(parseImageRef(dto.image, this.config.registry));
    const { networks, ports } = await this.attachments.check(dto, true);
    const options = runOptions(dto.options);
    if (options.dns?.length && networks.some((n) => !isBuiltinNetwork(n.name)))
      throw new FieldValidationError([{ field: 'options', message: 'options.dns: name servers are for the built-in networks; on a user-defined network its own resolver answers' }]);
    const { mounts, pinnedNode } = await this.volumes.checkMounts(dto.mounts, dto.volumesFrom);
    const c = await this.containers.create(
      { name: dto.name ?? '', image, command: dto.command ?? [], env: dto.env ?? [], networks, ports, mounts, pinnedNode, autoRemove: dto.autoRemove ?? false, options },
      this.allocator.addresses,
    );
    await this.queue.schedule();
    return mapContainer(c);
  }

  async list(all: boolean) {
    return (await this.containers.list(all)).map(mapContainer);
  }

  async get(ref: string) {
    return mapContainer(await this.containers.resolve(ref));
  }

  async wait(ref: string, req: Request) {
    const c = await this.containers.resolve(ref);
    const deadline = Date.now() + WAIT_MAX_MS;
    let closed = false;
    req.on('close', () => {
      closed = true;
    });
    while (!closed && Date.now() < deadline) {
      const t = c.task && (await this.tasks.get(c.task.id));
      if (!t) return { state: 'removed', exitCode: null, error: 'container was removed' };
      if (isTerminal(t.state)) return { state: taskStateName(t.state), exitCode: t.exitCode, error: t.error };
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
    return { state: 'unknown', exitCode: null, error: 'wait ended before the container did' };
  }

  async stop(ref: string) {
    const c = await this.containers.resolve(ref);
    if (c.task) {
      await this.tasks.setDesired([c.task.id], TaskState.SHUTDOWN, 'stopped by user');
      if (c.task.nodeId) await this.router.notifyNodes([c.task.nodeId]);
    }
    return mapContainer((await this.containers.get(c.id))!);
  }

  /** remove deletes a container; with `volumes` its anonymous volumes too (rm -v), once its node has removed it. */
  async remove(ref: string, force: boolean, volumes = false): Promise<void> {
    const { container: c, removed } = await this.containers.removeUnlessRunning(ref, force);
    if (!removed) throw new ConflictError(`container ${c.name} is ${taskStateName(c.task!.state)}; stop it first or use force`);
    await this.router.notifyNodes(c.task ? await this.tasks.peersOfRows([c.task]) : []);
    if (volumes) await this.volumes.removeAnonymous(asMounts(c.mounts));
  }

  /** rename gives a container a new name (its task's name follows: the agent sees it with the next assignment). */
  async rename(ref: string, name: string) {
    const c = await this.containers.resolve(ref);
    return mapContainer(await this.containers.rename(c.id, name));
  }

  async streamLogs(ref: string, view: LogView, req: Request, res: Response): Promise<void> {
    const c = await this.containers.resolve(ref);
    await this.logs.stream(c.task ? [{ nodeId: c.task.nodeId, taskId: c.task.id, prefix: '' }] : [], view, req, res);
  }
}
