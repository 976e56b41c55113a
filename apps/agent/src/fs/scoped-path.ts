/**
 * scopedPath resolves a path inside a container root filesystem the way the
 * container would see it: symlinks are followed, but an absolute target or
 * `..` is taken relative to the root and can never climb out of it (as
 * Docker's FollowSymlinkInScope does). The builder writes only to paths
 * resolved here, so an image's `/app -> /` cannot aim a COPY at the host.
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

/** MAX_LINKS bounds symlink hops (loops fail instead of spinning). */
const MAX_LINKS = 40;

export class ScopeError extends Error {}

export async function scopedPath(root: string, p: string): Promise<string> {
  const pending = path.posix.normalize(`/${p}`).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = path.join(root, ...done, part);
    const st = await lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (++hops > MAX_LINKS) throw new ScopeError(`too many symlinks resolving ${p}`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}
