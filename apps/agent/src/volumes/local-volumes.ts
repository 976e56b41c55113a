/**
 * LocalVolumes: the data of this host's local volumes, one directory each
 * (<stateDir>/volumes/<name>/_data, as Docker's local driver keeps them).
 * A volume's directory is made when a task first mounts it here; the
 * controller asks for its removal once no task uses it. Names are checked
 * before they become paths.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { VOLUME_NAME } from '../../../../libs/common/src/index.js';
import { RuntimeError } from '../runtime/errors.js';

export class LocalVolumes {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'volumes');
  }

  path(name: string): string {
    if (!VOLUME_NAME.test(name)) throw new RuntimeError(`"${name}" is not a volume name`);
    return path.join(this.dir, name, '_data');
  }

  /** ensure makes the volume's directory if needed; `created` says it is new (and so empty). */
  async ensure(name: string): Promise<{ path: string; created: boolean }> {
    const p = this.path(name);
    const existed = await stat(p).then((s) => s.isDirectory(), () => false);
    if (!existed) await mkdir(p, { recursive: true });
    return { path: p, created: !existed };
  }

  async list(): Promise<string[]> {
    return (await readdir(this.dir).catch(() => [] as string[])).filter((n) => VOLUME_NAME.test(n));
  }

  /** remove deletes volumes' data; returns the names removed (absent ones count as removed). */
  async remove(names: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const n of names) {
      await rm(path.dirname(this.path(n)), { recursive: true, force: true });
      out.push(n);
    }
    return out;
  }
}
