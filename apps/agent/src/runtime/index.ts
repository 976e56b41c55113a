/**
 * runtime/: containers on this host (see runtime.ts for the contract). Owns
 * their rootfs mounts, bundles, runc state and logs under the agent's state
 * dir; the worker calls it and nothing else touches those. It must not
 * pull images, make volumes or plumb networks (the worker's steps do). The
 * one implementation is conmon + runc (runc/).
 */
import { mkdir } from 'node:fs/promises';
import type { Runtime, RuntimeConfig } from './runtime.js';
import { RuncRuntime } from './runc/runc-runtime.js';

export * from './runtime.js';

export async function createRuntime(config: RuntimeConfig): Promise<Runtime> {
  await mkdir(config.stateDir, { recursive: true });
  await mkdir(config.runcRoot, { recursive: true });
  return new RuncRuntime(config);
}
