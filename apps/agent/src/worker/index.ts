/**
 * worker/: runs the tasks the controller assigns to this host. Owns the
 * task managers and the pipeline of steps (steps/: image, volume, network)
 * around the Runtime; the session talks to the Worker and to nothing below
 * it. createPipeline is where the agent's parts are put together.
 */
import { mkdir } from 'node:fs/promises';
import { ImageService } from '../images/image-service.js';
import type { ImageStore } from '../images/image-store.js';
import { adoptLegacyLayers } from '../images/legacy-layers.js';
import { createNetworks, type NetworkRegistry } from '../network/index.js';
import { createRuntime, type RuntimeConfig } from '../runtime/index.js';
import { createVolumeDrivers, VolumePlugins } from '../volumes/index.js';
import { TaskPipeline } from './pipeline.js';
import { ImageStep } from './steps/image.js';
import { NetworkStep } from './steps/network.js';
import { VolumeStep } from './steps/volume.js';

export { Worker } from './worker.js';
export { TaskPipeline } from './pipeline.js';
export type { Prepared, TaskContainerStatus, TaskRunner } from './task-runner.js';

/** HostConfig: the runtime's settings plus what the steps need to know about this host. */
export interface HostConfig extends RuntimeConfig {
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

/** hostNetworks: this host's networks (the default bridge, host, none and user-defined ones), shared by the tasks and the builder. */
export function hostNetworks(cfg: HostConfig): NetworkRegistry {
  return createNetworks(cfg.cniPath, { bridgeName: cfg.bridgeName, subnet: cfg.bridgeSubnet, stateDir: cfg.stateDir });
}

/**
 * createPipeline puts the runtime and the steps together and gives the
 * networks back the containers that kept running while the agent was down.
 * `images` and `networks` are shared with their other user (the builder).
 */
export async function createPipeline(cfg: HostConfig, images?: ImageStore, plugins?: VolumePlugins, networks = hostNetworks(cfg)): Promise<TaskPipeline> {
  await mkdir(cfg.stateDir, { recursive: true });
  await adoptLegacyLayers(cfg.stateDir);
  const runtime = await createRuntime(cfg);
  const volumes = createVolumeDrivers(cfg.stateDir, plugins ?? new VolumePlugins(cfg.volumePluginDir ?? '/run/berth/plugins'));
  const pipeline = new TaskPipeline(runtime, new ImageStep(images ?? new ImageService(cfg.stateDir, cfg.insecureRegistries)), new VolumeStep(volumes), new NetworkStep(networks));
  await pipeline.restoreNetworks();
  return pipeline;
}
