// imageUser and rootfsUser specs: /etc/passwd read from the layers as overlayfs shows them (top
// layer first, whiteouts and opaque dirs hide lower ones) or from a build step's rootfs with its
// symlinks resolved inside it; never a host file, a FIFO, or more than 1 MiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../exec/run.js';
import { InvalidSpecError } from '../errors.js';
import { imageUser, readImageEtc, rootfsUser } from './image-user.js';

const PASSWD = 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';

async function layers(n: number): Promise<{ dirs: string[]; done: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'image-user-'));
  const dirs = Array.from({ length: n }, (_, i) => path.join(root, `l${i}`));
  for (const d of dirs) await mkdir(path.join(d, 'etc'), { recursive: true });
  return { dirs, done: () => rm(root, { recursive: true, force: true }) };
}

test('the topmost layer with the file wins; a named user resolves to its ids', async () => {
  const { dirs, done } = await layers(2);
  try {
    await writeFile(path.join(dirs[0], 'etc/passwd'), PASSWD);
    assert.equal(await readImageEtc(dirs, 'passwd'), PASSWD, 'found below a layer without it');
    await writeFile(path.join(dirs[1], 'etc/passwd'), 'app:x:2000:2000::/:/bin/sh\n');
    const config = { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers' as const, diff_ids: [] } };
    assert.deepEqual(await imageUser({ config, layerDirs: dirs }), { uid: 2000, gid: 2000 });
    assert.deepEqual(await imageUser({ config: { ...config, config: {} }, layerDirs: dirs }), { uid: 0, gid: 0 }, 'no User: root');
  } finally {
    await done();
  }
});

test('a whiteout or an opaque /etc above hides the file; a symlink is not followed', async () => {
  const { dirs, done } = await layers(2);
  try {
    await writeFile(path.join(dirs[0], 'etc/passwd'), PASSWD);
    await run('mknod', [path.join(dirs[1], 'etc/passwd'), 'c', '0', '0']);
    assert.equal(await readImageEtc(dirs, 'passwd'), '', 'whiteout');
    await rm(path.join(dirs[1], 'etc/passwd'));
    await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(dirs[1], 'etc')]);
    assert.equal(await readImageEtc(dirs, 'passwd'), '', 'opaque dir');
    await symlink('/etc/passwd', path.join(dirs[1], 'etc/group'));
    assert.equal(await readImageEtc(dirs, 'group'), '', 'symlink to the host');
  } finally {
    await done();
  }
});

/** hostFile writes, outside any image, a passwd naming a user only the host has. */
async function hostFile(dir: string): Promise<{ file: string; user: string }> {
  const user = `hostonly${process.pid}x${Date.now()}`;
  const file = path.join(dir, 'host-passwd');
  await writeFile(file, `${user}:x:4242:4242::/:/bin/sh\n`);
  return { file, user };
}

test("an image's /etc/passwd symlinked to a host file resolves users against the image only", async () => {
  const { dirs, done } = await layers(1);
  try {
    const { file, user } = await hostFile(path.dirname(dirs[0]));
    await symlink(file, path.join(dirs[0], 'etc/passwd'));
    const config = { architecture: 'amd64', os: 'linux', config: { User: user }, rootfs: { type: 'layers' as const, diff_ids: [] } };
    await assert.rejects(imageUser({ config, layerDirs: dirs }), new RegExp(`user "${user}" not found in the image's /etc/passwd`));
    // A build step's rootfs: the absolute target is taken inside the rootfs, where it names the image's own file.
    const rootfs = dirs[0];
    await assert.rejects(rootfsUser(rootfs, user), new RegExp(`user "${user}" not found`), 'not the host file');
    await mkdir(path.join(rootfs, path.dirname(file)), { recursive: true });
    await writeFile(path.join(rootfs, file), PASSWD);
    assert.deepEqual(await rootfsUser(rootfs, 'app'), { uid: 1000, gid: 1000 }, 'the link resolved inside the rootfs');
    await assert.rejects(rootfsUser(rootfs, user), /not found/);
  } finally {
    await done();
  }
});

test('a FIFO or an oversized /etc/passwd is never waited on or buffered', { timeout: 10_000 }, async () => {
  const { dirs, done } = await layers(1);
  try {
    await run('mkfifo', [path.join(dirs[0], 'etc/passwd')]);
    await assert.rejects(rootfsUser(dirs[0], 'app'), /not found/, 'a FIFO reads as no file');
    await rm(path.join(dirs[0], 'etc/passwd'));
    await writeFile(path.join(dirs[0], 'etc/passwd'), `${PASSWD}${'#'.repeat(1024 * 1024)}\n`);
    const config = { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers' as const, diff_ids: [] } };
    for (const resolve of [() => rootfsUser(dirs[0], 'app'), () => imageUser({ config, layerDirs: dirs })])
      await assert.rejects(resolve(), (e: Error) => e instanceof InvalidSpecError && /\/etc\/passwd is \d+ bytes, more than the 1048576 read of it/.test(e.message));
  } finally {
    await done();
  }
});
