// The agent runtime on the real host: the Berth registry, conmon + runc, overlayfs, CNI and
// iptables. Runs inside a network namespace of its own: the file re-executes itself under
// `nsenter --net` (not `ip netns exec`, which remounts /sys and hides the cgroup tree runc
// needs) and deletes the namespace afterwards, so the bridge, its veths and NAT rules never
// touch the machine's own stack. The inner run reports its tests straight to the runner.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, waitFor } from '../lab/sh.js';
import { pushBusybox, registryMissingReason, startRegistry, type RegistryProcess } from '../fixtures/registry-process.js';
import { createRuntime, ImageNotFoundError, InvalidTaskIdError, RuntimeError, type Runtime, type RuntimeConfig } from '../../apps/agent/src/runtime/index.js';
import { UnknownNetworkError } from '../../apps/agent/src/network/index.js';
import type { TaskSpec } from '../../libs/proto/messages.js';

const NETNS_ENV = 'BERTH_RT_NETNS';
const CGROUP_ROOT = '/sys/fs/cgroup';

async function runInOwnNetns(): Promise<number> {
  const name = `berth-rt-${randomBytes(3).toString('hex')}`;
  await sh('ip', ['netns', 'add', name]);
  try {
    const child = spawn('nsenter', [`--net=/run/netns/${name}`, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)], {
      stdio: 'inherit', env: { ...process.env, [NETNS_ENV]: name },
    });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGTERM', forward).on('SIGINT', forward);
    return await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        process.stderr.write(`cannot run nsenter: ${err.message}\n`);
        resolve(1);
      });
      child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
    });
  } finally {
    await sh('ip', ['netns', 'del', name], { allowFail: true });
  }
}

if (process.env[NETNS_ENV]) defineSuite();
else process.exitCode = await runInOwnNetns();

function defineSuite(): void {
  const id = randomBytes(3).toString('hex');
  const octet = 1 + (randomBytes(1)[0]! % 250);
  let dir = '';
  let cfg: RuntimeConfig;
  let rt: Runtime;
  let registry: RegistryProcess | undefined;
  let image = '';
  const skip = registryMissingReason();
  const needsImage = skip ? { skip } : {};
  let natBaseline = '';

  const spec = (command: string[], network = 'bridge', img = image): TaskSpec => ({
    id: `rt${randomBytes(6).toString('hex')}`, name: 'rt', serviceId: '', slot: 0, image: img, command, env: ['GREETING=hello'], networks: [{ name: network }], desiredState: 0, stopGraceMs: 1000,
  });
  const run = async (s: TaskSpec) => {
    await rt.prepare(s);
    return rt.start(s.id);
  };
  const logText = async (r: Runtime, taskId: string) => {
    const out: string[] = [];
    for await (const l of r.logs(taskId, { follow: false, tail: -1 })) out.push(l.text);
    return out.join('\n');
  };
  /** iptables-save without comments and packet counters. */
  const rules = async () => (await sh('iptables-save', [])).stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n');
  const cgroupDirs = async (sub: string) => {
    const found: string[] = [];
    for (const ctl of await readdir(CGROUP_ROOT).catch(() => [] as string[])) {
      const d = path.join(CGROUP_ROOT, ctl, cfg.cgroupParent, sub);
      if (existsSync(d)) found.push(d);
    }
    return found;
  };
  const mountsUnder = async (prefix: string) => (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(prefix));

  /** assertGone checks that remove() left nothing of the container on the host. */
  async function assertGone(taskId: string): Promise<void> {
    assert.deepEqual(await mountsUnder(path.join(cfg.stateDir, 'containers', taskId)), [], 'no mounts');
    assert.equal(existsSync(path.join(cfg.stateDir, 'containers', taskId)), false, 'no container dir');
    assert.ok(!(await sh('runc', [`--root=${cfg.runcRoot}`, 'list', '-q'])).stdout.split('\n').includes(taskId), 'no runc state');
    assert.deepEqual(await cgroupDirs(taskId), [], 'no cgroup dirs');
    const leases = path.join(cfg.stateDir, 'cni', 'ipam');
    const held = (await sh('grep', ['-rl', taskId, leases], { allowFail: true })).stdout.trim();
    assert.equal(held, '', 'no IP lease');
    assert.doesNotMatch(await rules(), /CNI-/, 'no per-container iptables chains');
  }

  async function cleanup(): Promise<void> {
    if (rt) for (const t of await rt.list()) await rt.remove(t).catch((e: Error) => process.stderr.write(`cleanup ${t}: ${e.message}\n`));
    if (cfg) {
      for (const m of (await mountsUnder(`${cfg.stateDir}/`)).reverse()) await sh('umount', ['-l', m], { allowFail: true });
      for (const ctl of await readdir(CGROUP_ROOT).catch(() => [] as string[])) {
        const parent = path.join(CGROUP_ROOT, ctl, cfg.cgroupParent);
        for (const sub of await readdir(parent, { withFileTypes: true }).catch(() => [])) if (sub.isDirectory()) await rmdir(path.join(parent, sub.name)).catch(() => {});
        await rmdir(parent).catch(() => {});
      }
    }
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
  process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

  before(async () => {
    await sh('ip', ['link', 'set', 'lo', 'up']);
    dir = await mkdtemp(path.join(tmpdir(), `berth-rt-${id}-`));
    cfg = {
      stateDir: path.join(dir, 'state'), runcRoot: path.join(dir, 'runc'), cgroupParent: `berth-rt-${id}`,
      bridgeName: `brt${id}`, bridgeSubnet: `10.210.${octet}.0/24`, cniPath: '/usr/lib/cni', insecureRegistries: [],
    };
    if (!skip) {
      registry = await startRegistry(dir);
      image = await pushBusybox(registry, dir);
      cfg.insecureRegistries.push(registry.host);
    }
    rt = await createRuntime(cfg);
  });

  after(cleanup);

  test('bridge container: pull, run, address, logs, graceful-less stop, exit code, remove leaves nothing', needsImage, async () => {
    const s = spec(['sh', '-c', 'echo $GREETING; sleep 30']);
    const st = await run(s);
    assert.equal(st.state, 'running');
    assert.match(st.address, new RegExp(`^10\\.210\\.${octet}\\.\\d+$`));
    const now = await rt.status(s.id);
    assert.equal(now.state, 'running');
    assert.equal(now.address, st.address);
    assert.ok(now.pid && now.pid > 1);
    const inNs = async (file: string) => (await sh('nsenter', [`--net=/proc/${now.pid}/ns/net`, 'cat', file])).stdout.trim();
    assert.equal(await inNs('/proc/sys/net/ipv6/conf/eth0/disable_ipv6'), '1', 'eth0 has no IPv6');
    await waitFor('hello in the logs', async () => (await logText(rt, s.id)).includes('hello'), 5_000, 50);
    natBaseline = await rules();
    assert.match(natBaseline, new RegExp(`-A POSTROUTING -s 10\\.210\\.${octet}\\.0/24 .*MASQUERADE`));
    // sh as pid 1 has no TERM handler, so the grace period runs out and KILL follows.
    const t0 = Date.now();
    await rt.stop(s.id, 800);
    assert.ok(Date.now() - t0 >= 700, 'waited for the grace period');
    const done = await rt.status(s.id);
    assert.equal(done.state, 'exited');
    assert.equal(done.exitCode, 137);
    await rt.remove(s.id);
    assert.equal((await rt.status(s.id)).state, 'absent');
    await assertGone(s.id);
    assert.equal(await rules(), natBaseline, 'iptables back to the one NAT rule');
  });

  test('a TERM-handling container stops within its grace period with its own exit code', needsImage, async () => {
    const s = spec(['sh', '-c', 'trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done']);
    await run(s);
    await waitFor('ready', async () => (await logText(rt, s.id)).includes('ready'), 5_000, 50);
    const t0 = Date.now();
    await rt.stop(s.id, 10_000);
    assert.ok(Date.now() - t0 < 5_000);
    assert.deepEqual([(await rt.status(s.id)).state, (await rt.status(s.id)).exitCode], ['exited', 0]);
    await rt.remove(s.id);
    await assertGone(s.id);
  });

  test("the image's StopSignal stops it, its WorkingDir is made, and pull credentials never reach the disk", needsImage, async () => {
    const custom = await pushBusybox(registry!, dir, 'test/sigint', 'v1', undefined, { stopSignal: 'SIGINT', workingDir: '/made/by/berth' });
    const s = { ...spec(['sh', '-c', 'trap "echo got INT; exit 5" INT; pwd; while true; do sleep 0.1; done'], 'none', custom), pullAuth: { username: '', password: '', bearerToken: 'secret-token-never-stored' } };
    await run(s);
    await waitFor('pwd printed', async () => (await logText(rt, s.id)).includes('/made/by/berth'), 5_000, 50);
    await rt.stop(s.id, 10_000);
    assert.equal((await rt.status(s.id)).exitCode, 5, 'stopped by SIGINT, not TERM');
    assert.match(await logText(rt, s.id), /got INT/);
    const leaked = (await sh('grep', ['-rl', 'secret-token-never-stored', cfg.stateDir], { allowFail: true })).stdout.trim();
    assert.equal(leaked, '', 'no credentials on disk');
    await rt.remove(s.id);
    await assertGone(s.id);
  });

  test("the image's VOLUMEs become per-container volumes seeded from the image and removed with it", needsImage, async () => {
    const img = await pushBusybox(registry!, dir, 'test/vol', 'v1', undefined, { volumes: ['/etc'] });
    const s = spec(['sh', '-c', 'echo kept > /etc/volume-test; grep -c root /etc/passwd; sleep 30'], 'none', img);
    await run(s);
    await waitFor('output', async () => /^1$/m.test(await logText(rt, s.id)), 5_000, 50);
    const cdir = path.join(cfg.stateDir, 'containers', s.id);
    await waitFor('written to the volume', async () => existsSync(path.join(cdir, 'volumes', '0', 'volume-test')), 5_000, 50);
    assert.equal(existsSync(path.join(cdir, 'upper', 'etc', 'volume-test')), false, 'not in the container layer');
    await rt.stop(s.id, 0);
    await rt.remove(s.id);
    await assertGone(s.id);
  });

  test('exit code 3 is reported by wait and status', needsImage, async () => {
    const s = spec(['sh', '-c', 'exit 3']);
    await run(s);
    assert.equal(await rt.wait(s.id), 3);
    assert.deepEqual([(await rt.status(s.id)).state, (await rt.status(s.id)).exitCode], ['exited', 3]);
    await rt.remove(s.id);
    await assertGone(s.id);
  });

  test('host networking shares the namespace; none has loopback only', needsImage, async () => {
    const host = spec(['cat', '/proc/net/dev'], 'host');
    const none = spec(['cat', '/proc/net/dev'], 'none');
    for (const s of [host, none]) {
      const st = await run(s);
      assert.equal(st.address, '');
      assert.equal(await rt.wait(s.id), 0);
    }
    assert.match(await logText(rt, host.id), new RegExp(`${cfg.bridgeName}:`), 'host container sees the test namespace bridge');
    const ifaces = (await logText(rt, none.id)).split('\n').filter((l) => l.includes(':') && !l.includes('|')).map((l) => l.split(':')[0]!.trim());
    assert.deepEqual(ifaces, ['lo']);
    for (const s of [host, none]) {
      await rt.remove(s.id);
      await assertGone(s.id);
    }
  });

  test('a missing image is ImageNotFoundError and leaves no container', needsImage, async () => {
    const s = spec(['true'], 'bridge', `${registry!.host}/library/nosuch:latest`);
    await assert.rejects(rt.prepare(s), ImageNotFoundError);
    assert.ok(!(await rt.list()).includes(s.id));
  });

  test('bad input: an unknown network, a bad task id, a missing executable (clear errors, nothing left)', needsImage, async () => {
    await assert.rejects(rt.prepare(spec(['true'], 'overlay9')), UnknownNetworkError);
    await assert.rejects(rt.prepare({ ...spec(['true']), id: '../escape' }), InvalidTaskIdError);
    const s = spec(['/no/such/binary']);
    await rt.prepare(s);
    await assert.rejects(rt.start(s.id), (e: Error) => e instanceof RuntimeError && /no such file/.test(e.message));
    assert.equal((await rt.status(s.id)).state, 'prepared');
    await assert.rejects(rt.start(s.id), RuntimeError, 'a retry fails the same way instead of tripping over leftovers');
    await rt.remove(s.id);
    await assertGone(s.id);
  });

  test('logs: tail, and follow until the container exits', needsImage, async () => {
    const s = spec(['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done; echo err >&2']);
    await run(s);
    const followed: string[] = [];
    for await (const l of rt.logs(s.id, { follow: true, tail: -1 }, AbortSignal.timeout(10_000))) followed.push(`${l.stream}:${l.text}`);
    assert.deepEqual(followed, ['stdout:line1', 'stdout:line2', 'stdout:line3', 'stderr:err']);
    const last: string[] = [];
    for await (const l of rt.logs(s.id, { follow: false, tail: 2 })) last.push(l.text);
    assert.deepEqual(last, ['line3', 'err']);
    await rt.remove(s.id);
  });

  test('a second runtime on the same state dir re-adopts a running container', needsImage, async () => {
    const s = spec(['sh', '-c', 'echo adopt; sleep 30']);
    const st = await run(s);
    const again = await createRuntime(cfg);
    assert.ok((await again.list()).includes(s.id));
    const seen = await again.status(s.id);
    assert.deepEqual([seen.state, seen.pid, seen.address], ['running', st.pid, st.address]);
    await waitFor('adopt in the logs', async () => (await logText(again, s.id)).includes('adopt'), 5_000, 50);
    const waiting = again.wait(s.id);
    await again.stop(s.id, 0);
    assert.equal(await waiting, 137);
    await again.remove(s.id);
    await assertGone(s.id);
  });

  test('prepare + start of a present image (latency)', needsImage, async (t) => {
    const times: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const s = spec(['sleep', '30']);
      ids.push(s.id);
      const t0 = performance.now();
      await run(s);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    t.diagnostic(`prepare+start ms: p50 ${times[3]!.toFixed(0)}, min ${times[0]!.toFixed(0)}, max ${times[6]!.toFixed(0)}`);
    for (const x of ids) {
      await rt.remove(x);
      await assertGone(x);
    }
    assert.equal(await rules(), natBaseline, 'no iptables growth after many containers');
    assert.ok(times[3]! < 2_000, 'p50 within 2 s even on a loaded machine');
  });
}
