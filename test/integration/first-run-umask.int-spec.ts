// A first run on a fresh machine under `umask 077` (as deploy/quickstart.sh once leaked into
// the agent): an empty state dir, the umask set before the runtime makes anything, and an image
// whose USER is 1000. Everything the agent makes that the container sees (its `/`, /etc files,
// a missing WORKDIR, volume data, mountpoints) must be usable by that user.
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNetns, runtimeHost, toMount, type MountFields } from '../fixtures/runtime-host.js';
import { sh } from '../lab/sh.js';
import { REPO } from '../lab/lab.js';
import { buildSingleLayerImage, pushImage } from '#libs/oci';
import type { TaskSpec } from '#libs/proto/messages.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const needsImage = h.skip ? { skip: h.skip } : {};
  let image = '';
  const task = (command: string[], mounts: MountFields[] = []): TaskSpec => ({ ...h.spec(command, 'none', image), mounts: mounts.map(toMount) });

  /** pushUserImage: busybox plus /data (owned by 1000, with a file), USER 1000, a WORKDIR the layer lacks, VOLUME /anon. */
  async function pushUserImage(): Promise<string> {
    const work = await mkdtemp(path.join(tmpdir(), 'berth-umask-img-'));
    try {
      const tar = path.join(work, 'rootfs.tar');
      await sh('bash', [path.join(REPO, 'deploy/busybox-rootfs.sh'), tar]);
      const extra = path.join(work, 'extra');
      await mkdir(path.join(extra, 'data'), { recursive: true });
      await writeFile(path.join(extra, 'data', 'seed'), 'from the image\n');
      await chmod(path.join(extra, 'data'), 0o755);
      await chmod(path.join(extra, 'data', 'seed'), 0o644);
      await chown(path.join(extra, 'data'), 1000, 1000);
      await chown(path.join(extra, 'data', 'seed'), 1000, 1000);
      await sh('tar', ['--numeric-owner', '-C', extra, '-rf', tar, './data']);
      const img = await buildSingleLayerImage(tar, { cmd: ['cat', '/etc/hostname'], user: '1000', workingDir: '/srv/app/here', volumes: ['/anon'] });
      try {
        await pushImage(h.registry!.host, 'library/userimg', 'latest', img, {});
      } finally {
        await rm(path.dirname(img.layer.path), { recursive: true, force: true });
      }
      return `${h.registry!.host}/library/userimg:latest`;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  let saved = 0;
  before(async () => {
    // Before the runtime exists: its state dir, image store and everything else are made under 077.
    saved = process.umask(0o077);
    await h.setup();
    if (!h.skip) image = await pushUserImage();
  });
  after(async () => {
    await h.cleanup();
    process.umask(saved);
  });

  test("USER 1000 runs the image's command: `/` is 0755 and /etc/hostname readable", needsImage, async () => {
    const s = task([]);
    const r = await h.runToEnd({ ...s, command: [] });
    assert.deepEqual([r.code, r.out], [0, s.id.slice(0, 12)], 'cat /etc/hostname as uid 1000');
    const root = await h.runToEnd(task(['sh', '-c', 'id -u; stat -c %a /; cat /etc/hosts >/dev/null && echo hosts-ok; umask']));
    assert.deepEqual([root.code, root.out.split('\n')], [0, ['1000', '755', 'hosts-ok', '0022']]);
  });

  test('a WORKDIR the image lacks is made 0755 and is the working directory', needsImage, async () => {
    const r = await h.runToEnd(task(['sh', '-c', 'pwd; stat -c %a .; ls . && echo listed']));
    assert.deepEqual([r.code, r.out.split('\n')], [0, ['/srv/app/here', '755', 'listed']]);
  });

  test('volumes: a seeded one keeps the image owner, a new one and its mountpoint parents are 0755', needsImage, async () => {
    const seeded: MountFields = { type: 'volume', source: 'seeded', target: '/data' };
    const fresh: MountFields = { type: 'volume', source: 'fresh', target: '/deep/er/vol' };
    const scratch: MountFields = { type: 'tmpfs', source: '', target: '/scratch' };
    const r = await h.runToEnd(
      task(
        [
          'sh',
          '-c',
          [
            'cat /data/seed',
            'echo mine > /data/mine && echo wrote',
            'stat -c %a /deep /deep/er /deep/er/vol /anon',
            'ls /deep/er/vol /anon >/dev/null && echo listed',
            'touch /scratch/x && echo tmpfs-ok',
          ].join(' && '),
        ],
        [seeded, fresh, scratch],
      ),
    );
    assert.deepEqual([r.code, r.out.split('\n')], [0, ['from the image', 'wrote', '755', '755', '755', '755', 'listed', 'tmpfs-ok']]);
  });
}
