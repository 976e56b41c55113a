// imageUser specs: /etc/passwd read from the layers as overlayfs shows them (top layer first,
// whiteouts and opaque dirs hide lower ones), symlinks never followed to the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../exec/run.js';
import { imageUser, readImageEtc } from './image-user.js';

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
