// The agent runtime on the real host: the Berth registry, conmon + runc, overlayfs, CNI and
// iptables, in a network namespace of the test's own (test/fixtures/runtime-host.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, waitFor } from '../lab/sh.js';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import { pushBusybox } from '../fixtures/registry-process.js';
import { ContainerNotFoundError, ImageNotFoundError, InvalidTaskIdError, RuntimeError } from '../../apps/agent/src/errors.js';
import { createPipeline } from '../../apps/agent/src/worker/index.js';
import { UnknownNetworkError } from '../../apps/agent/src/network/index.js';
import type { TaskSpec } from '#libs/proto/messages.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const { octet, spec, logText, mountsUnder, cgroupDirs } = h;
  const needsImage = h.skip ? { skip: h.skip } : {};
  let natBaseline = '';
  const run = async (s: TaskSpec) => {
    await h.rt.prepare(s);
    return h.rt.start(s.id);
  };
  /** iptables-save without comments and packet counters. */
  const rules = async () =>
    (await sh('iptables-save', [])).stdout
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/, ''))
      .join('\n');

  /** assertGone checks that remove() left nothing of the container on the host. */
  async function assertGone(taskId: string): Promise<void> {
    const { cfg } = h;
    assert.deepEqual(await mountsUnder(path.join(cfg.stateDir, 'containers', taskId)), [], 'no mounts');
    assert.equal(existsSync(path.join(cfg.stateDir, 'containers', taskId)), false, 'no container dir');
    assert.ok(!(await sh('runc', [`--root=${cfg.runcRoot}`, 'list', '-q'])).stdout.split('\n').includes(taskId), 'no runc state');
    assert.deepEqual(await cgroupDirs(taskId), [], 'no cgroup dirs');
    const leases = path.join(cfg.stateDir, 'cni', 'ipam');
    const held = (await sh('grep', ['-rl', taskId, leases], { allowFail: true })).stdout.trim();
    assert.equal(held, '', 'no IP lease');
    assert.doesNotMatch(await rules(), /CNI-/, 'no per-container iptables chains');
  }

  before(() => h.setup());
  after(() => h.cleanup());

  test('bridge container: pull, run, address, logs, graceful-less stop, exit code, remove leaves nothing', needsImage, async () => {
    const s = spec(['sh', '-c', 'echo $GREETING; sleep 30']);
    const st = await run(s);
    assert.equal(st.state, 'running');
    assert.match(st.address, new RegExp(`^10\\.210\\.${octet}\\.\\d+$`));
    const now = await h.rt.status(s.id);
    assert.equal(now.state, 'running');
    assert.equal(now.address, st.address);
    assert.ok(now.pid && now.pid > 1);
    const inNs = async (file: string) => (await sh('nsenter', [`--net=/proc/${now.pid}/ns/net`, 'cat', file])).stdout.trim();
    assert.equal(await inNs('/proc/sys/net/ipv6/conf/eth0/disable_ipv6'), '1', 'eth0 has no IPv6');
    await waitFor('hello in the logs', async () => (await logText(h.rt, s.id)).includes('hello'), 5_000, 50);
    natBaseline = await rules();
    assert.match(natBaseline, new RegExp(`-A POSTROUTING -s 10\\.210\\.${octet}\\.0/24 .*MASQUERADE`));
    // sh as pid 1 has no TERM handler, so the grace period runs out and KILL follows.
    const t0 = Date.now();
    await h.rt.stop(s.id, 800);
    assert.ok(Date.now() - t0 >= 700, 'waited for the grace period');
    const done = await h.rt.status(s.id);
    assert.equal(done.state, 'exited');
    assert.equal(done.exitCode, 137);
    await h.rt.remove(s.id);
    assert.equal((await h.rt.status(s.id)).state, 'absent');
    await assertGone(s.id);
    assert.equal(await rules(), natBaseline, 'iptables back to the one NAT rule');
  });

  test('a TERM-handling container stops within its grace period with its own exit code', needsImage, async () => {
    const s = spec(['sh', '-c', 'trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done']);
    await run(s);
    await waitFor('ready', async () => (await logText(h.rt, s.id)).includes('ready'), 5_000, 50);
    const t0 = Date.now();
    await h.rt.stop(s.id, 10_000);
    assert.ok(Date.now() - t0 < 5_000);
    assert.deepEqual([(await h.rt.status(s.id)).state, (await h.rt.status(s.id)).exitCode], ['exited', 0]);
    await h.rt.remove(s.id);
    await assertGone(s.id);
  });

  test("the image's StopSignal stops it, its WorkingDir is made, and pull credentials never reach the disk", needsImage, async () => {
    const custom = await pushBusybox(h.registry!, h.dir, 'test/sigint', 'v1', undefined, { stopSignal: 'SIGINT', workingDir: '/made/by/berth' });
    const s = {
      ...spec(['sh', '-c', 'trap "echo got INT; exit 5" INT; pwd; while true; do sleep 0.1; done'], 'none', custom),
      pullAuth: { username: '', password: '', bearerToken: 'secret-token-never-stored' },
    };
    await run(s);
    await waitFor('pwd printed', async () => (await logText(h.rt, s.id)).includes('/made/by/berth'), 5_000, 50);
    await h.rt.stop(s.id, 10_000);
    assert.equal((await h.rt.status(s.id)).exitCode, 5, 'stopped by SIGINT, not TERM');
    assert.match(await logText(h.rt, s.id), /got INT/);
    const leaked = (await sh('grep', ['-rl', 'secret-token-never-stored', h.cfg.stateDir], { allowFail: true })).stdout.trim();
    assert.equal(leaked, '', 'no credentials on disk');
    await h.rt.remove(s.id);
    await assertGone(s.id);
  });

  test("the image's VOLUMEs become anonymous volumes seeded from the image, which outlive the container", needsImage, async () => {
    const img = await pushBusybox(h.registry!, h.dir, 'test/vol', 'v1', undefined, { volumes: ['/etc'] });
    const s = spec(['sh', '-c', 'echo kept > /etc/volume-test; grep -c root /etc/passwd; sleep 30'], 'none', img);
    await run(s);
    await waitFor('output', async () => /^1$/m.test(await logText(h.rt, s.id)), 5_000, 50);
    const [vol] = (await h.rt.status(s.id)).imageVolumes ?? [];
    assert.equal(vol?.target, '/etc');
    assert.match(vol.name, /^[0-9a-f]{64}$/);
    const data = path.join(h.cfg.stateDir, 'volumes', vol.name, '_data');
    await waitFor('written to the volume', async () => existsSync(path.join(data, 'volume-test')), 5_000, 50);
    assert.equal(existsSync(path.join(h.cfg.stateDir, 'containers', s.id, 'upper', 'etc', 'volume-test')), false, 'not in the container layer');
    await h.rt.stop(s.id, 0);
    await h.rt.remove(s.id);
    await assertGone(s.id);
    assert.ok(existsSync(path.join(data, 'volume-test')), 'kept after the container, until the volume is removed');
    await h.rt.removeVolumes([vol.name]);
    assert.equal(existsSync(data), false);
  });

  test('exit code 3 is reported by wait and status', needsImage, async () => {
    const s = spec(['sh', '-c', 'exit 3']);
    await run(s);
    assert.equal(await h.rt.wait(s.id), 3);
    assert.deepEqual([(await h.rt.status(s.id)).state, (await h.rt.status(s.id)).exitCode], ['exited', 3]);
    await h.rt.remove(s.id);
    await assertGone(s.id);
  });

  test('host networking shares the namespace; none has loopback only', needsImage, async () => {
    const host = spec(['cat', '/proc/net/dev'], 'host');
    const none = spec(['cat', '/proc/net/dev'], 'none');
    for (const s of [host, none]) {
      const st = await run(s);
      assert.equal(st.address, '');
      assert.equal(await h.rt.wait(s.id), 0);
    }
    assert.match(await logText(h.rt, host.id), new RegExp(`${h.cfg.bridgeName}:`), 'host container sees the test namespace bridge');
    const ifaces = (await logText(h.rt, none.id))
      .split('\n')
      .filter((l) => l.includes(':') && !l.includes('|'))
      .map((l) => l.split(':')[0].trim());
    assert.deepEqual(ifaces, ['lo']);
    for (const s of [host, none]) {
      await h.rt.remove(s.id);
      await assertGone(s.id);
    }
  });

  test('a missing image is ImageNotFoundError and leaves no container', needsImage, async () => {
    const s = spec(['true'], 'bridge', `${h.registry!.host}/library/nosuch:latest`);
    await assert.rejects(h.rt.prepare(s), ImageNotFoundError);
    assert.ok(!(await h.rt.list()).includes(s.id));
  });

  test('bad input: an unknown network, a bad task id, a missing executable (clear errors, nothing left)', needsImage, async () => {
    await assert.rejects(h.rt.prepare(spec(['true'], 'overlay9')), UnknownNetworkError);
    await assert.rejects(h.rt.prepare({ ...spec(['true']), id: '../escape' }), InvalidTaskIdError);
    const s = spec(['/no/such/binary']);
    await h.rt.prepare(s);
    await assert.rejects(h.rt.start(s.id), (e: Error) => e instanceof RuntimeError && /no such file/.test(e.message));
    // The task is over: nothing of it stays mounted or held until the controller forgets it.
    assert.equal((await h.rt.status(s.id)).state, 'absent');
    await assertGone(s.id);
    await assert.rejects(h.rt.start(s.id), ContainerNotFoundError, 'a second start finds nothing to trip over');
    await h.rt.remove(s.id);
  });

  test('logs: tail, and follow until the container exits', needsImage, async () => {
    const s = spec(['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done; echo err >&2']);
    await run(s);
    const followed: string[] = [];
    for await (const l of h.rt.logs(s.id, { follow: true, tail: -1 }, AbortSignal.timeout(10_000))) followed.push(`${l.stream}:${l.text}`);
    assert.deepEqual(followed, ['stdout:line1', 'stdout:line2', 'stdout:line3', 'stderr:err']);
    const last: string[] = [];
    for await (const l of h.rt.logs(s.id, { follow: false, tail: 2 })) last.push(l.text);
    assert.deepEqual(last, ['line3', 'err']);
    await h.rt.remove(s.id);
  });

  test('a second runtime on the same state dir re-adopts a running container', needsImage, async () => {
    const s = spec(['sh', '-c', 'echo adopt; sleep 30']);
    const st = await run(s);
    const again = await createPipeline(h.cfg);
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
    t.diagnostic(`prepare+start ms: p50 ${times[3].toFixed(0)}, min ${times[0].toFixed(0)}, max ${times[6].toFixed(0)}`);
    for (const x of ids) {
      await h.rt.remove(x);
      await assertGone(x);
    }
    assert.equal(await rules(), natBaseline, 'no iptables growth after many containers');
    assert.ok(times[3] < 2_000, 'p50 within 2 s even on a loaded machine');
  });
}
