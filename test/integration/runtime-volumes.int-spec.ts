// Mounts through the real runtime (runc, overlayfs) in a network namespace of the test's own:
// a named volume written by one container and read by another, seeded from the image on first
// use, surviving the container; read-only enforced; tmpfs in memory and gone with the
// container; binds with a missing source refused; volumes in use kept; nothing left mounted.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNetns, runtimeHost, toMount, type MountFields } from '../fixtures/runtime-host.js';
import type { TaskSpec } from '#libs/proto/messages.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const needsImage = h.skip ? { skip: h.skip } : {};
  const task = (command: string[], mounts: MountFields[]): TaskSpec => ({ ...h.spec(command, 'none'), mounts: mounts.map(toMount) });
  const { runToEnd } = h;
  let hostDir = '';

  before(async () => {
    await h.setup();
    hostDir = await mkdtemp(path.join(tmpdir(), 'berth-bind-'));
  });
  after(async () => {
    await h.cleanup();
    await rm(hostDir, { recursive: true, force: true });
  });

  test('a named volume: seeded from the image, written by one container, read by the next', needsImage, async () => {
    const vol: MountFields = { type: 'volume', source: 'shared', target: '/etc/seeded' };
    // The image has nothing at /etc/seeded, so the new volume starts empty; the /etc case below is seeded.
    const first = await runToEnd(task(['sh', '-c', 'ls /etc/seeded | wc -l; echo kept > /etc/seeded/note'], [vol]));
    assert.deepEqual([first.code, first.out.trim()], [0, '0']);
    const second = await runToEnd(task(['cat', '/etc/seeded/note'], [vol]));
    assert.deepEqual([second.code, second.out.trim()], [0, 'kept'], 'the data outlived the first container');
    const seeded = await runToEnd(task(['ls', '/etc/passwd'], [{ type: 'volume', source: 'etcvol', target: '/etc' }]));
    assert.equal(seeded.code, 0, "a new volume over the image's /etc starts with the image's files (copy-up)");
    assert.equal(await readFile(path.join(h.cfg.stateDir, 'volumes', 'shared', '_data', 'note'), 'utf8'), 'kept\n');
  });

  test('read-only mounts refuse writes; tmpfs is memory and leaves nothing; binds need their source', needsImage, async () => {
    await writeFile(path.join(hostDir, 'in'), 'from host\n');
    const ro = await runToEnd(task(['sh', '-c', 'cat /b/in; echo x > /b/out'], [{ type: 'bind', source: hostDir, target: '/b', readonly: true }]));
    assert.notEqual(ro.code, 0);
    assert.match(ro.out, /from host/);
    assert.match(ro.out, /Read-only file system/);
    assert.equal(existsSync(path.join(hostDir, 'out')), false);
    const rw = await runToEnd(task(['sh', '-c', 'echo y > /b/out'], [{ type: 'bind', source: hostDir, target: '/b' }]));
    assert.equal(rw.code, 0);
    assert.equal(await readFile(path.join(hostDir, 'out'), 'utf8'), 'y\n');
    const tmp = await runToEnd(task(['sh', '-c', 'grep " /scratch " /proc/mounts; stat -c %a /scratch'], [{ type: 'tmpfs', source: '', target: '/scratch', tmpfsSize: 8 << 20, tmpfsMode: 0o700 }]));
    assert.equal(tmp.code, 0);
    assert.match(tmp.out, /^tmpfs \/scratch tmpfs rw,nosuid,nodev.*size=8192k.*mode=700/m);
    assert.match(tmp.out, /^700$/m);
    const missing = task(['true'], [{ type: 'bind', source: path.join(hostDir, 'nope'), target: '/b' }]);
    await assert.rejects(h.rt.prepare(missing), /bind source .*nope does not exist on this host/);
    assert.deepEqual(await h.rt.list(), [], 'nothing left of the refused task');
  });

  test("local driver options mount a filesystem on the volume (Docker's type/device/o), kept until the volume goes", needsImage, async () => {
    const m: MountFields = { type: 'volume', source: 'ram', target: '/r', volumeOptions: { type: 'tmpfs', device: 'tmpfs', o: 'size=4m' } };
    const w = await runToEnd(task(['sh', '-c', 'grep " /r " /proc/mounts; echo kept > /r/f'], [m]));
    assert.equal(w.code, 0, w.out);
    assert.match(w.out, /^tmpfs \/r tmpfs .*size=4096k/m);
    assert.equal((await runToEnd(task(['cat', '/r/f'], [m]))).out.trim(), 'kept');
    const bad = task(['true'], [{ ...m, source: 'badfs', volumeOptions: { type: 'nosuchfs', device: 'none' } }]);
    await assert.rejects(h.rt.prepare(bad), /volume badfs: mount -t nosuchfs failed/);
    assert.deepEqual(await h.rt.removeVolumes(['ram', 'badfs']), ['ram', 'badfs']);
    assert.deepEqual(await h.mountsUnder(`${h.cfg.stateDir}/`), [], 'unmounted with the volume');
  });

  test('a volume a container here mounts cannot be removed; an unused one can', needsImage, async () => {
    const s = task(['sleep', '30'], [{ type: 'volume', source: 'busy', target: '/v' }]);
    await h.rt.prepare(s);
    await h.rt.start(s.id);
    await assert.rejects(h.rt.removeVolumes(['busy']), /volume busy is used by container rt/);
    await h.rt.remove(s.id);
    assert.deepEqual(await h.rt.removeVolumes(['busy', 'shared']), ['busy', 'shared']);
    assert.equal(existsSync(path.join(h.cfg.stateDir, 'volumes', 'busy')), false);
    assert.deepEqual(await h.mountsUnder(`${h.cfg.stateDir}/`), [], 'no mounts left');
  });
}
