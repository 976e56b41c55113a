/**
 * unpackLayer extracts one image layer (tar, optionally gzip) into an empty
 * directory, safely: absolute paths, `..` components, writes through
 * symlinks, hardlinks leaving the layer and device nodes reject the whole
 * layer. OCI whiteouts become overlayfs whiteouts (`.wh.x` → a 0:0 char
 * device, `.wh..wh..opq` → the trusted.overlay.opaque xattr) so layers can
 * be stacked as overlay lower dirs; as the image spec says, a whiteout hides
 * lower layers only, never an entry of its own layer. Returns the diff_id
 * (sha256 of the uncompressed tar). With a budget, file content is
 * counted against it as it is written and the unpack stops at the limit.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, rm, symlink, utimes } from 'node:fs/promises';
import { DIR_MODE, mkdirMode } from '../fs/modes.js';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { run } from '../exec/run.js';
import type { UnpackBudget } from './unpack-budget.js';

export class UnsafeLayerError extends Error {}
export class UnsupportedLayerError extends Error {}

/** cleanName normalises an entry name to a relative path, or throws. */
export function cleanName(name: string): string {
  if (name.startsWith('/')) throw new UnsafeLayerError(`absolute path in layer: ${name}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new UnsafeLayerError(`path traversal in layer: ${name}`);
  return parts.join('/');
}

/** checkParents refuses to write below a symlink (the write would land outside the layer). */
async function checkParents(root: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = path.join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) return;
    if (st.isSymbolicLink()) throw new UnsafeLayerError(`layer writes through symlink ${path.relative(root, cur)}`);
    if (!st.isDirectory()) throw new UnsafeLayerError(`layer writes below non-directory ${path.relative(root, cur)}`);
  }
}

/** ensureParent makes the missing parents of an entry, 0755 as other unpackers do (never from the umask). */
async function ensureParent(root: string, rel: string): Promise<void> {
  await checkParents(root, rel);
  await mkdirMode(path.dirname(path.join(root, rel)));
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function isZstd(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528;
}

/** peek reads the first bytes of a stream and returns a stream replaying everything. */
async function peek(src: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const it = src[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : (first.value as Buffer);
  async function* replay() {
    if (head.length) yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  }
  return { head, stream: Readable.from(replay()) };
}

/** UnpackOptions: how the layer's root is set up, and the image's budget (shared by all its layers). */
export interface UnpackOptions {
  layerRoot?: boolean;
  budget?: UnpackBudget;
}

/**
 * With `layerRoot` (dest is a new layer's own directory) the root becomes
 * root:root 0755, or what the tar's `./` entry says; without it (ADD into
 * an existing directory) the destination's own owner and mode are kept.
 */
export async function unpackLayer(src: Readable, dest: string, opts: UnpackOptions = {}): Promise<string> {
  await mkdirMode(dest);
  if (opts.layerRoot) {
    await lchown(dest, 0, 0);
    await chmod(dest, DIR_MODE);
  }
  const { head, stream } = await peek(src);
  if (isZstd(head)) {
    src.destroy();
    throw new UnsupportedLayerError('zstd-compressed layers are not supported (gzip or plain tar only)');
  }
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(c: Buffer, _e, cb) {
      hash.update(c);
      cb(null, c);
    },
  });
  const extract = tar.extract();
  const dirTimes: Array<[string, Date]> = [];
  const feed = pipeline(isGzip(head) ? ([stream, createGunzip(), hasher, extract] as never) : ([stream, hasher, extract] as never));
  const consume = (async () => {
    for await (const entry of extract) {
      try {
        await writeEntry(dest, entry.header, entry as unknown as Readable, dirTimes, opts);
      } finally {
        entry.resume();
      }
    }
  })();
  try {
    await Promise.all([feed, consume]);
  } catch (err) {
    extract.destroy();
    throw err;
  }
  for (const [p, t] of dirTimes.reverse()) await utimes(p, t, t).catch(() => {});
  return `sha256:${hash.digest('hex')}`;
}

async function writeEntry(root: string, h: tar.Header, body: Readable, dirTimes: Array<[string, Date]>, opts: UnpackOptions): Promise<void> {
  const rel = cleanName(h.name);
  if (rel === '') {
    // `./`: the layer root's own owner and mode (the image's `/`).
    if (opts.layerRoot && h.type === 'directory') {
      await lchown(root, h.uid ?? 0, h.gid ?? 0);
      await chmod(root, (h.mode ?? DIR_MODE) & 0o7777);
      dirTimes.push([root, h.mtime ?? new Date(0)]);
    }
    return;
  }
  const base = path.basename(rel);
  const dir = path.dirname(rel);
  const mtime = h.mtime ?? new Date(0);
  if (base === '.wh..wh..opq') {
    // Opaque dir: lower layers' entries of `dir` are hidden; this layer's own entries stay.
    await ensureParent(root, rel);
    const target = path.join(root, dir);
    const st = await lstat(target).catch(() => undefined);
    if (st && !st.isDirectory()) throw new UnsafeLayerError(`opaque marker ${rel} below a non-directory`);
    await mkdirMode(target);
    await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', target]);
    return;
  }
  if (base.startsWith('.wh..wh.')) return; // other reserved AUFS metadata (.wh..wh.plnk…) carries nothing for overlay
  if (base.startsWith('.wh.')) {
    const name = base.slice(4);
    if (name === '' || name === '.' || name === '..') throw new UnsafeLayerError(`invalid whiteout ${rel}`);
    const victim = path.join(dir, name);
    await ensureParent(root, victim);
    // A whiteout hides lower layers only: if this layer has the entry itself, the entry already hides them.
    if (await lstat(path.join(root, victim)).catch(() => undefined)) return;
    await run('mknod', [path.join(root, victim), 'c', '0', '0']);
    return;
  }
  await ensureParent(root, rel);
  const full = path.join(root, rel);
  const mode = (h.mode ?? 0o644) & 0o7777;
  const existing = await lstat(full).catch(() => undefined);
  if (existing && !(existing.isDirectory() && h.type === 'directory')) await rm(full, { recursive: true, force: true });
  switch (h.type) {
    case 'directory':
      await mkdirMode(full, mode);
      dirTimes.push([full, mtime]);
      break;
    case 'file':
    case 'contiguous-file':
      await pipeline(body, opts.budget?.meter() ?? new PassThrough(), createWriteStream(full, { mode }));
      break;
    case 'symlink':
      await symlink(h.linkname ?? '', full);
      break;
    case 'link': {
      const target = cleanName(h.linkname ?? '');
      await checkParents(root, target);
      const tst = await lstat(path.join(root, target)).catch(() => undefined);
      if (!tst) throw new UnsafeLayerError(`hardlink ${rel} to missing ${target}`);
      if (tst.isDirectory()) throw new UnsafeLayerError(`hardlink ${rel} to directory ${target}`);
      await link(path.join(root, target), full);
      // The inode already carries its owner, mode and times; touching it
      // through `full` could follow a symlink out of the layer.
      return;
    }
    case 'fifo':
      await run('mknod', ['-m', mode.toString(8), full, 'p']);
      break;
    case 'character-device':
    case 'block-device':
      throw new UnsafeLayerError(`device node in layer: ${rel}`);
    default:
      return; // pax headers and unknown kinds carry no file
  }
  await lchown(full, h.uid ?? 0, h.gid ?? 0);
  // chmod after chown: chown clears the setuid/setgid bits.
  if (h.type !== 'symlink') await chmod(full, mode);
  if (h.type === 'symlink') await lutimes(full, mtime, mtime).catch(() => {});
  else if (h.type !== 'directory') await utimes(full, mtime, mtime);
}
