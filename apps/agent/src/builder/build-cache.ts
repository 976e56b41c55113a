/**
 * The build cache: one JSON file per step key under <stateDir>/build-cache,
 * holding the layer the step made, or null when it made none. Entries are
 * read as untrusted and point only at layers the image store still holds.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateDigest } from '../images/oci.js';
import type { BuilderDeps, Layer } from './build-types.js';

const cacheDir = (deps: BuilderDeps) => path.join(deps.stateDir, 'build-cache');

/**
 * cacheGet: the layer of a step key (null: the step made none), or
 * undefined on a miss. An entry is read as untrusted: its digests are
 * validated and its directory derived from the diff_id, never read from it;
 * one that does not check out is a miss.
 */
export async function cacheGet(deps: BuilderDeps, key: string): Promise<Layer | null | undefined> {
  const raw = await readFile(path.join(cacheDir(deps), `${key}.json`), 'utf8').catch(() => undefined);
  if (!raw) return undefined;
  let layer: Layer | null;
  try {
    layer = JSON.parse(raw) as Layer | null;
    if (layer === null) return null;
    validateDigest(layer.diffId, 'build cache diff_id');
    validateDigest(layer.digest, 'build cache digest');
    if (!Number.isSafeInteger(layer.size) || typeof layer.mediaType !== 'string') return undefined;
  } catch {
    return undefined;
  }
  const { layers, content } = deps.images;
  const present = (await layers.has(layer.diffId)) && (await content.has(layer.digest));
  return present ? { ...layer, dir: layers.dir(layer.diffId) } : undefined;
}

export async function cachePut(deps: BuilderDeps, key: string, layer: Layer | null): Promise<void> {
  await mkdir(cacheDir(deps), { recursive: true });
  const file = path.join(cacheDir(deps), `${key}.json`);
  await writeFile(`${file}.tmp`, JSON.stringify(layer));
  await rename(`${file}.tmp`, file);
}
