// A host's state dir filling up during a pull (issue 11, chaos): the state dir is a small
// ext4 filesystem on a loop device, mostly taken by a ballast file; an image with a 24 MB
// layer cannot fit. The task fails
// with the reason, what the failed pull wrote is gone (a small image then runs in the space
// left), and once the ballast goes the same image pulls whole: nothing half-written was
// taken for the layer.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import { buildSingleLayerImage, pushImage } from '#libs/oci';
import { createPipeline } from '../../apps/agent/src/worker/index.js';
import { sh } from '../lab/sh.js';

const BIG_BYTES = 24 * 1024 * 1024;

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const needsImage = h.skip ? { skip: h.skip } : {};
  let fsImage = '';
  let loop = '';
  let bigImage = '';

  before(async () => {
    await h.setup();
    if (h.skip) return;
    // An image whose one layer is busybox plus 24 MB of random bytes (incompressible).
    const work = path.join(h.dir, 'big');
    await mkdir(work);
    await sh('bash', ['-c', `cp "${h.dir}/busybox.tar" "${work}/rootfs.tar" && head -c ${BIG_BYTES} /dev/urandom > "${work}/big" && tar -C "${work}" -rf "${work}/rootfs.tar" big`]);
    const img = await buildSingleLayerImage(path.join(work, 'rootfs.tar'), { cmd: ['sh'] });
    await pushImage(h.registry!.host, 'library/big', 'latest', img);
    bigImage = `${h.registry!.host}/library/big:latest`;
    await rm(path.dirname(img.layer.path), { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
    // The agent's state dir becomes a 96 MB filesystem of its own, 64 MB of it taken by a ballast file.
    await rm(h.cfg.stateDir, { recursive: true, force: true });
    await mkdir(h.cfg.stateDir, { recursive: true });
    fsImage = path.join(h.dir, 'state.ext4');
    await sh('truncate', ['-s', '96M', fsImage]);
    await sh('mkfs.ext4', ['-q', '-F', fsImage]);
    loop = (await sh('losetup', ['--find', '--show', fsImage])).stdout.trim();
    await sh('mount', [loop, h.cfg.stateDir]);
    await sh('fallocate', ['-l', '64M', path.join(h.cfg.stateDir, 'ballast')]);
    h.rt = await createPipeline(h.cfg);
  });

  after(async () => {
    // The loop filesystem goes before the fixture's cleanup removes the state dir under it.
    if (h.rt) for (const t of await h.rt.list()) await h.rt.remove(t).catch(() => {});
    for (const m of (await h.mountsUnder(`${h.cfg.stateDir}/`)).reverse()) await sh('umount', ['-l', m], { allowFail: true });
    if (loop) {
      await sh('umount', ['-l', h.cfg.stateDir], { allowFail: true });
      await sh('losetup', ['-d', loop], { allowFail: true });
    }
    await h.cleanup();
  });

  test('a pull that fills the disk fails the task with the reason, and frees what it wrote', needsImage, async () => {
    const free = async () => Number((await sh('df', ['-B1', '--output=avail', h.cfg.stateDir])).stdout.split('\n')[1]);
    const before = await free();
    const spec = h.spec(['wc', '-c', '/big'], 'none', bigImage);
    await assert.rejects(h.rt.prepare(spec), (err: Error) => /no space left on device|ENOSPC/i.test(err.message), 'the reason is the full disk');
    await h.rt.remove(spec.id).catch(() => {});
    const after = await free();
    assert.ok(after > before - 4 * 1024 * 1024, `the failed pull left ${Math.round((before - after) / 1e6)} MB behind`);
    // The runtime keeps working: a small image runs in the space that is left.
    const small = await h.runToEnd(h.spec(['echo', 'still working'], 'none'));
    assert.deepEqual([small.code, small.out.trim()], [0, 'still working']);
  });

  test('once the disk has room, the same image pulls whole', needsImage, async () => {
    await rm(path.join(h.cfg.stateDir, 'ballast'));
    const r = await h.runToEnd(h.spec(['wc', '-c', '/big'], 'none', bigImage));
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.trim().split(/\s+/)[0], String(BIG_BYTES), 'the whole layer, not what a failed pull left');
  });
}
