// A real distribution's image under the default isolation (issue 13): the Debian minbase root
// filesystem deploy/prereqs.sh --tools makes with deploy/debian-rootfs.sh, imported as a one-layer image;
// glibc's programs (bash, perl, apt, dpkg, coreutils, threads through clone3's ENOSYS fallback)
// run under the seccomp filter, as root and as a user of the image's own /etc/passwd.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import { buildSingleLayerImage, pushImage } from '#libs/oci';
import { runOptions } from '../fixtures/run-options.js';

/** Where deploy/prereqs.sh --tools leaves the Debian root filesystem. */
const DEBIAN_ROOTFS = '/var/cache/berth/debian-bookworm.tar';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  let image = '';
  let skip = h.skip;

  before(async () => {
    await h.setup();
    if (skip) return;
    const tar = process.env.BERTH_DEBIAN_ROOTFS ?? DEBIAN_ROOTFS;
    if (!existsSync(tar)) {
      skip = `${tar} is missing (deploy/prereqs.sh --tools makes it with deploy/debian-rootfs.sh)`;
      return;
    }
    const img = await buildSingleLayerImage(tar, { cmd: ['bash'] });
    try {
      await pushImage(h.registry!.host, 'library/debian', '12', img);
    } finally {
      await rm(path.dirname(img.layer.path), { recursive: true, force: true });
    }
    image = `${h.registry!.host}/library/debian:12`;
  });

  after(() => h.cleanup());

  test("Debian's own programs run under the default seccomp profile, as root and as the image's nobody", async (t) => {
    if (skip) return t.skip(skip);
    const script = [
      'perl -e "print qq(perl ok\\n)"',
      'apt-get --version | head -1 | cut -d" " -f1',
      'dpkg --print-architecture',
      // A threaded program: sort --parallel makes threads (glibc tries clone3 first, gets ENOSYS, uses clone).
      'seq 1 20000 | sort -n --parallel=2 -S 1M | tail -1',
      'id -un',
    ].join('; ');
    const root = await h.runToEnd(h.spec(['bash', '-c', script], 'none', image));
    assert.equal(root.code, 0, root.out);
    assert.deepEqual(root.out.trim().split('\n'), ['perl ok', 'apt', 'amd64', '20000', 'root']);
    const nobody = await h.runToEnd({ ...h.spec(['bash', '-c', 'id -un; touch /etc/x 2>/dev/null || echo denied'], 'none', image), options: runOptions({ user: 'nobody' }) });
    assert.deepEqual([nobody.code, nobody.out.trim().split('\n')], [0, ['nobody', 'denied']]);
  });
}
