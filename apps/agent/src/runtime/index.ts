/**
 * runtime/: the agent's boundary to the host (see runtime.ts for the
 * contract). Owns containers, their rootfs mounts, runc state and network
 * attachments under the agent's state dir; the worker calls it and nothing
 * else touches those. The one implementation is conmon + runc (runc/).
 */
import type { VolumePlugins } from '../volumes/plugins.js';
import { mkdir } from 'node:fs/promises';
import type { Runtime, RuntimeConfig } from './runtime.js';
import { RuncRuntime } from './runc/runc-runtime.js';
import type { ImageService } from '../images/image-service.js';
import { adoptLegacyLayers } from '../images/legacy-layers.js';

export * from './runtime.js';
export * from './errors.js';

/** createRuntime: `images` shares one image store with other users of it (the builder). */
export async function createRuntime(config: RuntimeConfig, images?: ImageService, plugins?: VolumePlugins): Promise<Runtime> {
  await mkdir(config.stateDir, { recursive: true });
  await mkdir(config.runcRoot, { recursive: true });
  await adoptLegacyLayers(config.stateDir);
  const rt = new RuncRuntime(config, images, plugins);
  await rt.restoreNetworks();
  return rt;
}
