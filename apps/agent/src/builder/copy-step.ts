/**
 * COPY and ADD: resolve sources (paths or globs inside the build context,
 * or inside another stage's or image's filesystem for --from), hash them for
 * the cache key, and copy them into a step's merged view with Docker's
 * rules: a directory's contents are copied, not the directory; a trailing /
 * or several sources make the destination a directory; owner root unless
 * --chown. ADD also extracts local tar archives (safely, with the layer
 * unpacker); ADD from URLs is not supported yet and is refused.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, open, readdir, readlink, realpath, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { unpackLayer } from '../images/unpack.js';
import { rootfsUser } from '../images/image-user.js';
import { scopedPath } from '../fs/scoped-path.js';
import { mkdirMode } from '../fs/modes.js';

export class CopyError extends Error {}

function globToRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) throw new CopyError(`bad pattern "${segment}"`);
      re += `[${segment
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** resolveSources expands one source (relative to `root`, which it may not leave) to existing paths. */
export async function resolveSources(root: string, src: string): Promise<string[]> {
  const clean = path.posix.normalize(`/${src}`).slice(1);
  const segments = clean.split('/').filter(Boolean);
  let found = [''];
  for (const seg of segments) {
    const next: string[] = [];
    for (const base of found) {
      if (!/[*?[]/.test(seg)) {
        next.push(base ? `${base}/${seg}` : seg);
        continue;
      }
      const re = globToRegExp(seg);
      for (const name of (await readdir(path.join(root, base)).catch(() => [] as string[])).sort()) if (re.test(name)) next.push(base ? `${base}/${name}` : name);
    }
    found = next;
  }
  const out: string[] = [];
  const realRoot = await realpath(root);
  for (const rel of found) {
    const full = path.join(root, rel);
    const real = await realpath(full).catch(() => undefined);
    if (!real) continue;
    if (real !== realRoot && !real.startsWith(`${realRoot}/`)) throw new CopyError(`${src}: points outside the build context`);
    out.push(full);
  }
  if (!out.length) throw new CopyError(`${src}: no such file or directory in the build context`);
  return out;
}

/** hashSources digests paths, names, modes and contents: the cache key of a COPY. */
export async function hashSources(paths: string[]): Promise<string> {
  const h = createHash('sha256');
  const visit = async (p: string, rel: string): Promise<void> => {
    const st = await lstat(p);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isDirectory()) {
      for (const n of (await readdir(p)).sort()) await visit(path.join(p, n), `${rel}/${n}`);
    } else if (st.isSymbolicLink()) h.update(await readlink(p));
    else if (st.isFile()) for await (const c of createReadStream(p)) h.update(c as Buffer);
  };
  for (const p of paths) await visit(p, path.basename(p));
  return h.digest('hex');
}

async function isArchive(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return true;
    return bytesRead >= 262 && buf.toString('latin1', 257, 262) === 'ustar';
  } finally {
    await fh.close();
  }
}

/**
 * copyTree copies `src` to `destRel` inside the rootfs (a directory's
 * contents when `contentsOnly`), resolving every destination in scope, so a
 * symlink already in the image can never redirect a write out of it.
 */
async function copyTree(src: string, destRel: string, rootfs: string, owner: { uid: number; gid: number }, mode: number | undefined, contentsOnly = false): Promise<void> {
  const st = await lstat(src);
  if (st.isDirectory()) {
    const dest = await scopedPath(rootfs, destRel);
    if (!contentsOnly || !(await lstat(dest).catch(() => undefined))) {
      await mkdirMode(dest);
      await lchown(dest, owner.uid, owner.gid);
      await chmod(dest, mode ?? st.mode & 0o7777);
    }
    for (const n of (await readdir(src)).sort()) await copyTree(path.join(src, n), path.posix.join(destRel, n), rootfs, owner, mode);
    return;
  }
  const dest = await scopedPath(rootfs, destRel);
  await mkdirMode(path.dirname(dest));
  await rm(dest, { force: true, recursive: true });
  if (st.isSymbolicLink()) await symlink(await readlink(src), dest);
  else if (st.isFile()) await copyFile(src, dest);
  else return; // fifos, sockets and devices are not copied
  await lchown(dest, owner.uid, owner.gid);
  if (!st.isSymbolicLink()) {
    await chmod(dest, mode ?? st.mode & 0o7777);
    await utimes(dest, st.atime, st.mtime);
  }
}

export interface CopyInput {
  sources: string[];
  dest: string;
  /** The merged view the files go into. */
  rootfs: string;
  workingDir: string;
  chown?: string;
  chmod?: string;
  /** ADD: extract local archives. */
  extract: boolean;
}

export async function copyInto(c: CopyInput): Promise<void> {
  const destAbs = path.posix.isAbsolute(c.dest) ? c.dest : path.posix.join(c.workingDir || '/', c.dest);
  const destIsDir = c.dest.endsWith('/') || c.sources.length > 1;
  let owner = { uid: 0, gid: 0 };
  if (c.chown) {
    try {
      owner = await rootfsUser(c.rootfs, c.chown);
    } catch (err) {
      throw new CopyError(`--chown=${c.chown}: ${(err as Error).message}`);
    }
  }
  const mode = c.chmod !== undefined ? parseInt(c.chmod, 8) : undefined;
  if (c.chmod !== undefined && !/^[0-7]{3,4}$/.test(c.chmod)) throw new CopyError(`--chmod=${c.chmod}: must be an octal mode`);
  // Resolve destinations inside the rootfs; its symlinks never lead out of it.
  const inRoot = (p: string) => scopedPath(c.rootfs, p);
  for (const src of c.sources) {
    const st = await lstat(src);
    if (c.extract && st.isFile() && (await isArchive(src))) {
      const target = await inRoot(destAbs);
      await mkdirMode(target);
      await unpackLayer(createReadStream(src), target);
      continue;
    }
    const destStat = await lstat(await inRoot(destAbs)).catch(() => undefined);
    const target = st.isDirectory() ? await inRoot(destAbs) : destIsDir || destStat?.isDirectory() ? await inRoot(path.posix.join(destAbs, path.basename(src))) : await inRoot(destAbs);
    const destRel = path.posix.join('/', path.relative(c.rootfs, target));
    await copyTree(src, destRel, c.rootfs, owner, mode, st.isDirectory());
  }
}
