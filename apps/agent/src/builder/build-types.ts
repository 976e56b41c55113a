/**
 * What the builder's modules share: a build's request, result and
 * dependencies, BuildError, the RUN steps' network choice, the state of a stage as its steps run (layers,
 * image config, history, ARGs and the cache chain key, hashed with sha), and
 * the context and scope each instruction runs with.
 */
import { createHash } from 'node:crypto';
import type { ImageService } from '../images/image-service.js';
import type { PullCredentials } from '../images/registry-client.js';
import type { ImageConfig } from '../images/oci.js';
import type { NetworkDriver } from '../network/index.js';
import type { BUILTIN_NETWORKS } from '#libs/common';
import type { Instruction, Stage } from './dockerfile.js';

export class BuildError extends Error {}

/** BuildNetwork: what RUN steps are on (`berth build --network`), one of the built-in networks. */
export type BuildNetwork = (typeof BUILTIN_NETWORKS)[number];

export interface BuildRequestOptions {
  contextDir: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** The RUN steps' network; the default bridge unless given. */
  network?: BuildNetwork;
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
  /** RUN steps' process limit, the agent's per-container one. */
  pidsLimit: number;
  /** The host's default bridge network, which RUN steps join with --network bridge. */
  bridge: NetworkDriver;
  insecureRegistries: string[];
}

export interface Layer {
  diffId: string;
  digest: string;
  size: number;
  mediaType: string;
  dir: string;
}
export type Config = NonNullable<ImageConfig['config']>;

export interface StageState {
  layers: Layer[];
  config: Config;
  history: Array<{ created: string; created_by: string; empty_layer?: boolean }>;
  /** ARG values declared in this stage. */
  args: Map<string, string>;
  key: string;
}

/** StepContext: the build an instruction runs in — its stages, options, work dir and output. */
export interface StepContext {
  deps: BuilderDeps;
  stage: Stage;
  stages: Stage[];
  done: Map<number, StageState>;
  opts: BuildRequestOptions;
  work: string;
  onOutput: (l: string) => void;
  signal?: AbortSignal;
  globals: Map<string, string>;
  registry: string;
}

/** InstructionScope: helpers bound to one instruction and its stage (see applyInstruction). */
export interface InstructionScope {
  /** x expands variables with the stage's ARG and ENV values; an error names the instruction's line. */
  x: (s: string) => string;
  /** meta records a step that changes only the config: the chain key moves on, the history gets an empty layer. */
  meta: (desc: string) => void;
  /** execForm: an instruction's argv, its JSON form or its text run by the stage's SHELL. */
  execForm: (i: Instruction) => string[];
}

export const sha = (s: string) => createHash('sha256').update(s).digest('hex');
