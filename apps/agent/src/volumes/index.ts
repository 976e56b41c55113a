/**
 * volumes/: named volumes' data on this host, through VolumeDrivers
 * (volume-driver.ts). Owns <stateDir>/volumes and the calls to volume
 * plugins; must not touch containers, mounts of rootfs or networks. The
 * worker's volume step is its only user.
 */
import { LocalVolumes } from './local-volumes.js';
import { PluginVolumeDriver, type VolumePlugins } from './plugins.js';
import { VolumeDrivers } from './volume-driver.js';

export * from './volume-driver.js';
export { VolumePlugins, type PluginInfo } from './plugins.js';

/** createVolumeDrivers: the registry of drivers. Built-in drivers by name; every other name is a plugin's. */
export function createVolumeDrivers(stateDir: string, plugins: VolumePlugins): VolumeDrivers {
  return new VolumeDrivers({ local: new LocalVolumes(stateDir) }, (name) => new PluginVolumeDriver(plugins, name));
}
