/**
 * API load: 200 concurrent clients for 60 s against 2 controller replicas
 * (real processes) sharing one fresh database and Redis prefix; client i
 * talks to replica i mod 2. Each client loops without pause over a mix of
 * reads (GET /api/services, /api/tasks, /api/nodes) and writes (scale a
 * service with PATCH /api/services/NAME, or create a container and remove
 * it with DELETE ?force=true). State stays bounded: every created container
 * is removed, and scale values cycle within SCALE_MIN..SCALE_MAX.
 *
 * No agents: FAKE_NODES ready node rows with a heartbeat a day in the future
 * are inserted first, so the scheduler places every task (real placement
 * work under its lock, and the orchestrator's scale-downs) and the health
 * check, which runs throughout, never finds them silent. Tasks then stay
 * `assigned`; no agent session or liveness flush load is part of this run.
 *
 *   node dist/bench/load.js [--clients N] [--seconds S] [--cpu-prof DIR]
 *
 * --cpu-prof writes each controller's CPU profile (node --cpu-prof) to DIR.
 * The bench's own thread runs at the controllers' raised priority (root).
 *
 * Prints one JSON line: requests, statuses by class, 5xx, hung requests
 * (no answer within REQUEST_TIMEOUT_MS, counted as failures), reads and
 * writes p50/p99/max against the p99 target (1 s, Kubernetes' API SLO),
 * requests/s, per-route figures and the bench's own event-loop delay (if
 * that is high, the client, not the controllers, added latency). Exits 1
 * when any 5xx, hung request or connection error happened. The controllers,
 * registry, database and Redis keys are removed at the end, also on failure
 * or Ctrl-C.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { startControllerReplicas, type ControllerReplicas } from '../test/fixtures/controller-process.js';
import { percentile, until } from './common.js';
import { raiseMainThread } from '#libs/common';

const REPLICAS = 2;
const SERVICES = 20;
const SERVICE_REPLICAS = 5;
const SCALE_MIN = 3;
const SCALE_MAX = 7;
const SEED_CONTAINERS = 20;
const FAKE_NODES = 5;
const REQUEST_TIMEOUT_MS = 10_000;
const TARGET_P99_MS = 1_000;
const IMAGE = 'busybox';

function intArg(name: string, def: number, min: number, max: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i < 0) return def;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

const CLIENTS = intArg('--clients', 200, 1, 1000);
const SECONDS = intArg('--seconds', 60, 1, 600);
const PROF_AT = process.argv.indexOf('--cpu-prof');
const CONTROLLER_NODE_ARGS = PROF_AT > 0 && process.argv[PROF_AT + 1] ? ['--cpu-prof', '--cpu-prof-dir', process.argv[PROF_AT + 1]] : [];

type Kind = 'read' | 'write';
interface Answer {
  status: number;
  body: string;
}

/** Tally: every request's latency by kind and route, and its outcome. */
class Tally {
  readonly ms: Record<Kind, number[]> = { read: [], write: [] };
  readonly byRoute = new Map<string, number[]>();
  readonly statuses: Record<string, number> = {};
  readonly failures: string[] = [];

  add(kind: Kind, route: string, ms: number, outcome: string, detail?: string): void {
    this.ms[kind].push(ms);
    let routeMs = this.byRoute.get(route);
    if (!routeMs) this.byRoute.set(route, (routeMs = []));
    routeMs.push(ms);
    this.statuses[outcome] = (this.statuses[outcome] ?? 0) + 1;
    if (detail && this.failures.length < 20) this.failures.push(`${route}: ${detail}`);
  }
}

/**
 * AGENT: keep-alive connections for all clients. Plain http.request costs the
 * bench a third of what fetch does per request: on two cores the load
 * generator's own CPU and event-loop delay would otherwise be part of the
 * latencies it measures (bench_loop_delay_p99_ms says how much still is).
 */
const AGENT = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** request: one HTTP request read to the end of its body; rejects on a connection error or after REQUEST_TIMEOUT_MS. */
function request(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: AGENT, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(body);
  });
}

/** Client: one API client bound to one replica. */
class Client {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly tally?: Tally,
  ) {}

  /** call sends one request, timing it to the end of the body; timeouts and connection errors resolve with status 0. */
  async call(kind: Kind, method: string, route: string, path: string, body?: unknown): Promise<Answer> {
    const t0 = performance.now();
    let status = 0;
    let text: string;
    let error = '';
    try {
      const json = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
      if (json !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) });
      const res = await request(new URL(`${this.baseUrl}/api${path}`), method, headers, json);
      text = res.body;
      status = res.status;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? 'timeout' : 'error';
      text = `${(err as Error).message} ${String((err as { cause?: Error }).cause ?? '')}`;
    }
    const ms = performance.now() - t0;
    const outcome = error || `${Math.floor(status / 100)}xx`;
    this.tally?.add(kind, route, ms, outcome, outcome === '2xx' ? undefined : `${error || status} ${text.slice(0, 200)}`);
    return { status, body: text };
  }
}

const rand = (n: number) => Math.floor(Math.random() * n);
const serviceName = (i: number) => `load-${String(i).padStart(2, '0')}`;

/**
 * oneStep: one iteration of a client's loop (reads 70 %, scale 10 %,
 * container create + remove 20 %). Containers are named, so one whose
 * create failed or timed out is still removed.
 */
async function oneStep(c: Client, id: number, n: number): Promise<void> {
  const r = Math.random();
  if (r < 0.7) {
    const path = ['/services', '/tasks', '/nodes'][rand(3)];
    await c.call('read', 'GET', `GET ${path}`, path);
  } else if (r < 0.8) {
    await c.call('write', 'PATCH', 'PATCH /services/:name', `/services/${serviceName(rand(SERVICES))}`, { replicas: SCALE_MIN + rand(SCALE_MAX - SCALE_MIN + 1) });
  } else {
    const name = `load-c${id}-${n}`;
    const created = await c.call('write', 'POST', 'POST /containers', '/containers', { image: IMAGE, command: ['sleep', '3600'], name });
    if (created.status >= 400 && created.status < 500) return;
    await c.call('write', 'DELETE', 'DELETE /containers/:id', `/containers/${name}?force=true`);
  }
}

async function expectOk(a: Promise<Answer>, what: string): Promise<Answer> {
  const r = await a;
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

/** seed: fake ready nodes, SERVICES services and SEED_CONTAINERS containers, all placed, before the clock starts. */
async function seed(cluster: ControllerReplicas, clients: Client[]): Promise<void> {
  const db = new pg.Client({ connectionString: cluster.db.url });
  await db.connect();
  try {
    for (let i = 0; i < FAKE_NODES; i++) {
      await db.query(
        `INSERT INTO "Node" (id, hostname, status, "lastHeartbeatAt", "updatedAt")
        VALUES ($1, $2, 'ready', (now() AT TIME ZONE 'UTC') + interval '1 day', now())`,
        [`loadnode${String(i).padStart(17, '0')}`, `load-node-${i}`],
      );
    }
  } finally {
    await db.end();
  }
  for (let i = 0; i < SERVICES; i++) {
    await expectOk(clients[i % REPLICAS].call('write', 'POST', '', '/services', { name: serviceName(i), image: IMAGE, command: ['sleep', '3600'], replicas: SERVICE_REPLICAS }), 'seed service');
  }
  for (let i = 0; i < SEED_CONTAINERS; i++) {
    await expectOk(clients[i % REPLICAS].call('write', 'POST', '', '/containers', { image: IMAGE, command: ['sleep', '3600'], name: `load-seed-${i}` }), 'seed container');
  }
  const want = SERVICES * SERVICE_REPLICAS + SEED_CONTAINERS;
  await until(
    `${want} tasks placed`,
    async () => {
      const tasks = JSON.parse((await clients[0].call('read', 'GET', '', '/tasks')).body) as Array<{ nodeId: string | null }>;
      return tasks.length === want && tasks.every((t) => t.nodeId);
    },
    60_000,
    250,
  );
}

/** controllerErrors: the first error lines of each replica's log (the logs go with the cleanup). */
async function controllerErrors(cluster: ControllerReplicas): Promise<string[]> {
  const out: string[] = [];
  for (const r of cluster.replicas) {
    const log = await readFile(r.proc.logFile, 'utf8').catch(() => '');
    out.push(
      ...log
        .split('\n')
        .filter((l) => /ERROR|Error:/.test(l))
        .slice(0, 10)
        .map((l) => `${r.replicaId}: ${l.slice(0, 400)}`),
    );
  }
  return out;
}

/** cpuMs: CPU time (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * PgWatch samples the test database's sessions every 250 ms: the most at
 * once that were running a statement, waiting on a lock (e.g. the
 * scheduler's advisory lock) and idle inside a transaction.
 */
class PgWatch {
  readonly max = { active: 0, lock_waits: 0, idle_in_transaction: 0 };
  private readonly db: pg.Client;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    url: string,
    private readonly name: string,
  ) {
    this.db = new pg.Client({ connectionString: url });
    // The database is dropped with FORCE at the end, also while this still watches.
    this.db.on('error', () => {});
  }

  async start(): Promise<void> {
    await this.db.connect();
    this.timer = setInterval(() => void this.sample(), 250);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.db.end().catch(() => {});
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const r = await this.db.query<{ active: number; lock_waits: number; idle_in_transaction: number }>(
        `SELECT count(*) FILTER (WHERE state = 'active')::int AS active,
           count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS lock_waits,
           count(*) FILTER (WHERE state = 'idle in transaction')::int AS idle_in_transaction
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [this.name],
      );
      const row = r.rows[0];
      for (const k of Object.keys(this.max) as Array<keyof PgWatch['max']>) this.max[k] = Math.max(this.max[k], row[k]);
    } catch {
      // A missed sample only lowers the maxima.
    } finally {
      this.busy = false;
    }
  }
}

function stats(ms: number[]) {
  if (!ms.length) return { n: 0, p50_ms: 0, p99_ms: 0, max_ms: 0 };
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: ms.length, p50_ms: r(percentile(ms, 50)), p99_ms: r(percentile(ms, 99)), max_ms: r(Math.max(...ms)) };
}

async function main(): Promise<void> {
  const cluster = await startControllerReplicas(REPLICAS, {}, CONTROLLER_NODE_ARGS);
  // The clients stand for other machines. Below the controllers' raised main threads on this
  // one host they measure their own wait for a CPU (their loop delay, printed, showed 0.2-0.4 s
  // at p99), so they run at the same priority; raised after the children start, which keep theirs.
  const notRaised = raiseMainThread();
  if (notRaised) console.error(`bench clients at normal priority (${notRaised}): latency includes their wait for a CPU`);
  let watch: PgWatch | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await watch?.stop();
      await cluster.stop();
    })());
  const onSignal = () => void stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const untimed = cluster.replicas.map((r) => new Client(r.baseUrl, cluster.token));
    await seed(cluster, untimed);
    const tally = new Tally();
    const clients = Array.from({ length: CLIENTS }, (_, i) => new Client(cluster.replicas[i % REPLICAS].baseUrl, cluster.token, tally));
    const cpuBefore = await Promise.all(cluster.replicas.map((r) => cpuMs(r.pid)));
    watch = new PgWatch(cluster.db.url, new URL(cluster.db.url).pathname.slice(1));
    await watch.start();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    await Promise.all(
      clients.map(async (c, id) => {
        for (let n = 0; performance.now() < end; n++) await oneStep(c, id, n);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    loop.disable();
    await watch.stop();
    const cpuUsed = (await Promise.all(cluster.replicas.map((r) => cpuMs(r.pid)))).reduce((a, b, i) => a + b - cpuBefore[i], 0);
    const left = JSON.parse((await untimed[0].call('read', 'GET', '', '/containers?all=true')).body) as unknown[];
    const reads = stats(tally.ms.read);
    const writes = stats(tally.ms.write);
    const requests = reads.n + writes.n;
    const s5xx = tally.statuses['5xx'] ?? 0;
    const hung = tally.statuses.timeout ?? 0;
    const errors = tally.statuses.error ?? 0;
    const byRoute = Object.fromEntries([...tally.byRoute].filter(([k]) => k).map(([k, v]) => [k, stats(v)]));
    console.log(
      JSON.stringify({
        bench: 'load',
        clients: CLIENTS,
        seconds: Math.round(seconds * 10) / 10,
        controller_replicas: REPLICAS,
        fake_nodes: FAKE_NODES,
        services: SERVICES,
        requests,
        requests_per_s: Math.round(requests / seconds),
        statuses: tally.statuses,
        server_errors_5xx: s5xx,
        hung_over_10s: hung,
        connection_errors: errors,
        reads_p50_ms: reads.p50_ms,
        reads_p99_ms: reads.p99_ms,
        reads_max_ms: reads.max_ms,
        writes_p50_ms: writes.p50_ms,
        writes_p99_ms: writes.p99_ms,
        writes_max_ms: writes.max_ms,
        target_p99_ms: TARGET_P99_MS,
        reads_p99_met: reads.p99_ms <= TARGET_P99_MS,
        writes_p99_met: writes.p99_ms <= TARGET_P99_MS,
        by_route: byRoute,
        controllers_cpu_ms_per_request: Math.round((cpuUsed / requests) * 10) / 10,
        controllers_cpu_cores: Math.round((cpuUsed / 1000 / seconds) * 100) / 100,
        containers_left: left.length,
        pg_max_sessions: watch.max,
        bench_loop_delay_p99_ms: Math.round(loop.percentile(99) / 1e6),
      }),
    );
    if (s5xx || hung || errors) {
      console.error(JSON.stringify({ failures: tally.failures, controller_errors: await controllerErrors(cluster) }, null, 1));
      process.exitCode = 1;
    }
  } finally {
    await stop();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
