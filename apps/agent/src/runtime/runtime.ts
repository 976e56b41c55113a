/**
 * Runtime: the agent's boundary to the host. The worker drives every task
 * through this interface only; it never spawns runc, mounts, or touches
 * network namespaces itself.
 *
 * Lifecycle of one task's container, keyed by the task id:
 *
 *   prepare(spec)  image present (pulled and unpacked when absent, digests
 *                  verified), rootfs mounted (overlayfs over shared layers),
 *                  OCI bundle written. Idempotent. Throws ImageNotFoundError
 *                  when the registry has no such image.
 *   start(id)      conmon + runc create, network attached (CNI for bridge,
 *                  nothing for host, loopback only for none), runc start.
 *                  Resolves once the process runs. conmon holds stdio, writes
 *                  the log and records the exit code, so the container
 *                  outlives the agent.
 *   status(id)     what is on the host now: absent, created, running or
 *                  exited (with its exit code). Survives agent restarts.
 *   wait(id)       resolves with the exit code when the container exits.
 *   stop(id, ms)   SIGTERM, then SIGKILL after the grace period.
 *   remove(id)     stops if needed, then deletes bundle, mounts, cgroup, runc
 *                  state and network attachment. Idempotent.
 *   list()         ids of every task with state on this host, so a restarted
 *                  agent can re-adopt them (nomad's RecoverTask).
 *   logs(id, ...)  the container's log lines (CRI log format on disk).
 */
import type { LogLine, OverlayPeers, TaskSpec } from '../../../../libs/proto/messages.js';

export type ContainerState = 'absent' | 'prepared' | 'created' | 'running' | 'exited';

export interface ContainerStatus {
  state: ContainerState;
  /** Set when state is exited. */
  exitCode?: number;
  /** Host pid of the container's init process while running. */
  pid?: number;
  /** The container's IPv4 address on its first network, "" when none. */
  address: string;
  /** network name → the container's address there. */
  addresses?: Record<string, string>;
  /** The anonymous volumes made for the image's VOLUMEs (set once prepared). */
  imageVolumes?: Array<{ name: string; target: string }>;
  /** When the container started / exited (Unix ms), 0 when unknown. */
  startedAt: number;
  finishedAt: number;
}

/** Prepared: what preparing made besides the container: anonymous volumes for the image's VOLUMEs. */
export interface Prepared {
  imageVolumes: Array<{ name: string; target: string }>;
}

export interface LogOptions {
  follow: boolean;
  /** Last N lines only; negative means all. */
  tail: number;
}

export interface Runtime {
  prepare(spec: TaskSpec): Promise<Prepared | void>;
  start(taskId: string): Promise<ContainerStatus>;
  status(taskId: string): Promise<ContainerStatus>;
  wait(taskId: string, signal?: AbortSignal): Promise<number>;
  stop(taskId: string, graceMs: number): Promise<void>;
  remove(taskId: string): Promise<void>;
  list(): Promise<string[]>;
  logs(taskId: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<LogLine>;
  /** setOverlayPeers: the controller's peer tables of the overlay networks this host has tasks on. */
  setOverlayPeers?(overlays: OverlayPeers[]): Promise<void>;
  /** updateNetworks: connect and disconnect a container to match the spec's networks (in place when running). */
  updateNetworks?(spec: TaskSpec): Promise<{ addresses: Record<string, string>; errors: string[] }>;
  /** removeVolumes deletes volumes' data (local, or through their plugin: drivers maps name → plugin); none may be mounted here. */
  removeVolumes?(names: string[], drivers?: Record<string, string>): Promise<string[]>;
  /** networkDevices: the host devices networks hold for this runtime's containers (overlay interfaces the host cannot see in use). */
  networkDevices?(): Set<string>;
}

/** RuntimeConfig is everything a runtime needs to know about its host. */
export interface RuntimeConfig {
  /** Root of this agent's state: content store, layers, bundles, logs. */
  stateDir: string;
  /** runc --root; per agent so several agents can share one machine. */
  runcRoot: string;
  /** cgroup parent (cgroups v1, cgroupfs driver), per agent. */
  cgroupParent: string;
  /** Name and IPv4 subnet of this host's default bridge network. */
  bridgeName: string;
  bridgeSubnet: string;
  /** Where the standard CNI plugins live (Debian: /usr/lib/cni). */
  cniPath: string;
  /** Registries reached over plain HTTP (host:port). */
  insecureRegistries: string[];
  /** Where volume plugins' sockets are (<name>.sock). */
  volumePluginDir?: string;
}
