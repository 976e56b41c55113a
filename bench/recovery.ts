/**
 * Recovery: how long the cluster takes to be whole again after each of four
 * failures, on the 3-host, 2-controller lab with a Postgres and a Redis of
 * its own (the lab's node-down period, 3 s):
 * - controller_kill_s: controller 0 killed -9 right after a scale-up of
 *   30 → 60 was accepted, until 60 tasks run (agents on it dial the other);
 * - postgres_restart_s: from asking Postgres to restart until the API
 *   answers a read again;
 * - redis_restart_s: from Redis coming back empty until its job schedulers
 *   are registered again (node-failure detection and reconcile back on);
 * - host_cut_s: from cutting a host off until every task it ran runs
 *   elsewhere (detection included; target 5 s).
 * Rounds alternate nothing (there is no anchor): medians over --rounds N
 * (default 3). Prints one JSON line, seconds.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Lab } from '../test/lab/lab.js';
import { startPostgresServer } from '../test/fixtures/postgres-server.js';
import { startRedisServer } from '../test/fixtures/redis-server.js';
import { median, until } from './common.js';

const ROOT = '/tmp/berth-bench-recovery';
const args = process.argv.slice(2);
const ROUNDS = Math.max(1, Math.min(10, Number(args[args.indexOf('--rounds') + 1] ?? 3) || 3));

interface Task {
  node: string;
  state: string;
}

async function main(): Promise<void> {
  const pg = await startPostgresServer(`${ROOT}/postgres`);
  const redis = await startRedisServer(`${ROOT}/redis`);
  const lab = await Lab.start({ hosts: 3, controllers: 2, adminDbUrl: pg.adminUrl, redisUrl: redis.url });
  const figures: Record<string, number[]> = { controller_kill_s: [], postgres_restart_s: [], redis_restart_s: [], host_cut_s: [] };
  // The bench's own view of the queue; its connection rides out the Redis restarts quietly.
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  conn.on('error', () => {});
  const queue = new Queue('orchestrator', { connection: conn, prefix: `lab-${lab.id}` });
  queue.on('error', () => {});
  const api = (i: number) =>
    lab.api('GET', '/services', undefined, i).then(
      (r) => r.status === 200,
      () => false,
    );
  const running = async (n: number, notOn?: string) => {
    const tasks = (await lab.api<Task[]>('GET', '/services/bench/tasks', undefined, 1).catch(() => ({ body: [] as Task[] }))).body;
    return Array.isArray(tasks) && tasks.filter((t) => t.state === 'running' && t.node !== notOn).length === n;
  };
  const since = (t0: number) => (performance.now() - t0) / 1000;
  try {
    await lab.api('POST', '/services', { name: 'bench', image: 'busybox', replicas: 30, command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] });
    await until('30 running', () => running(30), 120_000, 200);
    for (let round = 0; round < ROUNDS; round++) {
      // A controller killed mid scale-up.
      await lab.api('PATCH', '/services/bench', { replicas: 60 }, 1);
      let t0 = performance.now();
      await lab.stopController(0, 'SIGKILL');
      await until('60 running', () => running(60), 120_000, 100);
      figures.controller_kill_s.push(since(t0));
      await lab.startController(0);
      await until('controller 0 back', () => api(0), 30_000, 100);
      await lab.api('PATCH', '/services/bench', { replicas: 30 }, 1);
      await until('30 running', () => running(30), 120_000, 200);

      // Postgres restarted.
      t0 = performance.now();
      await pg.restart();
      await until('the API answering', async () => (await api(0)) && (await api(1)), 60_000, 50);
      figures.postgres_restart_s.push(since(t0));

      // Redis killed and back empty.
      await redis.kill();
      await redis.start();
      t0 = performance.now();
      await until(
        'job schedulers back',
        async () => Boolean(await queue.getJobScheduler('node-health').catch(() => undefined)) && Boolean(await queue.getJobScheduler('reconcile-all').catch(() => undefined)),
        60_000,
        50,
      );
      figures.redis_restart_s.push(since(t0));

      // A host cut off: its tasks run elsewhere.
      const victim = `h${(round % 3) + 1}`;
      await until('every node ready', async () => (await lab.nodes()).every((n) => n.status === 'ready'), 60_000, 200);
      t0 = performance.now();
      await lab.cutHost((round % 3) + 1);
      await until(`30 running off ${victim}`, () => running(30, victim), 120_000, 100);
      figures.host_cut_s.push(since(t0));
      await lab.restoreHost((round % 3) + 1);
      await until('the cut host stops its old tasks and is ready', async () => (await lab.nodes()).every((n) => n.status === 'ready') && (await running(30)), 120_000, 200);
      await until('its old containers stopped', async () => (await lab.runningContainers()) === 30, 120_000, 200);
    }
    const out = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(median(v) * 100) / 100]));
    console.log(JSON.stringify({ bench: 'recovery', hosts: 3, controllers: 2, node_down_ms: 3000, rounds: ROUNDS, ...out, target_host_cut_s: 5 }));
  } finally {
    await queue.close().catch(() => {});
    conn.disconnect();
    await lab.stop();
    await redis.stop();
    await pg.stop();
  }
}

void main();
