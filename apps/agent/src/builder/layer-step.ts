/**
 * The layer of one build step. Its key chains the stage's key with the step
 * as expanded (build args in effect, content hash of COPY/ADD inputs), so an
 * unchanged rebuild makes no layer and a changed file re-runs only the steps
 * from the COPY that reads it; a new layer is an overlay snapshot's upper dir.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { MediaType } from '../images/oci.js';
import { layerFromUpper } from './diff.js';
import { openSnapshot, type Snapshot } from './snapshot.js';
import { cacheGet, cachePut } from './build-cache.js';
import { sha, type StageState, type StepContext } from './build-types.js';

/**
 * layerStep makes (or finds in the cache) the layer of one step: a
 * snapshot over the stage's layers, `change` applied in it, its upper dir
 * turned into a layer. `skipIfEmpty`: a step that changed nothing adds no
 * layer (WORKDIR of an existing directory).
 */
export async function layerStep(
  state: StageState,
  desc: string,
  ctx: Pick<StepContext, 'deps' | 'opts' | 'work' | 'onOutput'>,
  change: (snap: Snapshot) => Promise<void>,
  skipIfEmpty = false,
): Promise<void> {
  const key = sha(`${state.key}\n${desc}`);
  state.key = key;
  const cached = ctx.opts.noCache ? undefined : await cacheGet(ctx.deps, key);
  if (cached !== undefined) {
    ctx.onOutput(' ---> Using cache');
    if (cached) state.layers.push(cached);
    state.history.push({ created: new Date().toISOString(), created_by: desc, ...(cached ? {} : { empty_layer: true }) });
    if (cached) ctx.onOutput(` ---> ${cached.diffId.slice(7, 19)}`);
    return;
  }
  const snap = await openSnapshot(
    path.join(ctx.work, `step-${randomBytes(4).toString('hex')}`),
    state.layers.map((l) => l.dir),
  );
  try {
    await change(snap);
  } finally {
    await snap.release();
  }
  if (skipIfEmpty && (await readdir(snap.upper)).length === 0) {
    await cachePut(ctx.deps, key, null);
    state.history.push({ created: new Date().toISOString(), created_by: desc, empty_layer: true });
    return;
  }
  const built = await layerFromUpper(snap.upper, ctx.deps.images.content);
  // The upper dir already holds overlay's own whiteouts: it is the layer's unpacked form,
  // and its diff_id was just computed from it, so it is committed as verified.
  const layers = ctx.deps.images.layers;
  let dir: string;
  if (await layers.has(built.diffId)) {
    dir = layers.dir(built.diffId);
    await rm(snap.upper, { recursive: true, force: true });
  } else dir = await layers.commit(snap.upper, built.diffId);
  const layer = { ...built, mediaType: MediaType.OciLayerGzip, dir };
  await cachePut(ctx.deps, key, layer);
  state.layers.push(layer);
  state.history.push({ created: new Date().toISOString(), created_by: desc });
  ctx.onOutput(` ---> ${built.diffId.slice(7, 19)}`);
}
