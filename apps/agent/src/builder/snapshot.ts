/**
 * Snapshots for build steps: an overlay of the stage's layers with a fresh
 * upper dir, mounted at `merged` (what RUN and COPY change lands in the
 * upper dir, which becomes the step's layer), and read-only views of a
 * stage's or image's filesystem for COPY --from.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { mountOverlay, sh, unmount } from '../runtime/runc/adapter.js';
import { copyOwnerAndMode } from '../fs/modes.js';

export interface Snapshot {
  dir: string;
  upper: string;
  merged: string;
  release(): Promise<void>;
}

/** openSnapshot mounts `lowers` (bottom first) with a new upper dir under `dir`. */
export async function openSnapshot(dir: string, lowers: string[]): Promise<Snapshot> {
  const upper = path.join(dir, 'upper');
  const merged = path.join(dir, 'merged');
  const empty = path.join(dir, 'empty');
  for (const d of [upper, path.join(dir, 'work'), merged, empty]) await mkdir(d, { recursive: true });
  // The step's `/` (and the layer made from the upper dir) keep the image root's owner and mode, not the umask's.
  await copyOwnerAndMode(lowers[0], upper);
  // overlayfs needs at least one lower dir; FROM scratch has none.
  await mountOverlay(lowers.length ? lowers : [empty], dir, merged);
  let released = false;
  return {
    dir,
    upper,
    merged,
    async release() {
      if (released) return;
      released = true;
      await unmount(merged);
    },
  };
}

/** ReadView: a directory showing a layer stack's files, read-only. */
export interface ReadView {
  root: string;
  release(): Promise<void>;
}

export async function openReadView(dir: string, lowers: string[]): Promise<ReadView> {
  if (lowers.length === 1) return { root: lowers[0], release: async () => {} };
  const root = path.join(dir, 'view');
  await mkdir(root, { recursive: true });
  if (!lowers.length) return { root, release: () => rm(root, { recursive: true, force: true }) };
  // Two or more lower dirs and no upper: overlayfs mounts them read-only.
  await sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...lowers].reverse().join(':')}`, root]);
  return { root, release: () => unmount(root) };
}
