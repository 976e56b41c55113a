/**
 * Instructions that make a layer, each through layerStep: WORKDIR creates
 * the directory (no layer if it already existed), RUN runs the command with
 * runStep in the step's snapshot on the build's network, COPY and ADD resolve their sources (context,
 * earlier stage or image), hash them into the step's key and copy them in.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DockerfileError, type Instruction } from './dockerfile.js';
import { BuildError, type InstructionScope, type StageState, type StepContext } from './build-types.js';
import { envMap, splitWords } from './instruction-args.js';
import { layerStep } from './layer-step.js';
import { sourceView } from './stage-from.js';
import { runStep } from './run-step.js';
import { copyInto, hashSources, resolveSources } from './copy-step.js';
import { scopedPath } from '../fs/scoped-path.js';
import { mkdirMode } from '../fs/modes.js';
import { BuiltinNetwork } from '#libs/common';

export async function workdirInstruction(ins: Instruction, state: StageState, ctx: StepContext, { x }: InstructionScope): Promise<void> {
  const c = state.config;
  const dir = x(ins.args.trim());
  c.WorkingDir = path.posix.isAbsolute(dir) ? path.posix.normalize(dir) : path.posix.join(c.WorkingDir || '/', dir);
  return layerStep(
    state,
    `WORKDIR ${c.WorkingDir}`,
    ctx,
    async (snap) => {
      await mkdirMode(await scopedPath(snap.merged, c.WorkingDir!));
    },
    true,
  );
}

export async function runInstruction(ins: Instruction, state: StageState, ctx: StepContext, { execForm }: InstructionScope): Promise<void> {
  const c = state.config;
  const argv = execForm(ins);
  const argEnv = [...state.args].filter(([k]) => !envMap(c.Env).has(k)).map(([k, v]) => `${k}=${v}`);
  const network = ctx.opts.network ?? BuiltinNetwork.BRIDGE;
  // A step run on another network may have another result: it is another step for the cache.
  const onNetwork = network === BuiltinNetwork.BRIDGE ? '' : ` on network ${network}`;
  const desc = `RUN ${JSON.stringify(argv)}${argEnv.length ? ` with ${argEnv.sort().join(' ')}` : ''}${onNetwork}`;
  return layerStep(state, desc, ctx, async (snap) => {
    const id = `build-${randomBytes(6).toString('hex')}`;
    ctx.onOutput(` ---> Running in ${id.slice(6)}`);
    const code = await runStep(
      {
        id,
        bundleDir: path.join(snap.dir, 'bundle'),
        rootfs: snap.merged,
        argv,
        env: [...(c.Env ?? []), ...argEnv],
        workingDir: c.WorkingDir || '/',
        user: c.User ?? '',
        runcRoot: ctx.deps.runcRoot,
        cgroupParent: ctx.deps.cgroupParent,
        nofile: ctx.deps.nofile,
        pidsLimit: ctx.deps.pidsLimit,
        network,
        bridge: ctx.deps.bridge,
        stateDir: ctx.deps.stateDir,
      },
      ctx.onOutput,
      ctx.signal,
    );
    if (ctx.signal?.aborted) throw new BuildError('build cancelled');
    if (code !== 0) throw new BuildError(`The command '${argv.join(' ')}' returned a non-zero code: ${code} (Dockerfile line ${ins.line})`);
  });
}

/** copyInstruction: COPY and ADD. */
export async function copyInstruction(ins: Instruction, state: StageState, ctx: StepContext, { x }: InstructionScope): Promise<void> {
  const c = state.config;
  const words = ins.json ?? splitWords(ins.args);
  if (words.length < 2) throw new DockerfileError(ins.line, `${ins.keyword} needs at least one source and a destination`);
  const srcs = words.slice(0, -1).map(x);
  const dest = x(words.at(-1)!);
  if (ins.keyword === 'ADD' && srcs.some((s) => /^[a-z]+:\/\//i.test(s))) throw new DockerfileError(ins.line, 'ADD from a URL is not supported yet');
  const from = ins.flags.from !== undefined ? x(ins.flags.from) : undefined;
  const view = await sourceView(from, ctx, ins);
  try {
    const paths: string[] = [];
    for (const s of srcs) {
      try {
        paths.push(...(await resolveSources(view.root, s)));
      } catch (err) {
        throw new DockerfileError(ins.line, `${ins.keyword} ${s}: ${(err as Error).message.replace(/^[^:]*: /, '')}`);
      }
    }
    const hash = await hashSources(paths);
    const desc = `${ins.keyword} ${from ? `--from=${from} ` : ''}${ins.flags.chown ? `--chown=${ins.flags.chown} ` : ''}${ins.flags.chmod ? `--chmod=${ins.flags.chmod} ` : ''}${hash} ${dest} (in ${c.WorkingDir || '/'})`;
    return await layerStep(state, desc, ctx, (snap) =>
      copyInto({
        sources: paths,
        dest,
        rootfs: snap.merged,
        workingDir: c.WorkingDir || '/',
        chown: ins.flags.chown && x(ins.flags.chown),
        chmod: ins.flags.chmod,
        extract: ins.keyword === 'ADD',
      }).catch((err: Error) => {
        throw new DockerfileError(ins.line, err.message);
      }),
    );
  } finally {
    await view.release();
  }
}
