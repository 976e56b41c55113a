// The hand-over to the scheduler (issue 12, item 1) on a real Redis: schedule jobs have one
// fixed deduplication id, so a burst of requests is one pass; a request made while a pass runs
// leaves exactly one more pass to follow it; two replicas' workers never run passes at once.
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import { Queue, type Worker } from 'bullmq';
import { startRedisServer, type RedisServer } from '../fixtures/redis-server.js';
import { BerthConfig } from '../../apps/controller/src/config/berth-config.js';
import { JobQueue, QueueName, redisConnection, startWorker } from '../../apps/controller/src/queue/queue.module.js';
import { waitFor } from '../lab/sh.js';

let redis: RedisServer;
let counts: Queue;
let prefixes = 0;

const REDIS_DIR = `/tmp/berth-schedq-${process.pid}`;

before(async () => {
  redis = await startRedisServer(REDIS_DIR);
});

after(async () => {
  await counts?.close();
  await redis?.stop();
  await rm(REDIS_DIR, { recursive: true, force: true });
});

/** A producer and a way to watch its scheduler queue, on a prefix of this test's own. */
async function fresh(): Promise<{ config: BerthConfig; producer: JobQueue }> {
  const config = new BerthConfig({ BERTH_REDIS_URL: redis.url, BERTH_QUEUE_PREFIX: `schedq${++prefixes}`, BERTH_ADMIN_TOKEN: 'schedule-queue-token-0123' });
  await counts?.close();
  counts = new Queue(QueueName.Scheduler, { connection: redisConnection(redis.url), prefix: config.queuePrefix });
  return { config, producer: new JobQueue(config) };
}

/** Passes: counts the passes workers run, how many ran at once, and lets a test hold a pass open. */
class Passes {
  runs = 0;
  running = 0;
  maxRunning = 0;
  startedAt: number[] = [];
  private release?: () => void;
  private held?: Promise<void>;

  hold(): void {
    this.held = new Promise((r) => (this.release = r));
  }

  open(): void {
    this.release?.();
    this.held = undefined;
  }

  readonly pass = async (): Promise<void> => {
    this.runs++;
    this.startedAt.push(performance.now());
    this.maxRunning = Math.max(this.maxRunning, ++this.running);
    try {
      await this.held;
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      this.running--;
    }
  };
}

function worker(config: BerthConfig, passes: Passes, autorun = true): Worker {
  return startWorker(config, QueueName.Scheduler, new Logger('test'), passes.pass, { concurrency: 1, autorun });
}

/** idle: no schedule job waits or runs, and none appeared for 300 ms after that. */
async function idle(): Promise<void> {
  const empty = async () => {
    const c = await counts.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(c).every((n) => n === 0);
  };
  await waitFor('the scheduler queue empty', empty, 10_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(await empty(), 'a job appeared after the queue was empty');
}

test('a burst of 50 schedule requests while none runs is one pass', async () => {
  const { config, producer } = await fresh();
  const passes = new Passes();
  const w = worker(config, passes, false);
  try {
    await Promise.all(Array.from({ length: 50 }, () => producer.schedule()));
    void w.run();
    await waitFor('a pass', async () => passes.runs > 0, 10_000);
    await idle();
    assert.equal(passes.runs, 1);
  } finally {
    await w.close();
    await producer.onModuleDestroy();
  }
});

test('requests made while a pass runs cause exactly one more pass, started after them', async () => {
  const { config, producer } = await fresh();
  const passes = new Passes();
  const w = worker(config, passes);
  try {
    passes.hold();
    await producer.schedule();
    await waitFor('the first pass running', async () => passes.running === 1, 10_000);
    await Promise.all(Array.from({ length: 20 }, () => producer.schedule()));
    const lastRequest = performance.now();
    passes.open();
    await idle();
    assert.equal(passes.runs, 2);
    assert.ok(passes.startedAt[1] > lastRequest, 'the second pass started before the last request');
  } finally {
    await w.close();
    await producer.onModuleDestroy();
  }
});

test("two replicas' workers never run passes at once", async () => {
  const { config, producer } = await fresh();
  const passes = new Passes();
  const workers = [worker(config, passes), worker(config, passes)];
  try {
    for (let i = 0; i < 30; i++) {
      await producer.schedule();
      await new Promise((r) => setTimeout(r, 5));
    }
    await idle();
    assert.equal(passes.maxRunning, 1);
    assert.ok(passes.runs >= 2 && passes.runs < 30, `${passes.runs} passes for 30 requests`);
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await producer.onModuleDestroy();
  }
});
