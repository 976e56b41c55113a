/**
 * Builder: runs a Dockerfile build on this host and pushes the result.
 * Each stage starts from an image (pulled through ImageService), scratch or
 * an earlier stage; RUN, COPY, ADD and WORKDIR make layers in overlay
 * snapshots (the upper dir becomes the layer, then serves as a lower dir for
 * the next step), other instructions change the image config. Layers are
 * cached by a chain key — parent key + instruction as expanded + build args
 * in effect + content hash of COPY/ADD inputs — so an unchanged rebuild
 * makes no layer and a changed file re-runs only the steps from the COPY
 * that reads it. Nothing is pushed unless every step succeeded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ImageService, type LocalImage } from '../images/image-service.js';
import type { PullCredentials } from '../images/registry-client.js';
import { MediaType, parseImageRef, validateDigest, type ImageConfig } from '../images/oci.js';
import { fileBody, pushBlob, PushError } from '#libs/oci';
import { DockerfileError, parseDockerfile, stagesFor, type Instruction, type Stage } from './dockerfile.js';
import { expand, ExpandError } from './expand.js';
import { layerFromUpper } from './diff.js';
import { openReadView, openSnapshot, type Snapshot } from './snapshot.js';
import { runStep } from './run-step.js';
import { copyInto, CopyError, hashSources, resolveSources } from './copy-step.js';
import { scopedPath } from '../fs/scoped-path.js';
import { mkdirMode } from '../fs/modes.js';

export class BuildError extends Error {}

export interface BuildRequestOptions {
  contextDir: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** Fully qualified registry/repository:tag. */
  tag: string;
  /** Credentials for the tag's registry: pulls of base images there and the push. */
  auth?: PullCredentials;
}

export interface BuildResult {
  manifestDigest: string;
  imageId: string;
  tag: string;
}

export interface BuilderDeps {
  stateDir: string;
  images: ImageService;
  runcRoot: string;
  cgroupParent: string;
  nofile: number;
  insecureRegistries: string[];
}

interface Layer {
  diffId: string;
  digest: string;
  size: number;
  mediaType: string;
  dir: string;
}
type Config = NonNullable<ImageConfig['config']>;

interface StageState {
  layers: Layer[];
  config: Config;
  history: Array<{ created: string; created_by: string; empty_layer?: boolean }>;
  /** ARG values declared in this stage. */
  args: Map<string, string>;
  key: string;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function envMap(env: string[] = []): Map<string, string> {
  return new Map(
    env.map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}

function setEnv(env: string[] = [], name: string, value: string): string[] {
  return [...env.filter((kv) => !kv.startsWith(`${name}=`)), `${name}=${value}`];
}

/** splitWords splits shell-form arguments of COPY/EXPOSE/VOLUME, honouring quotes. */
function splitWords(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function duration(v: string | undefined, flag: string, line: number): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m) throw new DockerfileError(line, `--${flag}=${v}: must be a duration like 30s`);
  return Math.round(Number(m[1]) * { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as 'ms']);
}

export class Builder {
  private readonly cacheDir: string;

  constructor(private readonly deps: BuilderDeps) {
    this.cacheDir = path.join(deps.stateDir, 'build-cache');
  }

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
        const state = await this.from(stage, globals, done, stages, opts, tagRef.registry, (l) => onOutput(`Step ${++step}/${total} : ${l}`), onOutput);
        for (const ins of stage.instructions) {
          if (signal?.aborted) throw new BuildError('build cancelled');
          onOutput(`Step ${++step}/${total} : ${ins.text}`);
          await this.step(ins, state, { stage, stages, done, opts, work, onOutput, signal, globals, registry: tagRef.registry });
        }
        done.set(stage.index, state);
      }
      const final = done.get(stages.at(-1)!.index)!;
      return await this.push(final, opts, tagRef, onOutput);
    } catch (err) {
      if (err instanceof DockerfileError || err instanceof BuildError) throw err;
      if (err instanceof ExpandError || err instanceof CopyError || err instanceof PushError) throw new BuildError(err.message);
      throw err;
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => {});
    }
  }

  private async from(
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
      img = await this.deps.images.ensure(`${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`, {
        auth: ref.registry === registry ? opts.auth : undefined,
      });
    } catch (err) {
      throw new DockerfileError(stage.fromLine, `FROM ${name}: ${(err as Error).message}`);
    }
    onOutput(` ---> ${img.manifestDigest.slice(7, 19)}`);
    const layers = img.layers.map((l, i) => ({ ...l, dir: img.layerDirs[i] }));
    return { layers, config: structuredClone(img.config.config ?? {}), history: (img.config.history ?? []) as StageState['history'], args: new Map(), key: sha(`image\n${img.manifestDigest}`) };
  }

  private vars(state: StageState): Map<string, string> {
    return new Map([...state.args, ...envMap(state.config.Env)]);
  }

  private async step(
    ins: Instruction,
    state: StageState,
    ctx: {
      stage: Stage;
      stages: Stage[];
      done: Map<number, StageState>;
      opts: BuildRequestOptions;
      work: string;
      onOutput: (l: string) => void;
      signal?: AbortSignal;
      globals: Map<string, string>;
      registry: string;
    },
  ): Promise<void> {
    const x = (s: string) => {
      try {
        return expand(s, this.vars(state));
      } catch (err) {
        throw new DockerfileError(ins.line, (err as Error).message);
      }
    };
    const c = state.config;
    const meta = (desc: string) => {
      state.key = sha(`${state.key}\n${desc}`);
      state.history.push({ created: new Date().toISOString(), created_by: desc, empty_layer: true });
    };
    const execForm = (i: Instruction) => i.json ?? [...(c.Shell ?? DEFAULT_SHELL), i.args];
    switch (ins.keyword) {
      case 'ARG':
        for (const [k, v] of ins.props ?? []) {
          const val = ctx.opts.buildArgs[k] ?? (v !== undefined ? x(v) : ctx.globals.get(k));
          if (val !== undefined) state.args.set(k, val);
        }
        return meta(`ARG ${ins.args}`);
      case 'ENV':
        for (const [k, v] of ins.props ?? []) c.Env = setEnv(c.Env, k, x(v ?? ''));
        return meta(`ENV ${(ins.props ?? []).map(([k]) => `${k}=${envMap(c.Env).get(k)}`).join(' ')}`);
      case 'LABEL':
        c.Labels = { ...c.Labels };
        for (const [k, v] of ins.props ?? []) c.Labels[x(k)] = x(v ?? '');
        return meta(`LABEL ${ins.args}`);
      case 'MAINTAINER':
        c.Labels = { ...c.Labels, maintainer: ins.args };
        return meta(ins.text);
      case 'CMD':
        c.Cmd = execForm(ins);
        return meta(`CMD ${JSON.stringify(c.Cmd)}`);
      case 'ENTRYPOINT':
        c.Entrypoint = execForm(ins);
        return meta(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
      case 'SHELL':
        if (!ins.json?.length) throw new DockerfileError(ins.line, 'SHELL needs the JSON form, e.g. SHELL ["/bin/sh", "-c"]');
        c.Shell = ins.json;
        return meta(ins.text);
      case 'USER':
        c.User = x(ins.args.trim());
        return meta(`USER ${c.User}`);
      case 'STOPSIGNAL':
        c.StopSignal = x(ins.args.trim());
        return meta(`STOPSIGNAL ${c.StopSignal}`);
      case 'EXPOSE':
        c.ExposedPorts = { ...c.ExposedPorts };
        for (const p of splitWords(x(ins.args))) {
          if (!/^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/.test(p)) throw new DockerfileError(ins.line, `EXPOSE ${p}: must be PORT[/PROTO]`);
          c.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        }
        return meta(`EXPOSE ${ins.args}`);
      case 'VOLUME':
        c.Volumes = { ...c.Volumes };
        for (const v of ins.json ?? splitWords(x(ins.args))) c.Volumes[v] = {};
        return meta(`VOLUME ${ins.args}`);
      case 'HEALTHCHECK': {
        const args = ins.args.trim();
        if (/^NONE$/i.test(args)) c.Healthcheck = { Test: ['NONE'] };
        else {
          const m = /^CMD\s+([\s\S]+)$/i.exec(args);
          if (!m) throw new DockerfileError(ins.line, 'HEALTHCHECK takes [OPTIONS] CMD command, or NONE');
          const json = ((): string[] | undefined => {
            try {
              const v: unknown = JSON.parse(m[1]);
              return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
            } catch {
              return undefined;
            }
          })();
          const retries = ins.flags.retries !== undefined ? Number(ins.flags.retries) : undefined;
          if (retries !== undefined && !Number.isInteger(retries)) throw new DockerfileError(ins.line, '--retries must be an integer');
          c.Healthcheck = {
            Test: json ? ['CMD', ...json] : ['CMD-SHELL', m[1]],
            Interval: duration(ins.flags.interval, 'interval', ins.line),
            Timeout: duration(ins.flags.timeout, 'timeout', ins.line),
            StartPeriod: duration(ins.flags['start-period'], 'start-period', ins.line),
            Retries: retries,
          };
        }
        return meta(`HEALTHCHECK ${JSON.stringify(c.Healthcheck)}`);
      }
      case 'WORKDIR': {
        const dir = x(ins.args.trim());
        c.WorkingDir = path.posix.isAbsolute(dir) ? path.posix.normalize(dir) : path.posix.join(c.WorkingDir || '/', dir);
        return this.layerStep(
          state,
          `WORKDIR ${c.WorkingDir}`,
          ctx,
          async (snap) => {
            await mkdirMode(await scopedPath(snap.merged, c.WorkingDir!));
          },
          true,
        );
      }
      case 'RUN': {
        const argv = execForm(ins);
        const argEnv = [...state.args].filter(([k]) => !envMap(c.Env).has(k)).map(([k, v]) => `${k}=${v}`);
        const desc = `RUN ${JSON.stringify(argv)}${argEnv.length ? ` with ${argEnv.sort().join(' ')}` : ''}`;
        return this.layerStep(state, desc, ctx, async (snap) => {
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
              runcRoot: this.deps.runcRoot,
              cgroupParent: this.deps.cgroupParent,
              nofile: this.deps.nofile,
            },
            ctx.onOutput,
            ctx.signal,
          );
          if (ctx.signal?.aborted) throw new BuildError('build cancelled');
          if (code !== 0) throw new BuildError(`The command '${argv.join(' ')}' returned a non-zero code: ${code} (Dockerfile line ${ins.line})`);
        });
      }
      case 'COPY':
      case 'ADD': {
        const words = ins.json ?? splitWords(ins.args);
        if (words.length < 2) throw new DockerfileError(ins.line, `${ins.keyword} needs at least one source and a destination`);
        const srcs = words.slice(0, -1).map(x);
        const dest = x(words.at(-1)!);
        if (ins.keyword === 'ADD' && srcs.some((s) => /^[a-z]+:\/\//i.test(s))) throw new DockerfileError(ins.line, 'ADD from a URL is not supported (builds have no network here)');
        const from = ins.flags.from !== undefined ? x(ins.flags.from) : undefined;
        const view = await this.sourceView(from, ctx, ins);
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
          return await this.layerStep(state, desc, ctx, (snap) =>
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
      default:
        throw new DockerfileError(ins.line, `${ins.keyword} is not supported`);
    }
  }

  /** sourceView: where COPY reads — the context, an earlier stage, or an image. */
  private async sourceView(
    from: string | undefined,
    ctx: { stages: Stage[]; done: Map<number, StageState>; opts: BuildRequestOptions; work: string; registry: string; stage: Stage },
    ins: Instruction,
  ) {
    if (from === undefined) return { root: ctx.opts.contextDir, release: async () => {} };
    const stage = ctx.stages.find((s) => s.index < ctx.stage.index && (s.name === from.toLowerCase() || String(s.index) === from));
    let lowers: string[];
    if (stage) lowers = ctx.done.get(stage.index)!.layers.map((l) => l.dir);
    else {
      try {
        const ref = parseImageRef(from, ctx.registry);
        const img = await this.deps.images.ensure(`${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}`, { auth: ref.registry === ctx.registry ? ctx.opts.auth : undefined });
        lowers = img.layerDirs;
      } catch (err) {
        throw new DockerfileError(ins.line, `--from=${from}: no such stage, and as an image: ${(err as Error).message}`);
      }
    }
    return openReadView(path.join(ctx.work, `view-${randomBytes(4).toString('hex')}`), lowers);
  }

  /**
   * layerStep makes (or finds in the cache) the layer of one step: a
   * snapshot over the stage's layers, `change` applied in it, its upper dir
   * turned into a layer. `skipIfEmpty`: a step that changed nothing adds no
   * layer (WORKDIR of an existing directory).
   */
  private async layerStep(
    state: StageState,
    desc: string,
    ctx: { opts: BuildRequestOptions; work: string; onOutput: (l: string) => void },
    change: (snap: Snapshot) => Promise<void>,
    skipIfEmpty = false,
  ): Promise<void> {
    const key = sha(`${state.key}\n${desc}`);
    state.key = key;
    const cached = ctx.opts.noCache ? undefined : await this.cacheGet(key);
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
      await this.cachePut(key, null);
      state.history.push({ created: new Date().toISOString(), created_by: desc, empty_layer: true });
      return;
    }
    const built = await layerFromUpper(snap.upper, this.deps.images.content);
    // The upper dir already holds overlay's own whiteouts: it is the layer's unpacked form,
    // and its diff_id was just computed from it, so it is committed as verified.
    const layers = this.deps.images.layers;
    let dir: string;
    if (await layers.has(built.diffId)) {
      dir = layers.dir(built.diffId);
      await rm(snap.upper, { recursive: true, force: true });
    } else dir = await layers.commit(snap.upper, built.diffId);
    const layer = { ...built, mediaType: MediaType.OciLayerGzip, dir };
    await this.cachePut(key, layer);
    state.layers.push(layer);
    state.history.push({ created: new Date().toISOString(), created_by: desc });
    ctx.onOutput(` ---> ${built.diffId.slice(7, 19)}`);
  }

  /**
   * cacheGet: the layer of a step key (null: the step made none), or
   * undefined on a miss. An entry is read as untrusted: its digests are
   * validated and its directory derived from the diff_id, never read from it;
   * one that does not check out is a miss.
   */
  private async cacheGet(key: string): Promise<Layer | null | undefined> {
    const raw = await readFile(path.join(this.cacheDir, `${key}.json`), 'utf8').catch(() => undefined);
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
    const { layers, content } = this.deps.images;
    const present = (await layers.has(layer.diffId)) && (await content.has(layer.digest));
    return present ? { ...layer, dir: layers.dir(layer.diffId) } : undefined;
  }

  private async cachePut(key: string, layer: Layer | null): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
    const file = path.join(this.cacheDir, `${key}.json`);
    await writeFile(`${file}.tmp`, JSON.stringify(layer));
    await rename(`${file}.tmp`, file);
  }

  /** push uploads the final stage as an OCI image: layers, config, then the manifest under the tag. */
  private async push(state: StageState, opts: BuildRequestOptions, ref: { registry: string; repository: string; tag: string }, onOutput: (l: string) => void): Promise<BuildResult> {
    const config = {
      created: new Date().toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: state.config,
      rootfs: { type: 'layers', diff_ids: state.layers.map((l) => l.diffId) },
      history: state.history,
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length },
        layers: state.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    );
    const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const pushOpts = { insecure: this.deps.insecureRegistries.includes(ref.registry) ? true : false, token: opts.auth?.bearerToken || undefined };
    onOutput(`Pushing ${ref.registry}/${ref.repository}:${ref.tag}`);
    for (const l of state.layers) await pushBlob(ref.registry, ref.repository, l.digest, l.size, () => fileBody(this.deps.images.content.path(l.digest)), pushOpts);
    await pushBlob(ref.registry, ref.repository, configDigest, configBytes.length, () => configBytes, pushOpts);
    const root = `${pushOpts.insecure ? 'http' : 'https'}://${ref.registry}`;
    const res = await fetch(`${root}/v2/${ref.repository}/manifests/${ref.tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': MediaType.OciManifest, ...(pushOpts.token ? { authorization: `Bearer ${pushOpts.token}` } : {}) },
    }).catch((err: Error) => {
      throw new BuildError(`cannot reach registry ${ref.registry}: ${err.cause instanceof Error ? String(err.cause) : err.message}`);
    });
    if (res.status !== 201) throw new BuildError(`pushing the manifest of ${ref.repository}:${ref.tag} failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    // This host may hold an older image under the same tag: forget it, so the next run pulls the new one.
    await rm(this.deps.images.recordPath(ImageService.canonical(`${ref.registry}/${ref.repository}:${ref.tag}`)), { force: true });
    return { manifestDigest, imageId: configDigest, tag: `${ref.registry}/${ref.repository}:${ref.tag}` };
  }
}
