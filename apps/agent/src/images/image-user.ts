/**
 * The image's user: `User` of an image config ("uid[:gid]" or
 * "name[:group]") resolved to numbers against the image's own /etc/passwd
 * and /etc/group, read from its layers as overlayfs would show them (the
 * topmost layer that has the file wins; a whiteout or an opaque /etc above
 * hides lower ones). Symlinks are not followed, so an image cannot make the
 * agent read a file of the host.
 */
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidSpecError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LocalImage } from './image-store.js';

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
    const file = await lstat(path.join(layer, 'etc', name)).catch(() => undefined);
    if (file) return file.isFile() ? readFile(path.join(layer, 'etc', name), 'utf8') : '';
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
