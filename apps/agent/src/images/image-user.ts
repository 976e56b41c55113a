/**
 * The image's user: `User` of an image config ("uid[:gid]" or
 * "name[:group]") resolved to numbers against the image's own /etc/passwd
 * and /etc/group, read from its layers as overlayfs would show them (the
 * topmost layer that has the file wins; a whiteout or an opaque /etc above
 * hides lower ones); or, for a build step, from its root filesystem with
 * symlinks resolved inside it (scopedPath). Either way an image cannot make
 * the agent read a file of the host: a layer's symlinked file is not
 * followed, and only regular files up to MAX_ETC_BYTES are read (never a
 * FIFO that would block or a device that never ends).
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { InvalidSpecError } from '../errors.js';
import { run } from '../exec/run.js';
import { scopedPath } from '../fs/scoped-path.js';
import type { LocalImage } from './image-store.js';

/** MAX_ETC_BYTES: 1 MiB; a passwd or group file bigger than that is refused, not buffered. */
const MAX_ETC_BYTES = 1024 * 1024;

export interface ImageUser {
  uid: number;
  gid: number;
}

/** parseUser resolves "uid[:gid]" or "name[:group]" against passwd/group file contents. */
export function parseUser(spec: string, passwd: string, group: string): ImageUser {
  if (!spec) return { uid: 0, gid: 0 };
  const [u, g] = spec.split(':');
  if (!u || g === '') throw new InvalidSpecError(`image User "${spec}" must be user[:group]`);
  const rows = (file: string) =>
    file
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  const pw = rows(passwd);
  const gr = rows(group);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const row = pw.find((r) => r[2] === u);
    if (row) gid = Number(row[3]);
  } else {
    const row = pw.find((r) => r[0] === u);
    if (!row) throw new InvalidSpecError(`user "${u}" not found in the image's /etc/passwd`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const row = gr.find((r) => r[0] === g);
      if (!row) throw new InvalidSpecError(`group "${g}" not found in the image's /etc/group`);
      gid = Number(row[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}

/**
 * readEtcFile reads /etc/<name> at `file` if it is a regular file ("" when
 * absent or anything else). Opened with O_NOFOLLOW and O_NONBLOCK, and
 * checked to be the inode lstat saw, so a swapped-in symlink or FIFO is
 * never followed or waited on.
 */
async function readEtcFile(file: string, name: string): Promise<string> {
  const seen = await lstat(file).catch(() => undefined);
  if (!seen?.isFile()) return '';
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!fh) return '';
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.ino !== seen.ino || st.dev !== seen.dev) return '';
    if (st.size > MAX_ETC_BYTES) throw new InvalidSpecError(`the image's /etc/${name} is ${st.size} bytes, more than the ${MAX_ETC_BYTES} read of it`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (!bytesRead) break;
      got += bytesRead;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** isOpaque: does this layer's directory hide the layers below (trusted.overlay.opaque, see unpack.ts)? */
async function isOpaque(dir: string): Promise<boolean> {
  const { stdout } = await run('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', dir]).catch(() => ({ stdout: '' }));
  return stdout.trim() === 'y';
}

/** readImageEtc reads /etc/<name> as the image's merged root shows it; "" when it has none. */
export async function readImageEtc(layerDirs: string[], name: string): Promise<string> {
  for (const layer of [...layerDirs].reverse()) {
    const etc = await lstat(path.join(layer, 'etc')).catch(() => undefined);
    if (!etc) continue;
    if (!etc.isDirectory()) return '';
    const file = path.join(layer, 'etc', name);
    // Any entry hides the layers below; only a regular file is read (a symlink is not followed).
    if (await lstat(file).catch(() => undefined)) return readEtcFile(file, name);
    if (await isOpaque(path.join(layer, 'etc'))) return '';
  }
  return '';
}

/** imageUser resolves the image's User (root when it names none). */
export async function imageUser(image: Pick<LocalImage, 'config' | 'layerDirs'>): Promise<ImageUser> {
  const spec = image.config.config?.User ?? '';
  if (!spec) return { uid: 0, gid: 0 };
  return parseUser(spec, await readImageEtc(image.layerDirs, 'passwd'), await readImageEtc(image.layerDirs, 'group'));
}

/** rootfsUser resolves a user spec against a root filesystem's /etc/passwd and /etc/group (a build step's merged view). */
export async function rootfsUser(rootfs: string, spec: string): Promise<ImageUser> {
  if (!spec) return { uid: 0, gid: 0 };
  const etc = async (name: string) => {
    const file = await scopedPath(rootfs, `/etc/${name}`).catch(() => undefined);
    return file ? readEtcFile(file, name) : '';
  };
  return parseUser(spec, await etc('passwd'), await etc('group'));
}
