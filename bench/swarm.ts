/**
 * SwarmLab: Docker Swarm as the convergence benchmark's anchor, on a little
 * network of its own. A bridge `berthswarm0` (10.251.0.1/24) in the root
 * namespace and one network namespace per host (berth-swarm-hN, eth0 =
 * 10.251.0.(10+N)/24, no default route), each running a private dockerd
 * (Debian's docker.io) entered with nsenter, with its data, exec root,
 * socket and pid file under ROOT. h1 inits the swarm, the others join as
 * workers; every node gets busybox:latest imported from
 * deploy/busybox-rootfs.sh, so nothing is ever pulled. converge() creates
 * or scales a service and times it until exactly N tasks run, by the
 * manager and by the containers on the nodes. Processes are ended only by
 * the pids we started or read from our own pid files (containerd's shims,
 * which keep none, by our containerd socket on their command line); static
 * cleanup() removes what a crashed run left behind.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, stopProcess, tail, type LabProcess } from '../test/lab/proc.js';
import { sh, waitFor } from '../test/lab/sh.js';
import { privateDockerdArgs } from '../test/fixtures/dockerd.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROOT = path.join(os.tmpdir(), 'berth-swarm');
const DOCKERD = '/usr/sbin/dockerd';
const BRIDGE = 'berthswarm0';
const NS_PREFIX = 'berth-swarm-';
const CGROUP = 'berth-swarm'; // every node's containers go under it, apart from any other Docker's
const STOP_GRACE_MS = 20_000;

/** The benchmark's workload: exits at once on SIGTERM, so scale-down measures orchestration. */
export const SLEEPER = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

const hostNs = (n: number) => `${NS_PREFIX}h${n}`;
const hostAddr = (n: number) => `10.251.0.${10 + n}`;
const hostDir = (n: number) => path.join(ROOT, `h${n}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Host {
  n: number;
  sock: string;
  proc: LabProcess;
}

export class SwarmLab {
  private constructor(private readonly hosts: Host[]) {}

  /** start builds the network, starts one dockerd per host and forms the swarm; cleans up a previous run first. */
  static async start(hosts = 3): Promise<SwarmLab> {
    await SwarmLab.cleanup();
    await mkdir(ROOT, { recursive: true });
    const lab = new SwarmLab([]);
    try {
      await writeFile(path.join(ROOT, 'daemon.json'), '{}\n'); // not /etc/docker/daemon.json
      const image = path.join(ROOT, 'busybox.tar');
      await sh('bash', [path.join(REPO, 'deploy/busybox-rootfs.sh'), image], { timeoutMs: 60_000 });
      await sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
      await sh('ip', ['addr', 'add', '10.251.0.1/24', 'dev', BRIDGE]);
      await sh('ip', ['link', 'set', BRIDGE, 'up']);
      for (let n = 1; n <= hosts; n++) {
        await createHost(n);
        lab.hosts.push(startDockerd(n));
      }
      await Promise.all(lab.hosts.map((h) => lab.waitAnswering(h)));
      await lab.docker(1, ['swarm', 'init', '--advertise-addr', hostAddr(1), '--listen-addr', `${hostAddr(1)}:2377`], 60_000);
      const token = (await lab.docker(1, ['swarm', 'join-token', '-q', 'worker'])).trim();
      for (let n = 2; n <= hosts; n++) {
        await lab.docker(n, ['swarm', 'join', '--token', token, '--advertise-addr', hostAddr(n), '--listen-addr', `${hostAddr(n)}:2377`, `${hostAddr(1)}:2377`], 60_000);
      }
      await waitFor(
        `${hosts} swarm nodes ready`,
        async () => {
          const nodes = await lab.api<{ Status: { State: string } }[]>(1, '/nodes');
          return nodes.filter((x) => x.Status.State === 'ready').length === hosts;
        },
        60_000,
        250,
      );
      await Promise.all(lab.hosts.map((h) => lab.docker(h.n, ['import', image, 'busybox:latest'], 60_000)));
      return lab;
    } catch (err) {
      await lab.stop();
      throw err;
    }
  }

  /**
   * converge creates the service if absent, else scales it, and resolves with
   * the seconds until exactly `replicas` tasks run: the manager sees that many
   * running and that many containers run on the nodes. Rejects after timeoutMs.
   */
  async converge(name: string, replicas: number, command: string[] = SLEEPER, timeoutMs = 300_000): Promise<number> {
    const services = await this.api<{ Spec: { Name: string } }[]>(1, `/services?filters=${filter({ name: [name] })}`);
    const exists = services.some((s) => s.Spec.Name === name); // the filter matches prefixes
    const t0 = performance.now();
    if (exists) await this.docker(1, ['service', 'scale', '--detach', `${name}=${replicas}`]);
    else await this.docker(1, ['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--replicas', String(replicas), 'busybox:latest', ...command]);
    for (;;) {
      const [tasks, containers] = await Promise.all([this.runningTasks(name), this.runningContainers(name)]);
      if (tasks === replicas && containers === replicas) return (performance.now() - t0) / 1000;
      if (performance.now() - t0 > timeoutMs) {
        throw new Error(`swarm: ${name} not at ${replicas} within ${timeoutMs} ms (tasks running ${tasks}, containers running ${containers})`);
      }
      await sleep(100);
    }
  }

  /** remove deletes the service and waits (bounded) until none of its containers is left running. */
  async remove(name: string, timeoutMs = 120_000): Promise<void> {
    await this.docker(1, ['service', 'rm', name]);
    await waitFor(`${name}'s containers gone`, async () => (await this.runningContainers(name)) === 0, timeoutMs, 200);
  }

  /** stop ends every dockerd (SIGTERM, SIGKILL after a bound) and removes everything start made. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => stopProcess(h.proc, 'SIGTERM', STOP_GRACE_MS)));
    await SwarmLab.cleanup();
  }

  /**
   * cleanup removes what a previous run left: dockerd, containerd and
   * container processes named by pid files under ROOT (checked to be ours),
   * the containers' empty cgroups, mounts under ROOT, the berth-swarm-
   * namespaces, the bridge, ROOT.
   */
  static async cleanup(): Promise<void> {
    const dirs = existsSync(ROOT) ? (await readdir(ROOT)).filter((d) => /^h\d+$/.test(d)).map((d) => path.join(ROOT, d)) : [];
    await Promise.all(
      dirs.map(async (dir) => {
        await endOwnProcess(await readPid(path.join(dir, 'dockerd.pid')), 'SIGTERM', STOP_GRACE_MS);
        await endOwnProcess(await readPid(path.join(dir, 'exec/containerd/containerd.pid')), 'SIGTERM', 10_000);
        await killContainers(dir);
      }),
    );
    await removeCgroups();
    const mounts = (await ourMounts()).reverse(); // children first
    for (let i = 0; i < mounts.length; i += 200) await sh('umount', ['-l', ...mounts.slice(i, i + 200)], { allowFail: true, timeoutMs: 60_000 });
    const { stdout } = await sh('ip', ['netns', 'list'], { allowFail: true });
    for (const ns of stdout.split('\n').map((l) => l.split(' ')[0] ?? '')) {
      if (ns.startsWith(NS_PREFIX)) await sh('ip', ['netns', 'del', ns], { allowFail: true });
    }
    await sh('ip', ['link', 'del', BRIDGE], { allowFail: true });
    const left = await ourMounts();
    if (left.length > 0) throw new Error(`swarm cleanup: still mounted, ${ROOT} kept: ${left.slice(0, 5).join(' ')}`);
    await rm(ROOT, { recursive: true, force: true });
  }

  /** docker runs the CLI against host n's daemon; throws with its stderr on failure. */
  async docker(n: number, args: string[], timeoutMs = 30_000): Promise<string> {
    const env = { ...process.env, DOCKER_HOST: `unix://${this.host(n).sock}`, DOCKER_CONFIG: path.join(hostDir(n), 'config') };
    return (await sh('docker', args, { env, timeoutMs })).stdout;
  }

  /** api GETs a path from host n's Engine API and parses the JSON. */
  api<T>(n: number, p: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = http.get({ socketPath: this.host(n).sock, path: p, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`GET ${p}: ${res.statusCode} ${body.trim()}`))));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${p}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
    });
  }

  /** runningTasks counts the service's tasks the manager has as running, whatever their desired state. */
  async runningTasks(name: string): Promise<number> {
    const tasks = await this.api<{ Status: { State: string } }[]>(1, `/tasks?filters=${filter({ service: [name] })}`);
    return tasks.filter((t) => t.Status.State === 'running').length;
  }

  /** runningContainers counts the service's containers running on all nodes. */
  async runningContainers(name: string): Promise<number> {
    const q = `/containers/json?filters=${filter({ label: [`com.docker.swarm.service.name=${name}`] })}`;
    const counts = await Promise.all(this.hosts.map(async (h) => (await this.api<unknown[]>(h.n, q)).length));
    return counts.reduce((a, b) => a + b, 0);
  }

  private host(n: number): Host {
    const h = this.hosts[n - 1];
    if (!h) throw new Error(`swarm: no host ${n}`);
    return h;
  }

  private async waitAnswering(h: Host): Promise<void> {
    try {
      await waitFor(`dockerd on h${h.n}`, async () => (await this.api<{ Version: string }>(h.n, '/version', 2_000)).Version, 30_000, 250);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${tail(h.proc)}`, { cause: err });
    }
  }
}

async function createHost(n: number): Promise<void> {
  const ns = hostNs(n);
  await sh('ip', ['netns', 'add', ns]);
  await sh('ip', ['link', 'add', `bswarm-h${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await sh('ip', ['link', 'set', `bswarm-h${n}`, 'master', BRIDGE, 'up']);
  await sh('ip', ['-n', ns, 'addr', 'add', `${hostAddr(n)}/24`, 'dev', 'eth0']);
  await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

/**
 * startDockerd runs a private dockerd in host n's namespace. nsenter only
 * switches the network namespace (ip netns exec would remount /sys) and
 * execs dockerd, so the pid we hold is dockerd's. No default bridge, no
 * iptables: tasks get only loopback, all a sleeping workload needs.
 */
function startDockerd(n: number): Host {
  const dir = hostDir(n);
  const sock = path.join(dir, 'docker.sock');
  const args = [
    `--net=/run/netns/${hostNs(n)}`,
    DOCKERD,
    '--config-file',
    path.join(ROOT, 'daemon.json'),
    ...privateDockerdArgs(dir, sock),
    '--shutdown-timeout',
    '5',
    '--cgroup-parent',
    `/${CGROUP}`,
  ];
  mkdirSync(dir, { recursive: true });
  // Use the imported image as it is: without this the agent tries the registry before every task.
  const env = { DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' };
  return { n, sock, proc: startProcess(`swarm-dockerd-h${n}`, 'nsenter', args, path.join(dir, 'dockerd.log'), env) };
}

/** removeCgroups removes the empty cgroups under CGROUP in every hierarchy (cgroup v1 or v2), then CGROUP. */
async function removeCgroups(): Promise<void> {
  const hierarchies = ['', ...(await readdir('/sys/fs/cgroup').catch(() => []))];
  for (const h of hierarchies) {
    const parent = path.join('/sys/fs/cgroup', h, CGROUP);
    if (!existsSync(parent)) continue;
    for (const child of await readdir(parent, { withFileTypes: true })) {
      if (child.isDirectory()) await rmdir(path.join(parent, child.name)).catch(() => undefined);
    }
    await rmdir(parent).catch(() => undefined);
  }
}

async function ourMounts(): Promise<string[]> {
  const lines = (await readFile('/proc/self/mounts', 'utf8')).split('\n');
  return lines.map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(ROOT + '/'));
}

const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

async function readPid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** stat gives a live process's parent pid; undefined when it is gone or a zombie. */
async function stat(pid: number): Promise<{ ppid: number } | undefined> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return s && fields[0] !== 'Z' ? { ppid: Number(fields[1]) } : undefined;
}

const procText = (pid: number, file: string) => readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');

/** sendSignal sends sig to pid; a process that is already gone is no error. */
function sendSignal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (await stat(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** endOwnProcess signals pid if its command line names ROOT (so a reused pid is left alone), then SIGKILLs it after graceMs. */
async function endOwnProcess(pid: number | undefined, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!pid || !(await stat(pid)) || !(await procText(pid, 'cmdline')).includes(ROOT)) return;
  sendSignal(pid, signal);
  if (await waitGone(pid, graceMs)) return;
  sendSignal(pid, 'SIGKILL');
  await waitGone(pid, 5_000);
}

/**
 * killContainers SIGKILLs what a dead containerd left under dir: each
 * container's init (from its bundle's init.pid, checked to be in that
 * container's cgroup), then every shim serving our containerd socket (its
 * command line names that socket and a bundle id of ours). Shims keep no pid
 * file and outlive containerd, so they are found by those two arguments.
 */
async function killContainers(dir: string): Promise<void> {
  const bundles = path.join(dir, 'exec/containerd/daemon/io.containerd.runtime.v2.task/moby');
  const ids = existsSync(bundles) ? await readdir(bundles) : [];
  if (ids.length === 0) return;
  const inits: number[] = [];
  for (const id of ids) {
    const pid = await readPid(path.join(bundles, id, 'init.pid'));
    if (pid && (await stat(pid)) && (await procText(pid, 'cgroup')).includes(id)) inits.push(pid);
  }
  inits.forEach((pid) => sendSignal(pid, 'SIGKILL'));
  await Promise.all(inits.map((pid) => waitGone(pid, 5_000)));
  const sock = path.join(dir, 'exec/containerd/containerd.sock');
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const argv = (await procText(pid, 'cmdline')).split('\0');
    const arg = (flag: string) => argv[argv.indexOf(flag) + 1];
    if (argv[0]?.endsWith('containerd-shim-runc-v2') && arg('-address') === sock && ids.includes(arg('-id') ?? '')) {
      sendSignal(pid, 'SIGKILL');
      await waitGone(pid, 5_000);
    }
  }
}
