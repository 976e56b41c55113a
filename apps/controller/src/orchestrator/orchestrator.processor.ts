/**
 * OrchestratorProcessor: the BullMQ worker of the orchestrator queue; each
 * job name maps to one OrchestratorService method. Runs on every replica.
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import { BerthConfig } from '../config/berth-config.js';
import { JobName, QueueName, startWorker, type JobOf } from '../queue/queue.module.js';
import { OrchestratorService } from './orchestrator.service.js';

/** WORKER_CONCURRENCY: reconciles of different services may run side by side. */
const WORKER_CONCURRENCY = 4;

@Injectable()
export class OrchestratorProcessor implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('orchestrator');
  private worker?: Worker;

  constructor(
    private readonly config: BerthConfig,
    private readonly orchestrator: OrchestratorService,
  ) {}

  onModuleInit(): void {
    this.worker = startWorker(this.config, QueueName.Orchestrator, this.log, (job) => this.handle(job), { concurrency: WORKER_CONCURRENCY });
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }

  private async handle(job: Job): Promise<void> {
    switch (job.name as JobName) {
      case JobName.ServiceReconcile:
        return this.orchestrator.reconcileService((job.data as JobOf<JobName.ServiceReconcile>).serviceId);
      case JobName.ReconcileAll:
        return this.orchestrator.reconcileAll();
      case JobName.NodeHealth:
        return this.orchestrator.checkNodes();
      default:
        this.log.warn(`unknown job ${job.name}`);
    }
  }
}
