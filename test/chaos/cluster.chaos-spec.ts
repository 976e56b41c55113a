// Chaos: the 3-host, 2-controller lab on a Postgres and a Redis of its own, with a service
// being scaled and a probe container asking the service's VIP every 100 ms, while controllers
// are killed, Postgres restarts and freezes, Redis dies and comes back empty, hosts are cut
// off, an agent is frozen, the machine is loaded, and a host's disk fills up during a pull
// (that host's state dir is a small filesystem of its own from the start). After each case: the probe answers again
// within 10 s, exactly the desired tasks run (by the API and by runc on every host) with one
// task per slot, no container runs that no task owns, no rootfs stays mounted without its
// container, and the volume written at the start still holds its data.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Lab } from '../lab/lab.js';
import { labCgroups, labMounts } from '../lab/cleanup.js';
import { leftoverNamespaces } from '../lab/net.js';
import { sh, waitFor } from '../lab/sh.js';
import { startPostgresServer, type PostgresServer } from '../fixtures/postgres-server.js';
import { startRedisServer, type RedisServer } from '../fixtures/redis-server.js';
import { Probe } from './probe.js';
import { clusterState } from './cluster-state.js';
import { NodeWatch } from '../lab/node-watch.js';

const ROOT = '/tmp/berth-chaos';
const SERVICE = 'web';
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www'];
/** The host whose state dir is a filesystem of its own, filled up in the disk-full case; the image that cannot fit. */
const SMALL_DISK = { host: 3, mb: 320 };
const BIG_BYTES = 32 * 1024 * 1024;

let pg: PostgresServer;
let redis: RedisServer;
let lab: Lab;
let probe: Probe;

async function scale(replicas: number, controller = 0): Promise<void> {
  const r = await lab.api('PATCH', `/services/${SERVICE}`, { replicas }, controller);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** converged waits for the cluster to settle on `replicas` tasks and checks every invariant. */
async function converged(t: TestContext, replicas: number, timeoutMs = 90_000): Promise<void> {
  let last = '';
  await waitFor(
    `${replicas} tasks running and nothing else`,
    async () => {
      const s = await clusterState(lab, SERVICE, probe.containerId);
      last = s.problems.join('; ');
      return s.running === replicas && !s.problems.length;
    },
    timeoutMs,
    500,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last}`);
  });
  const data = await lab.cli(['run', '--rm', '-v', 'chaosdata:/data', 'busybox', 'cat', '/data/file']);
  assert.equal(data.stdout.trim(), 'precious', `volume data: ${data.stderr}`);
  t.diagnostic(`converged on ${replicas}`);
}

/** chaos runs one case with the probe counting; the probe must answer again within 10 s after it. */
async function chaos(t: TestContext, what: () => Promise<void>): Promise<void> {
  const from = Date.now();
  await what();
  const to = Date.now();
  await probe.answersAfter(to, 10_000);
  const { ok, failed } = await probe.counts(from, to);
  t.diagnostic(`probe during the case: ${ok} answered, ${failed} failed`);
}

describe('chaos', { timeout: 1_500_000 }, () => {
  before(async () => {
    await rm(ROOT, { recursive: true, force: true });
    pg = await startPostgresServer(`${ROOT}/postgres`);
    redis = await startRedisServer(`${ROOT}/redis`);
    lab = await Lab.start({ hosts: 3, controllers: 2, nodeDownMs: 3000, adminDbUrl: pg.adminUrl, redisUrl: redis.url, smallDisk: SMALL_DISK });
    for (const args of [
      ['network', 'create', '-d', 'overlay', '--attachable', 'chaosnet'],
      ['service', 'create', '--name', SERVICE, '--replicas', '6', '--network', 'chaosnet', 'busybox', ...HTTPD],
      ['run', '--rm', '-v', 'chaosdata:/data', 'busybox', 'sh', '-c', 'echo precious > /data/file'],
    ]) {
      const r = await lab.cli(args, 120_000);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    probe = await Probe.start(lab, 'chaosnet', SERVICE);
  });

  after(async () => {
    await lab?.stop();
    await redis?.stop();
    await pg?.stop();
    await rm(ROOT, { recursive: true, force: true });
  });

  test('the service answers through its VIP from the start', async (t) => {
    await converged(t, 6);
    await probe.answersAfter(Date.now(), 20_000);
  });

  test('a controller replica killed mid scale-up, then both, then one started', async (t) => {
    await chaos(t, async () => {
      await scale(12, 1);
      await lab.stopController(0, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 1_000));
      await lab.stopController(1, 'SIGKILL');
      await lab.startController(1);
      await waitFor(
        'controller 1 answers',
        () =>
          lab.api('GET', '/info', undefined, 1).then(
            (r) => r.status === 200,
            () => false,
          ),
        30_000,
      );
    });
    await lab.startController(0);
    await waitFor(
      'controller 0 answers',
      () =>
        lab.api('GET', '/info', undefined, 0).then(
          (r) => r.status === 200,
          () => false,
        ),
      30_000,
    );
    await converged(t, 12);
  });

  test('Postgres restarting mid scale-down, then unreachable for 10 s', async (t) => {
    const downs = new NodeWatch(lab);
    await chaos(t, async () => {
      await scale(6);
      await pg.restart();
      await pg.freeze(10_000);
    });
    await converged(t, 6);
    assert.deepEqual(downs.stop(), [], 'no node marked down for the database');
  });

  test('Redis killed and back empty mid scale-up; a host failing after that is still detected and repaired', async (t) => {
    const victim = probe.otherHost();
    await chaos(t, async () => {
      await redis.kill();
      await scale(9);
      await new Promise((r) => setTimeout(r, 2_000));
      await redis.start();
      await converged(t, 9);
      await lab.cutHost(victim);
      await waitFor(`h${victim} down`, async () => (await lab.nodes()).find((n) => n.hostname === `h${victim}`)?.status === 'down', 30_000);
      await waitFor(
        `9 running off h${victim}`,
        async () => {
          const s = await clusterState(lab, SERVICE, probe.containerId, [victim]);
          return s.running === 9 && s.onHosts[victim - 1] === 0;
        },
        60_000,
        500,
      );
    });
    await lab.restoreHost(victim);
    await converged(t, 9);
  });

  test('a host partitioned and healed twice: briefly (nothing moves), then past the node-down period', async (t) => {
    const victim = probe.otherHost();
    await chaos(t, async () => {
      await lab.cutHost(victim);
      await new Promise((r) => setTimeout(r, 1_500));
      await lab.restoreHost(victim);
      assert.equal((await lab.nodes()).find((n) => n.hostname === `h${victim}`)?.status, 'ready', 'a 1.5 s cut is under the node-down period');
      await lab.cutHost(victim);
      await waitFor(`h${victim} down`, async () => (await lab.nodes()).find((n) => n.hostname === `h${victim}`)?.status === 'down', 30_000);
      await lab.restoreHost(victim);
    });
    await converged(t, 9);
  });

  test('an agent frozen (SIGSTOP) past the node-down period, then let go on (SIGCONT)', async (t) => {
    const victim = probe.otherHost();
    const agent = lab.agents.get(victim)!;
    await chaos(t, async () => {
      agent.child.kill('SIGSTOP');
      try {
        await waitFor(`h${victim} down`, async () => (await lab.nodes()).find((n) => n.hostname === `h${victim}`)?.status === 'down', 30_000);
      } finally {
        agent.child.kill('SIGCONT');
      }
    });
    await converged(t, 9);
  });

  test('the machine loaded by stress-ng on both cores during a scale-up to 200', async (t) => {
    const stress = spawn('stress-ng', ['--cpu', '2', '--timeout', '600s', '--quiet'], { stdio: 'ignore' });
    const exited = new Promise((r) => stress.once('exit', r));
    const downs = new NodeWatch(lab);
    try {
      await chaos(t, async () => {
        await scale(200);
        await converged(t, 200, 300_000);
      });
      assert.deepEqual(downs.stop(), [], 'no busy node marked down');
    } finally {
      downs.stop();
      stress.kill('SIGTERM');
      await exited;
    }
    await scale(6);
    await converged(t, 6, 120_000);
  });

  test("a host's disk filling up during a pull: the task fails with the reason, the host works on, the image pulls whole once there is room", async (t) => {
    // An image of busybox plus 32 MB of random bytes (no compression helps it), imported by the CLI.
    const work = path.join(ROOT, 'big');
    await mkdir(work, { recursive: true });
    await sh('bash', ['-c', `cp "${lab.runDir}/busybox.tar" "${work}/rootfs.tar" && head -c ${BIG_BYTES} /dev/urandom > "${work}/big" && tar -C "${work}" -rf "${work}/rootfs.tar" big`]);
    const imported = await lab.cli(['image', 'import', path.join(work, 'rootfs.tar'), 'big:latest'], 120_000);
    assert.equal(imported.code, 0, imported.stderr);
    await rm(work, { recursive: true, force: true });
    const disk = lab.hostDir(SMALL_DISK.host);
    const ballast = path.join(disk, 'ballast');
    const big = () => lab.api<Array<{ node: string; state: string; desiredState: string; error: string }>>('GET', '/services/big/tasks?all=1').then((r) => r.body);
    const downs = new NodeWatch(lab);
    await chaos(t, async () => {
      const free = Number((await sh('df', ['-B1', '--output=avail', disk])).stdout.split('\n')[1]);
      await sh('fallocate', ['-l', String(free - 16 * 1024 * 1024), ballast]);
      const created = await lab.cli(['service', 'create', '--name', 'big', '--replicas', '3', 'big', 'sh', '-c', 'wc -c < /big; exec sleep 3600'], 60_000);
      assert.equal(created.code, 0, created.stderr);
      await waitFor(
        `a task on h${SMALL_DISK.host} failing for the full disk`,
        async () => (await big()).some((x) => x.node === `h${SMALL_DISK.host}` && ['rejected', 'failed'].includes(x.state) && /no space left on device/i.test(x.error)),
        120_000,
        500,
      );
      await rm(ballast);
      await waitFor(
        `3 tasks of big running, one on h${SMALL_DISK.host}`,
        async () => {
          const running = (await big()).filter((x) => x.state === 'running' && x.desiredState === 'running');
          return running.length === 3 && running.some((x) => x.node === `h${SMALL_DISK.host}`);
        },
        120_000,
        500,
      );
    });
    assert.deepEqual(downs.stop(), [], 'no node marked down for its full disk');
    // Every task, the full-disk host's included, saw the whole file: nothing half-written was taken for the layer.
    await waitFor('each task to print the file size', async () => ((await lab.cli(['service', 'logs', 'big'])).stdout.match(new RegExp(`\\b${BIG_BYTES}\\b`, 'g')) ?? []).length >= 3, 30_000);
    const removed = await lab.cli(['service', 'rm', 'big']);
    assert.equal(removed.code, 0, removed.stderr);
    await converged(t, 6);
  });

  test('teardown after all that leaves no namespaces, mounts, loop devices or cgroups', async () => {
    await lab.stop();
    assert.deepEqual(await leftoverNamespaces(), []);
    assert.deepEqual(await labMounts(), []);
    assert.deepEqual(await labCgroups(), []);
    const loops = (await sh('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE'])).stdout.split('\n').map((l) => l.trim());
    assert.deepEqual(
      loops.filter((f) => f.startsWith(lab.runDir)),
      [],
    );
  });
});
