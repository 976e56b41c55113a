/**
 * LocalVolumes: the data of this host's local volumes, one directory each
 * (<stateDir>/volumes/<name>/_data, as Docker's local driver keeps them).
 * A volume's directory is made when a task first mounts it here; the
 * controller asks for its removal once no task uses it. Names are checked
 * before they become paths. As Docker's local driver, options type, device
 * and o mount a filesystem there (e.g. type=tmpfs,device=tmpfs,o=size=64m, or
 * an NFS export) when a task first needs it on this host, unmounted when the
 * volume is removed.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { VOLUME_NAME } from '#libs/common';
import { RuntimeError } from '../errors.js';
import { mkdirMode } from '../fs/modes.js';
import { run } from '../exec/run.js';
import type { MountedVolume, VolumeDriver } from './volume-driver.js';

/** MOUNT_TIMEOUT_MS bounds mounting a volume's filesystem (a remote one may not answer). */
const MOUNT_TIMEOUT_MS = 20_000;

async function isMountpoint(p: string): Promise<boolean> {
  return run('findmnt', ['-n', '--mountpoint', p]).then(
    () => true,
    () => false,
  );
}

export class LocalVolumes implements VolumeDriver {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'volumes');
  }

  path(name: string): string {
    if (!VOLUME_NAME.test(name)) throw new RuntimeError(`"${name}" is not a volume name`);
    return path.join(this.dir, name, '_data');
  }

  /** mount makes the volume's directory (and mounts its filesystem, with options) if needed; `created` says it is new. */
  async mount(name: string, options: Record<string, string> = {}): Promise<MountedVolume> {
    const p = this.path(name);
    const existed = await stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
    // 0755 as Docker makes it; a copy-up from the image then gives it the image's owner and mode.
    if (!existed) await mkdirMode(p);
    if (options.type && !(await isMountpoint(p))) {
      const args = ['-t', options.type, ...(options.o ? ['-o', options.o] : []), options.device ?? options.type, p];
      await run('mount', args, { timeout: MOUNT_TIMEOUT_MS }).catch((err: Error & { stderr?: string }) => {
        throw new RuntimeError(`volume ${name}: mount -t ${options.type} failed: ${(err.stderr || err.message).trim()}`);
      });
    }
    return { path: p, created: !existed };
  }

  /** unmount: a local volume stays as it is when a container lets it go. */
  async unmount(): Promise<void> {}

  /** remove deletes a volume's data (unmounting its filesystem first); an absent one is already removed. */
  async remove(name: string): Promise<void> {
    const p = this.path(name);
    if (await isMountpoint(p)) await run('umount', [p], { timeout: MOUNT_TIMEOUT_MS });
    await rm(path.dirname(p), { recursive: true, force: true });
  }
}
