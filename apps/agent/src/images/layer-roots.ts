/**
 * repairLayerRoots: a one-time fix of layer directories unpacked before
 * layer roots were set explicitly. Those agents made each layer's root with
 * their umask (0700 under `umask 077`) and ignored the tar's `./` entry; a
 * container's upper dir now takes the lowest layer root's owner and mode, so
 * such a root would make every `/` 0700 again. They become root:root 0755,
 * what those agents gave under the usual umask. A marker file beside the
 * layers dir (image GC owns what is inside it) records that the repair is
 * done; layers unpacked since are left alone.
 */
import { chmod, chown, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DIR_MODE, mkdirMode, writeFileMode } from '../fs/modes.js';

/** MARKER: in the state dir, present once every layer root is explicit. */
const MARKER = 'layer-roots-explicit';
/** LAYER_DIR: a layer's directory name (a diff_id's hex); temp dirs are skipped. */
const LAYER_DIR = /^[0-9a-f]{64}$/;

export async function repairLayerRoots(stateDir: string): Promise<void> {
  const marker = path.join(stateDir, MARKER);
  if (await stat(marker).catch(() => undefined)) return;
  const dir = path.join(stateDir, 'layers');
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || !LAYER_DIR.test(e.name)) continue;
    await chown(path.join(dir, e.name), 0, 0);
    await chmod(path.join(dir, e.name), DIR_MODE);
  }
  // With no layers yet, everything unpacked from now on has an explicit root.
  await mkdirMode(stateDir);
  await writeFileMode(marker, '');
}
