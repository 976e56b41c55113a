/**
 * startWorker: a BullMQ worker on one of the controller's queues, its
 * failures logged under the consuming role's name. Each role that consumes
 * a queue (orchestrator/, scheduler/) starts its own.
 */
import { Logger } from '@nestjs/common';
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { BerthConfig } from '../config/berth-config.js';
import type { QueueName } from './jobs.js';
import { redisConnection } from './redis.js';

export function startWorker(config: BerthConfig, queue: QueueName, log: Logger, handle: (job: Job) => Promise<void>, opts: Partial<WorkerOptions> = {}): Worker {
  const worker = new Worker(queue, handle, { connection: redisConnection(config.redisUrl), prefix: config.queuePrefix, ...opts });
  worker.on('failed', (job, err) => log.error(`job ${job?.name} failed: ${err.message}`));
  worker.on('error', (err) => log.error(`queue worker: ${err.message}`));
  return worker;
}
