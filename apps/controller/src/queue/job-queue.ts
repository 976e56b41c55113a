/**
 * JobQueue: the producer side of the controller's BullMQ queue. Any role may
 * enqueue; the orchestrator role consumes. Repeating jobs are registered as
 * job schedulers, so exactly one run per period happens cluster-wide however
 * many replicas are up.
 *
 * Placement is handed to the scheduler as one schedule job on a queue of
 * its own, deduplicated by a fixed id: a burst of requests while a job
 * waits joins that job (it starts after their rows were committed, so it
 * places them), and requests while it runs leave exactly one more job to
 * follow it (BullMQ's keepLastIfActive), cluster-wide.
 *
 * Redis holds nothing that Postgres cannot rebuild: every replica checks
 * every SCHEDULER_CHECK_MS that the job schedulers exist and re-creates them
 * (a Redis restarted empty has none), every SCHEDULER_RETRY_MS while Redis
 * cannot be reached, and enqueueing never fails a caller
 * nor waits for Redis: the desired state is already committed, and the
 * periodic reconcile-all picks it up once Redis is back.
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import { BerthConfig } from '../config/berth-config.js';
import { JobName, QueueName, NODE_HEALTH_EVERY_MS, RECONCILE_ALL_EVERY_MS, SCHEDULER_CHECK_MS, SCHEDULER_RETRY_MS, type JobOf } from './jobs.js';
import { redisConnection } from './redis.js';

/** REDIS_CALL_MS: how long a caller waits for Redis (BullMQ waits for a connection that never came up). */
const REDIS_CALL_MS = 2_000;

/** bounded gives up waiting on a Redis call after REDIS_CALL_MS (the call itself may still land later, harmlessly). */
function bounded<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${REDIS_CALL_MS} ms`)), REDIS_CALL_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** RETRIED: a reconcile that failed (e.g. the database was away) is tried again. */
const RETRIED: JobsOptions = { attempts: 3, backoff: { type: 'exponential', delay: 200 } };

const SCHEDULERS: Array<{ name: JobName; every: number }> = [
  { name: JobName.ReconcileAll, every: RECONCILE_ALL_EVERY_MS },
  { name: JobName.NodeHealth, every: NODE_HEALTH_EVERY_MS },
];

@Injectable()
export class JobQueue implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('queue');
  readonly queue: Queue;
  private readonly scheduling: Queue;
  private timer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private checking?: Promise<void>;
  /** The last failure logged, so an outage is logged once, not every call. */
  private lastError = '';

  constructor(private readonly config: BerthConfig) {
    // No offline queue: without Redis, commands fail at once instead of waiting for it.
    this.queue = new Queue(QueueName.Orchestrator, { connection: { ...redisConnection(config.redisUrl), enableOfflineQueue: false }, prefix: config.queuePrefix });
    this.queue.on('error', (err) => this.failed('queue', err));
    this.scheduling = new Queue(QueueName.Scheduler, { connection: { ...redisConnection(config.redisUrl), enableOfflineQueue: false }, prefix: config.queuePrefix });
    this.scheduling.on('error', (err) => this.failed('queue', err));
  }

  async onModuleInit(): Promise<void> {
    this.timer = setInterval(() => void this.ensureSchedulers(), SCHEDULER_CHECK_MS);
    void this.ensureSchedulers();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.retry);
    this.timer = undefined;
    await this.checking;
    await Promise.all([this.queue.close(), this.scheduling.close()]);
  }

  /** ensureSchedulers re-creates any job scheduler Redis does not hold (first start, or Redis restarted empty). */
  ensureSchedulers(): Promise<void> {
    this.checking ??= (async () => {
      try {
        for (const s of SCHEDULERS) {
          if (await bounded(this.queue.getJobScheduler(s.name))) continue;
          await bounded(this.queue.upsertJobScheduler(s.name, { every: s.every }, { name: s.name, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } }));
          this.log.log(`job scheduler ${s.name} registered (every ${s.every} ms)`);
        }
        this.recovered();
      } catch (err) {
        this.failed('job schedulers', err as Error);
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private async add<N extends JobName>(name: N, data: JobOf<N>, opts: JobsOptions, queue = this.queue): Promise<void> {
    try {
      await bounded(queue.add(name, data, { removeOnComplete: true, removeOnFail: 100, ...opts }));
      this.recovered();
    } catch (err) {
      this.failed(`job ${name}`, err as Error);
    }
  }

  /** failed logs a Redis failure once per outage and has the schedulers checked again soon (Redis may be back empty). */
  private failed(what: string, err: Error): void {
    const msg = `${what} not queued: ${err.message} (reconcile-all catches up once Redis is back)`;
    if (msg !== this.lastError) this.log.warn(msg);
    this.lastError = msg;
    if (this.timer)
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        void this.ensureSchedulers();
      }, SCHEDULER_RETRY_MS);
  }

  private recovered(): void {
    if (this.lastError) this.log.log('Redis reachable again');
    this.lastError = '';
  }

  async reconcileService(serviceId: string, delayMs = 0): Promise<void> {
    await this.add(JobName.ServiceReconcile, { serviceId }, { delay: delayMs, ...RETRIED });
  }

  /** schedule asks for a scheduler pass over every task waiting for a node (committed before the call). */
  async schedule(): Promise<void> {
    await this.add(JobName.Schedule, {}, { deduplication: { id: JobName.Schedule, keepLastIfActive: true } }, this.scheduling);
  }

  async reconcileAll(): Promise<void> {
    await this.add(JobName.ReconcileAll, {}, RETRIED);
  }
}
