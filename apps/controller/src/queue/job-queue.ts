/**
 * JobQueue: the producer side of the controller's BullMQ queue. Any role may
 * enqueue; the orchestrator role consumes. Repeating jobs are registered as
 * job schedulers, so exactly one run per period happens cluster-wide however
 * many replicas are up.
 */
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { BerthConfig } from '../config/berth-config.js';
import { JobName, QueueName, NODE_HEALTH_EVERY_MS, RECONCILE_ALL_EVERY_MS, type JobOf } from './jobs.js';
import { redisConnection } from './redis.js';

@Injectable()
export class JobQueue implements OnModuleInit, OnModuleDestroy {
  readonly queue: Queue;

  constructor(private readonly config: BerthConfig) {
    this.queue = new Queue(QueueName.Orchestrator, { connection: redisConnection(config.redisUrl), prefix: config.queuePrefix });
  }

  async onModuleInit(): Promise<void> {
    await this.queue.upsertJobScheduler(JobName.ReconcileAll, { every: RECONCILE_ALL_EVERY_MS }, { name: JobName.ReconcileAll, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
    await this.queue.upsertJobScheduler(JobName.NodeHealth, { every: NODE_HEALTH_EVERY_MS }, { name: JobName.NodeHealth, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
  }

  private add<N extends JobName>(name: N, data: JobOf<N>, delayMs = 0): Promise<unknown> {
    return this.queue.add(name, data, { delay: delayMs, removeOnComplete: true, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 200 } });
  }

  async reconcileService(serviceId: string, delayMs = 0): Promise<void> {
    await this.add(JobName.ServiceReconcile, { serviceId }, delayMs);
  }

  async reconcileAll(): Promise<void> {
    await this.add(JobName.ReconcileAll, {});
  }
}
