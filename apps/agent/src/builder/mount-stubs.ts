/**
 * Mount stubs: runc makes a missing mountpoint (an empty file, and its
 * parent directories) in the step's rootfs before it bind-mounts /etc/hosts,
 * /etc/hostname and /etc/resolv.conf over it. Those stubs would end up in
 * the step's layer, so, as BuildKit does, the ones that did not exist before
 * the step are removed after it while they are still empty (a file the
 * step itself wrote there stays). Paths are resolved in the rootfs as the
 * container sees them (scopedPath), so an image's symlinked resolv.conf
 * has its target's stub removed.
 */
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { scopedPath } from '../fs/scoped-path.js';

/** markStubs notes which of `destinations` (and their parents) are missing in `rootfs`; the returned function removes what runc made of them. */
export async function markStubs(rootfs: string, destinations: string[]): Promise<() => Promise<void>> {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const d of destinations) {
    const file = await scopedPath(rootfs, d);
    if (await exists(file)) continue;
    files.push(file);
    for (let dir = path.dirname(file); dir.startsWith(`${rootfs}/`) && !(await exists(dir)); dir = path.dirname(dir)) dirs.push(dir);
  }
  return async () => {
    for (const f of files) {
      const st = await lstat(f).catch(() => undefined);
      if (st?.isFile() && st.size === 0) await rm(f, { force: true });
    }
    // Deepest first; a directory the step put files in is not empty and stays.
    for (const dir of [...new Set(dirs)].sort((a, b) => b.length - a.length)) {
      if ((await readdir(dir).catch(() => ['?'])).length === 0) await rmdir(dir).catch(() => {});
    }
  };
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}
