/**
 * Lab: a multi-host Berth cluster on one machine (docs/design/lab.md).
 * Controllers and the registry run in the root namespace on the lab bridge
 * address; each host is a network namespace running one real agent (entered
 * with nsenter, so it keeps the machine's mounts and cgroups). Every lab has
 * its own database, queue prefix, state dirs, runc roots and cgroup parents.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { sh, waitFor } from './sh.js';
import { createBridge, createHost, hostAddr, hostNs, LAB_GATEWAY, setLink } from './net.js';
import { startProcess, stopProcess, tail, type LabProcess } from './proc.js';
import { cleanupLab, killContainers, LAB_ROOT, PID_FILE } from './cleanup.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DIST = path.join(REPO, 'dist', 'apps');
const ADMIN_DB = process.env.BERTH_DATABASE_URL ?? 'postgresql://berth:berth@127.0.0.1:5432/berth';
/** BERTH_LAB_NODE_ARGS: extra node flags for lab controllers and agents (e.g. --cpu-prof for profiling). */
const NODE_ARGS = (process.env.BERTH_LAB_NODE_ARGS ?? '').split(' ').filter(Boolean);

export interface LabOptions {
  hosts: number;
  controllers: number;
  nodeDownMs?: number;
  /** A Postgres (admin URL) and a Redis of the lab's own, for tests that restart them; the machine's by default. */
  adminDbUrl?: string;
  redisUrl?: string;
  /** A host whose state dir is a small filesystem of its own (mb MB), for cases that fill its disk. */
  smallDisk?: { host: number; mb: number };
}
export interface ApiResult<T = any> {
  status: number;
  body: T;
}

export class Lab {
  readonly id = randomBytes(3).toString('hex');
  readonly runDir = path.join(LAB_ROOT, this.id);
  readonly token = `lab-${randomBytes(12).toString('hex')}`;
  readonly db = `berth_lab_${this.id}`;
  readonly registry = `${LAB_GATEWAY}:15000`;
  readonly controllers: Array<{ api: number; grpc: number; proc?: LabProcess }> = [];
  readonly agents = new Map<number, LabProcess>();
  private registryProc?: LabProcess;
  joinToken = '';

  private constructor(readonly opts: LabOptions) {
    for (let i = 0; i < opts.controllers; i++) this.controllers.push({ api: 18080 + i, grpc: 19090 + i });
  }

  static async start(opts: LabOptions): Promise<Lab> {
    await cleanupLab();
    const lab = new Lab(opts);
    try {
      await lab.up();
    } catch (err) {
      const logs = [...lab.controllers.map((c) => c.proc), lab.registryProc, ...lab.agents.values()]
        .filter(Boolean)
        .map((p) => `--- ${p!.name}\n${tail(p!)}`)
        .join('\n');
      await lab.stop();
      throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
    }
    return lab;
  }

  get adminDb(): string {
    return this.opts.adminDbUrl ?? ADMIN_DB;
  }
  get redisUrl(): string {
    return this.opts.redisUrl ?? process.env.BERTH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  }

  dbUrl(): string {
    const u = new URL(this.adminDb);
    u.pathname = `/${this.db}`;
    return u.toString();
  }

  private async up(): Promise<void> {
    await mkdir(this.runDir, { recursive: true });
    const client = new pg.Client({ connectionString: this.adminDb });
    await client.connect();
    await client.query(`CREATE DATABASE ${this.db}`);
    await client.end();
    await createBridge();
    for (let n = 1; n <= this.opts.hosts; n++) await createHost(n);
    // Token auth as in production: the first controller signs, the registry verifies with its JWKS.
    const ctl = `http://127.0.0.1:${this.controllers[0].api}/api/registry`;
    this.registryProc = this.track(
      startProcess(
        'registry',
        'node',
        [
          path.join(DIST, 'registry/src/main.js'),
          '--listen',
          this.registry,
          '--root',
          path.join(this.runDir, 'registry'),
          '--auth-realm',
          `${ctl}/token`,
          '--auth-service',
          'berth-registry',
          '--auth-issuer',
          'berth-controller',
          '--auth-jwks',
          `${ctl}/jwks`,
        ],
        path.join(this.runDir, 'registry.log'),
      ),
    );
    for (let i = 0; i < this.controllers.length; i++) await this.startController(i);
    await waitFor(
      'controllers to answer',
      async () =>
        (
          await Promise.all(
            this.controllers.map((_, i) =>
              this.api('GET', '/info', undefined, i).then(
                (r) => r.status === 200,
                () => false,
              ),
            ),
          )
        ).every(Boolean),
      30_000,
    );
    this.joinToken = (await this.api('GET', '/join-token')).body.token;
    if (this.opts.smallDisk) await this.mountSmallDisk(this.opts.smallDisk.host, this.opts.smallDisk.mb);
    for (let n = 1; n <= this.opts.hosts; n++) this.startAgent(n);
    await waitFor(`${this.opts.hosts} ready nodes`, async () => (await this.nodes()).filter((x) => x.status === 'ready').length === this.opts.hosts, 30_000);
    const tar = path.join(this.runDir, 'busybox.tar');
    await sh('bash', [path.join(REPO, 'deploy/busybox-rootfs.sh'), tar]);
    const imp = await this.cli(['image', 'import', tar, 'busybox:latest']);
    if (imp.code !== 0) throw new Error(`image import failed: ${imp.stderr}`);
  }

  /**
   * mountSmallDisk makes host n's state dir an ext4 filesystem of mb MB on a
   * loop device (mount -o loop: the device is freed when cleanupLab unmounts it).
   */
  private async mountSmallDisk(n: number, mb: number): Promise<void> {
    const image = path.join(this.runDir, `h${n}-disk.ext4`);
    await sh('truncate', ['-s', `${mb}M`, image]);
    await sh('mkfs.ext4', ['-q', '-F', image]);
    await mkdir(this.hostDir(n), { recursive: true });
    await sh('mount', ['-o', 'loop', image, this.hostDir(n)]);
  }

  controllerEnv(i: number): NodeJS.ProcessEnv {
    const c = this.controllers[i];
    return {
      BERTH_DATABASE_URL: this.dbUrl(),
      BERTH_REDIS_URL: this.redisUrl,
      BERTH_QUEUE_PREFIX: `lab-${this.id}`,
      BERTH_API_HOST: '127.0.0.1',
      BERTH_API_PORT: String(c.api),
      BERTH_GRPC_PORT: String(c.grpc),
      BERTH_ADVERTISE_ADDR: LAB_GATEWAY,
      BERTH_REGISTRY: this.registry,
      BERTH_ADMIN_TOKEN: this.token,
      BERTH_STATE_DIR: path.join(this.runDir, `controller${i}`),
      BERTH_NODE_DOWN_MS: String(this.opts.nodeDownMs ?? 3000),
      BERTH_HEARTBEAT_MS: '500',
      BERTH_REPLICA_ID: `lab-${this.id}-c${i}`,
      BERTH_SECRET_KEY_FILE: path.join(this.runDir, 'secret.key'),
    };
  }

  async startController(i: number): Promise<void> {
    this.controllers[i].proc = this.track(
      startProcess(`controller${i}`, 'node', ['--no-deprecation', ...NODE_ARGS, path.join(DIST, 'controller/src/main.js')], path.join(this.runDir, `controller${i}.log`), this.controllerEnv(i)),
    );
  }

  async stopController(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.controllers[i].proc;
    if (p) await stopProcess(p, signal);
  }

  /** agentLog is what host n's agent has logged so far. */
  agentLog(n: number): string {
    try {
      return readFileSync(`${this.hostDir(n)}.log`, 'utf8');
    } catch {
      return '';
    }
  }

  hostDir(n: number): string {
    return path.join(this.runDir, `h${n}`);
  }

  /** pluginDir: where every lab agent looks for volume plugins (the hosts share one filesystem). */
  get pluginDir(): string {
    return path.join(this.runDir, 'plugins');
  }

  /** startAgent starts host n's agent; by default hosts alternate between controller replicas. */
  startAgent(n: number, opts: { token?: string; stateDir?: string } = {}): LabProcess {
    const c = this.controllers[(n - 1) % this.controllers.length];
    const others = this.controllers.filter((x) => x !== c).map((x) => `${LAB_GATEWAY}:${x.grpc}`);
    const stateDir = opts.stateDir ?? this.hostDir(n);
    const p = this.track(
      startProcess(
        `agent-h${n}`,
        'nsenter',
        [
          `--net=/run/netns/${hostNs(n)}`,
          'node',
          '--no-deprecation',
          ...NODE_ARGS,
          path.join(DIST, 'agent/src/main.js'),
          '--controller',
          [`${LAB_GATEWAY}:${c.grpc}`, ...others].join(','),
          '--token',
          opts.token ?? this.joinToken,
          '--state-dir',
          stateDir,
          '--hostname',
          `h${n}`,
          '--addr',
          hostAddr(n),
          '--cgroup-parent',
          `berth-lab-${this.id}-h${n}`,
          '--insecure-registry',
          this.registry,
          '--volume-plugin-dir',
          this.pluginDir,
        ],
        `${stateDir}.log`,
      ),
    );
    if (!opts.stateDir) this.agents.set(n, p);
    return p;
  }

  /** track records a process's pid in the run dir, so cleanupLab ends it should this test process die first. */
  private track(p: LabProcess): LabProcess {
    if (p.child.pid) appendFileSync(path.join(this.runDir, PID_FILE), `${p.child.pid}\n`);
    return p;
  }

  async stopAgent(n: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.agents.get(n);
    if (p) await stopProcess(p, signal);
  }

  cutHost(n: number): Promise<void> {
    return setLink(n, false);
  }
  restoreHost(n: number): Promise<void> {
    return setLink(n, true);
  }

  async api<T = any>(method: string, p: string, body?: unknown, i = 0): Promise<ApiResult<T>> {
    const res = await fetch(`http://127.0.0.1:${this.controllers[i].api}/api${p}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* plain text (logs) */
    }
    return { status: res.status, body: parsed as T };
  }

  async nodes(): Promise<Array<{ id: string; hostname: string; status: string }>> {
    return (await this.api('GET', '/nodes')).body;
  }

  cli(args: string[], timeoutMs = 60_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, BERTH_HOST: this.controllers.map((c) => `127.0.0.1:${c.api}`).join(','), BERTH_TOKEN: this.token, ...extraEnv };
    return sh('node', ['--no-deprecation', path.join(DIST, 'cli/src/main.js'), ...args], { env, timeoutMs, allowFail: true });
  }

  /**
   * containers lists runc's view of host n: id → {pid, status}. runc list fails when a container is deleted
   * while it reads the states: that is asked again (it counted as an empty host before).
   */
  async containers(n: number): Promise<Map<string, { pid: number; status: string }>> {
    for (let attempt = 1; ; attempt++) {
      const r = await sh('runc', [`--root=${path.join(this.hostDir(n), 'runc')}`, 'list', '--format', 'json'], { allowFail: true });
      if (r.code === 0) {
        const list = (JSON.parse(r.stdout || 'null') ?? []) as Array<{ id: string; pid: number; status: string }>;
        return new Map(list.map((c) => [c.id, { pid: c.pid, status: c.status }]));
      }
      if (attempt === 5) throw new Error(`runc list on h${n}: ${r.stderr.trim()}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** runningContainers counts what runc runs on every host; NaN (equal to no count) while a host cannot be listed. */
  async runningContainers(): Promise<number> {
    let n = 0;
    for (let h = 1; h <= this.opts.hosts; h++) {
      const listed = await this.containers(h).catch(() => undefined);
      if (!listed) return NaN;
      n += [...listed.values()].filter((c) => c.status === 'running').length;
    }
    return n;
  }

  async stop(): Promise<void> {
    for (const p of this.agents.values()) await stopProcess(p);
    for (let n = 1; n <= this.opts.hosts; n++) await killContainers(path.join(this.hostDir(n), 'runc'));
    for (const c of this.controllers) if (c.proc) await stopProcess(c.proc);
    if (this.registryProc) await stopProcess(this.registryProc);
    await cleanupLab();
    const client = new pg.Client({ connectionString: this.adminDb });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${this.db} WITH (FORCE)`).catch(() => {});
    await client.end();
    const redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => {});
    try {
      await redis.connect();
      const keys = await redis.keys(`lab-${this.id}:*`);
      if (keys.length) await redis.del(...keys);
    } catch {
      /* a lab Redis already gone took its keys with it */
    }
    redis.disconnect();
  }
}
