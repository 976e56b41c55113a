/**
 * TaskRunner: what a TaskManager drives one task's container through. The
 * worker's pipeline (pipeline.ts) implements it by running the image,
 * volume and network steps around the Runtime; the lifecycle is the
 * runtime's (runtime/runtime.ts) with the steps folded in:
 *
 *   prepare(spec)  image present, mounts resolved, container created
 *                  (READY); idempotent. Returns the anonymous volumes made
 *                  for the image's VOLUMEs.
 *   start(id)      networks attached while the process is created, then run.
 *   status(id)     the runtime's state plus the container's addresses.
 *   updateNetworks(spec)  connect / disconnect in place while it runs.
 *   remove(id)     stopped, networks detached, volumes let go, container gone.
 */
import type { LogLine, TaskSpec } from '#libs/proto/messages.js';
import type { ContainerStatus, LogOptions } from '../runtime/index.js';

export interface ImageVolume {
  name: string;
  target: string;
}

/** TaskContainerStatus: a container's state as the worker reports it. */
export interface TaskContainerStatus extends ContainerStatus {
  /** The container's IPv4 address on its first network, "" when none. */
  address: string;
  /** network name → the container's address there. */
  addresses?: Record<string, string>;
  /** The anonymous volumes made for the image's VOLUMEs (set once prepared). */
  imageVolumes?: ImageVolume[];
}

/** Prepared: what preparing made besides the container: anonymous volumes for the image's VOLUMEs. */
export interface Prepared {
  imageVolumes: ImageVolume[];
}

export interface TaskRunner {
  prepare(spec: TaskSpec): Promise<Prepared | void>;
  start(taskId: string): Promise<TaskContainerStatus>;
  status(taskId: string): Promise<TaskContainerStatus>;
  wait(taskId: string, signal?: AbortSignal): Promise<number>;
  stop(taskId: string, graceMs: number): Promise<void>;
  remove(taskId: string): Promise<void>;
  list(): Promise<string[]>;
  logs(taskId: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<LogLine>;
  updateNetworks(spec: TaskSpec): Promise<{ addresses: Record<string, string>; errors: string[] }>;
}
