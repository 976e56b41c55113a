/**
 * SchedulerProcessor: the BullMQ worker of the scheduler queue, on every
 * replica. Each schedule job is one SchedulerService pass; the queue keeps
 * at most one job running and one waiting cluster-wide (JobQueue.schedule).
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { BerthConfig } from '../config/berth-config.js';
import { QueueName, startWorker } from '../queue/queue.module.js';
import { SchedulerService } from './scheduler.service.js';

/**
 * A pass on a replica that died is handed to another replica once its lock
 * lapses (LOCK_MS, renewed every half of it while the pass runs) and a
 * worker's stall check (every STALL_CHECK_MS) finds it.
 */
const LOCK_MS = 5_000;
const STALL_CHECK_MS = 2_000;

@Injectable()
export class SchedulerProcessor implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('scheduler');
  private worker?: Worker;

  constructor(
    private readonly config: BerthConfig,
    private readonly scheduler: SchedulerService,
  ) {}

  onModuleInit(): void {
    this.worker = startWorker(
      this.config,
      QueueName.Scheduler,
      this.log,
      async () => {
        await this.scheduler.scheduleAll();
      },
      { concurrency: 1, lockDuration: LOCK_MS, stalledInterval: STALL_CHECK_MS, maxStalledCount: 10 },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }
}
