/**
 * Files and directories with explicit modes. The agent may run under any
 * umask (a first run under `umask 077` must not make every container's `/`
 * 0700), so whatever it makes that a container can see — overlay upper dirs,
 * /etc/hosts and friends, volume data dirs, WORKDIRs, layer directories —
 * gets its mode set with chmod after it is made, never from the umask.
 * Used by runtime/, images/, volumes/ and build/; it touches nothing else.
 */
import { chmod, chown, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** DIR_MODE: what Docker gives directories it makes on its own (mountpoints, WORKDIR, volume data). */
export const DIR_MODE = 0o755;
/** FILE_MODE: files the agent writes for a container to read (hosts, hostname, resolv.conf). */
export const FILE_MODE = 0o644;

/**
 * mkdirMode makes `dir` and any missing parents, giving each directory it
 * made `mode` (directories that already existed are left as they are).
 */
export async function mkdirMode(dir: string, mode = DIR_MODE): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  // mkdir -p made `first` and every directory below it down to `dir`.
  const made: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    made.push(d);
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
  for (const d of made.reverse()) await chmod(d, mode);
}

/** writeFileMode writes `data` to `file` and sets its mode, whether the file was new or not. */
export async function writeFileMode(file: string, data: string | Buffer, mode = FILE_MODE): Promise<void> {
  await writeFile(file, data, { mode });
  await chmod(file, mode);
}

/**
 * copyOwnerAndMode gives `to` the owner and permission bits of `from` (an
 * upper dir takes those of the image's root, so the merged `/` looks as the
 * image says). Without `from` (an image with no layers) it gets root:root
 * and DIR_MODE.
 */
export async function copyOwnerAndMode(from: string | undefined, to: string): Promise<void> {
  const st = from ? await stat(from) : undefined;
  await chown(to, st?.uid ?? 0, st?.gid ?? 0);
  // chmod after chown: chown clears the setuid/setgid bits.
  await chmod(to, st ? st.mode & 0o7777 : DIR_MODE);
}
