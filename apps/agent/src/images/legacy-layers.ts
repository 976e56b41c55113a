/**
 * adoptLegacyLayers: a one-time step for layer directories unpacked by an
 * agent from before two changes, run when the agent starts.
 * - Layer roots: those agents made each layer's root with their umask (0700
 *   under `umask 077`) and ignored the tar's `./` entry; a container's upper
 *   dir now takes the lowest layer root's owner and mode, so such a root
 *   would make every `/` 0700. They become root:root 0755, what those agents
 *   gave under the usual umask.
 * - Verified markers: a layer now counts as present only with its marker
 *   (LayerStore). Those agents unpacked and checked each layer before using
 *   it and may have running containers on it (overlay lower dirs), so their
 *   layers are marked as they are rather than unpacked again, which would
 *   replace files under live mounts. Only directories named by a 64-hex
 *   diff_id are adopted.
 * A marker file beside the layers dir (image GC owns what is inside it)
 * records that this is done; layers unpacked since are left alone.
 */
import { chmod, chown, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DIR_MODE, mkdirMode, writeFileMode } from '../fs/modes.js';
import { LayerStore } from './layer-store.js';

/** MARKER: in the state dir, present once every layer has an explicit root and a verified marker. */
const MARKER = 'layer-roots-explicit';
/** LAYER_DIR: a layer's directory name (a diff_id's hex); temp dirs are skipped. */
const LAYER_DIR = /^[0-9a-f]{64}$/;

export async function adoptLegacyLayers(stateDir: string): Promise<void> {
  const marker = path.join(stateDir, MARKER);
  if (await stat(marker).catch(() => undefined)) return;
  const layers = new LayerStore(stateDir);
  for (const e of await readdir(layers.root, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || !LAYER_DIR.test(e.name)) continue;
    await chown(path.join(layers.root, e.name), 0, 0);
    await chmod(path.join(layers.root, e.name), DIR_MODE);
    await layers.mark(`sha256:${e.name}`);
  }
  // With no layers yet, everything unpacked from now on has an explicit root.
  await mkdirMode(stateDir);
  await writeFileMode(marker, '');
}
