/**
 * Builder: runs a Dockerfile build on this host and pushes the result. Each
 * stage starts from an image, scratch or an earlier stage (openStage); its
 * instructions change the image config or make cached layers in overlay
 * snapshots (applyInstruction). Nothing is pushed (pushImage) unless every
 * step succeeded; the build's work dir is removed whatever happened.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseImageRef } from '../images/oci.js';
import { PushError } from '#libs/oci';
import { DockerfileError, parseDockerfile, stagesFor } from './dockerfile.js';
import { expand, ExpandError } from './expand.js';
import { CopyError } from './copy-step.js';
import { BuildError, type BuilderDeps, type BuildRequestOptions, type BuildResult, type StageState } from './build-types.js';
import { openStage } from './stage-from.js';
import { applyInstruction } from './instructions.js';
import { pushImage } from './image-push.js';

export class Builder {
  constructor(private readonly deps: BuilderDeps) {}

  async build(opts: BuildRequestOptions, onOutput: (line: string) => void, signal?: AbortSignal): Promise<BuildResult> {
    const tagRef = parseImageRef(opts.tag, '');
    if (!tagRef.registry || !tagRef.tag) throw new BuildError(`tag ${opts.tag} must be registry/repository:tag`);
    const dfPath = path.resolve(opts.contextDir, opts.dockerfile);
    if (!dfPath.startsWith(`${path.resolve(opts.contextDir)}/`)) throw new BuildError(`the Dockerfile ${opts.dockerfile} must be inside the build context`);
    const text = await readFile(dfPath, 'utf8').catch(() => {
      throw new BuildError(`cannot find the Dockerfile ${opts.dockerfile} in the build context`);
    });
    const df = parseDockerfile(text);
    const stages = stagesFor(df, opts.target);
    const globals = new Map<string, string>();
    for (const a of df.globalArgs)
      for (const [k, v] of a.props ?? []) {
        const val = opts.buildArgs[k] ?? (v === undefined ? undefined : expand(v, globals));
        if (val !== undefined) globals.set(k, val);
      }
    const total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    const work = path.join(this.deps.stateDir, 'build', randomBytes(6).toString('hex'));
    await mkdir(work, { recursive: true });
    const done = new Map<number, StageState>();
    let step = 0;
    try {
      for (const stage of stages) {
        const state = await openStage(this.deps.images, stage, globals, done, stages, opts, tagRef.registry, (l) => onOutput(`Step ${++step}/${total} : ${l}`), onOutput);
        for (const ins of stage.instructions) {
          if (signal?.aborted) throw new BuildError('build cancelled');
          onOutput(`Step ${++step}/${total} : ${ins.text}`);
          await applyInstruction(ins, state, { deps: this.deps, stage, stages, done, opts, work, onOutput, signal, globals, registry: tagRef.registry });
        }
        done.set(stage.index, state);
      }
      const final = done.get(stages.at(-1)!.index)!;
      return await pushImage(this.deps, final, opts, tagRef, onOutput);
    } catch (err) {
      if (err instanceof DockerfileError || err instanceof BuildError) throw err;
      if (err instanceof ExpandError || err instanceof CopyError || err instanceof PushError) throw new BuildError(err.message);
      throw err;
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => {});
    }
  }
}
