/**
 * Runtime: containers on this host, and nothing else. It creates, starts,
 * stops and removes containers and reads their state and logs; it never
 * pulls images, makes volumes or plumbs networks. The worker's steps
 * (worker/steps/) do those around it and hand it what they made: image
 * layers, host paths to mount, /etc files. There is no exec yet.
 *
 * Lifecycle of one container, keyed by its task id ([a-z0-9]{1,64}):
 *
 *   create(config)  rootfs laid out over the given layers and the container
 *                   defined (for runc: overlayfs mount + OCI bundle). No
 *                   process yet: state "prepared". Idempotent: a container
 *                   that exists is left as it is. Returns its rootfs, which
 *                   steps may read (volume copy-up) until start.
 *   start(id, hook) the process is created, then `hook` runs while it exists
 *                   but has not run (its network namespace is there to
 *                   plumb: OCI's createRuntime moment), then it runs. Resolves
 *                   once it runs. After a failed hook or start the container
 *                   has not run (startedAt 0) and may be started again.
 *                   Starting a running container returns its state; one
 *                   that has run must be removed first.
 *   status(id)      absent, prepared, created, running or exited (with its
 *                   exit code). Survives agent restarts: containers outlive
 *                   the agent.
 *   wait(id)        resolves with the exit code once the container exits.
 *   stop(id, ms)    the image's stop signal, then SIGKILL after the grace
 *                   period. A container that does not run is left alone.
 *   remove(id)      stops it if needed, then deletes process state, mounts
 *                   and files. Idempotent: removing an absent one is no error.
 *   list()          ids of every container with state here, for re-adoption.
 *   logs(id, opts)  what the container wrote, stdout and stderr, line by line;
 *                   a last line without newline comes back as a partial one.
 *   writeEtc(id, f) rewrites the container's /etc/hosts, /etc/hostname or
 *                   /etc/resolv.conf in place (a running container sees the
 *                   new contents: network connect / disconnect).
 *   metadata(id)    what the worker keeps with a container (its task spec,
 *                   network attachments...), opaque to the runtime, kept for
 *                   as long as the container; setMetadata replaces it.
 *
 * test/conformance/runtime.conformance.ts is the contract in executable form:
 * every implementation (runc/, and the fake in test/fixtures/) passes it.
 */
import type { LogLine, RunOptions } from '#libs/proto/messages.js';
import type { ImageConfig } from '../images/oci.js';

export type ContainerState = 'absent' | 'prepared' | 'created' | 'running' | 'exited';

export interface ContainerStatus {
  state: ContainerState;
  /** Set when state is exited. */
  exitCode?: number;
  /** Host pid of the container's init process while running. */
  pid?: number;
  /** When the container started / exited (Unix ms), 0 when unknown. */
  startedAt: number;
  finishedAt: number;
  /** Set when state is exited: the kernel's OOM killer ended it (its memory limit was reached). */
  oomKilled?: boolean;
}

/** ContainerMetadata: the worker's record of a container; JSON, opaque to the runtime. */
export type ContainerMetadata = Record<string, unknown>;

/** HostMount: a mount whose host side is resolved (a volume or bind as a host path, tmpfs as is). */
export interface HostMount {
  type: 'bind' | 'tmpfs';
  source: string;
  destination: string;
  readonly?: boolean;
  propagation?: string;
  tmpfsSize?: number;
  tmpfsMode?: number;
}

/** EtcFiles: the files of /etc a container gets from its host, by content. */
export interface EtcFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

/** ContainerConfig: everything the runtime needs to create one container; the steps made every host path in it. */
export interface ContainerConfig {
  id: string;
  /** Image layer directories, bottom layer first. */
  layers: string[];
  /** The image's config: Entrypoint, Cmd, Env, WorkingDir, StopSignal. */
  image: ImageConfig;
  /** The task's command (replaces the image's Cmd when not empty) and environment. */
  command: string[];
  env: string[];
  hostname: string;
  /** The container's first network; "host" means no network namespace of its own. */
  network: string;
  /** The image's user, resolved to numbers. */
  user: { uid: number; gid: number };
  /** The contents of the container's /etc/hosts, /etc/hostname, /etc/resolv.conf (the runtime keeps and mounts them). */
  etc: EtcFiles;
  /** Host directories for the image's VOLUMEs (anonymous volumes). */
  volumes: Array<{ source: string; destination: string }>;
  /** The task's mounts. */
  mounts: HostMount[];
  metadata: ContainerMetadata;
  /** docker run's options the runtime applies (capabilities, read-only root, limits...); the image-level ones are in `image` already. */
  options?: RunOptions | null;
}

/** Created: what create made that steps may use before start. */
export interface Created {
  /** The container's root filesystem on the host. */
  rootfs: string;
}

/** BeforeRun: called once the process exists and before it runs (see start). */
export type BeforeRun = (c: { pid: number; netns: string }) => Promise<void>;

export interface LogOptions {
  follow: boolean;
  /** Last N lines only; negative means all. */
  tail: number;
  /** Only lines written at or after this time (Unix ms; 0 or absent: all), before tail counts. */
  sinceMs?: number;
}

export interface Runtime {
  create(config: ContainerConfig): Promise<Created>;
  start(id: string, beforeRun?: BeforeRun): Promise<ContainerStatus>;
  status(id: string): Promise<ContainerStatus>;
  wait(id: string, signal?: AbortSignal): Promise<number>;
  stop(id: string, graceMs: number): Promise<void>;
  remove(id: string): Promise<void>;
  list(): Promise<string[]>;
  logs(id: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<LogLine>;
  writeEtc(id: string, files: Partial<EtcFiles>): Promise<void>;
  metadata(id: string): Promise<ContainerMetadata | undefined>;
  setMetadata(id: string, metadata: ContainerMetadata): Promise<void>;
}

/** RuntimeConfig is everything the runc runtime needs to know about its host. */
export interface RuntimeConfig {
  /** Root of this agent's state; containers live under <stateDir>/containers. */
  stateDir: string;
  /** runc --root; per agent so several agents can share one machine. */
  runcRoot: string;
  /** cgroup parent (cgroups v1, cgroupfs driver), per agent. */
  cgroupParent: string;
  /** The most processes a container may have (0: no limit); a fork bomb stops there, not at the host's. */
  pidsLimit?: number;
}
