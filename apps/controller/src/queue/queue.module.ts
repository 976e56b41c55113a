/**
 * queue/: the controller's BullMQ queue and its typed job registry. Owns the
 * producer; consumers live with the role that handles the job
 * (orchestrator/, scheduler/), started with startWorker. Imports nothing but config, so any role may import it.
 */
import { Global, Module } from '@nestjs/common';
import { JobQueue } from './job-queue.js';

@Global()
@Module({ providers: [JobQueue], exports: [JobQueue] })
export class QueueModule {}

export { JobQueue } from './job-queue.js';
export * from './jobs.js';
export { redisConnection } from './redis.js';
export { startWorker } from './worker.js';
