/**
 * Where a stage starts and where COPY --from reads. openStage begins a stage
 * from an earlier stage, scratch or an image (pulled through ImageService);
 * sourceView opens the build context, or an earlier stage's or an image's
 * files as a read-only view.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ImageService, LocalImage } from '../images/image-service.js';
import { parseImageRef } from '../images/oci.js';
import { DockerfileError, type Instruction, type Stage } from './dockerfile.js';
import { expand } from './expand.js';
import { openReadView } from './snapshot.js';
import { sha, type BuildRequestOptions, type StageState, type StepContext } from './build-types.js';

/** openStage runs a stage's FROM: `header` prints its step line, `onOutput` the rest. */
export async function openStage(
  images: ImageService,
  stage: Stage,
  globals: Map<string, string>,
  done: Map<number, StageState>,
  stages: Stage[],
  opts: BuildRequestOptions,
  registry: string,
  header: (l: string) => void,
  onOutput: (l: string) => void,
): Promise<StageState> {
  const name = expand(stage.from, globals);
  header(`FROM ${name}${stage.name ? ` AS ${stage.name}` : ''}`);
  const earlier = stages.find((s) => s.index < stage.index && s.name === name.toLowerCase());
  if (earlier) {
    const s = done.get(earlier.index)!;
    return { layers: [...s.layers], config: structuredClone(s.config), history: [...s.history], args: new Map(), key: sha(`stage\n${s.key}`) };
  }
  if (name === 'scratch') return { layers: [], config: {}, history: [], args: new Map(), key: sha('scratch') };
  let img: LocalImage;
  try {
    const ref = parseImageRef(name, registry);
    img = await images.ensure(`${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`, {
      auth: ref.registry === registry ? opts.auth : undefined,
    });
  } catch (err) {
    throw new DockerfileError(stage.fromLine, `FROM ${name}: ${(err as Error).message}`);
  }
  onOutput(` ---> ${img.manifestDigest.slice(7, 19)}`);
  const layers = img.layers.map((l, i) => ({ ...l, dir: img.layerDirs[i] }));
  return { layers, config: structuredClone(img.config.config ?? {}), history: (img.config.history ?? []) as StageState['history'], args: new Map(), key: sha(`image\n${img.manifestDigest}`) };
}

/** sourceView: where COPY reads — the context, an earlier stage, or an image. */
export async function sourceView(from: string | undefined, ctx: Pick<StepContext, 'deps' | 'stages' | 'done' | 'opts' | 'work' | 'registry' | 'stage'>, ins: Instruction) {
  if (from === undefined) return { root: ctx.opts.contextDir, release: async () => {} };
  const stage = ctx.stages.find((s) => s.index < ctx.stage.index && (s.name === from.toLowerCase() || String(s.index) === from));
  let lowers: string[];
  if (stage) lowers = ctx.done.get(stage.index)!.layers.map((l) => l.dir);
  else {
    try {
      const ref = parseImageRef(from, ctx.registry);
      const img = await ctx.deps.images.ensure(`${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}`, { auth: ref.registry === ctx.registry ? ctx.opts.auth : undefined });
      lowers = img.layerDirs;
    } catch (err) {
      throw new DockerfileError(ins.line, `--from=${from}: no such stage, and as an image: ${(err as Error).message}`);
    }
  }
  return openReadView(path.join(ctx.work, `view-${randomBytes(4).toString('hex')}`), lowers);
}
