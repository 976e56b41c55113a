/**
 * VolumeDriver: where a named volume's data lives on this host. The worker's
 * volume step asks a driver for a volume's host path when a container
 * mounts it, tells it when the container is gone, and removes the volume
 * when the controller asks (no container here may still mount it). Drivers
 * are found by name in VolumeDrivers: `local` (local-volumes.ts, one
 * directory per volume) is built in, and any other name is a volume plugin
 * speaking Docker's protocol (plugins.ts). A new built-in driver is one file
 * implementing this interface and one entry in createVolumeDrivers (index.ts).
 */

export interface MountedVolume {
  /** The volume's data on the host (bind-mounted into the container). */
  path: string;
  /** True when this call made the volume: it is empty, and the image's content at the target is copied in (Docker's copy-up). */
  created: boolean;
}

export interface VolumeDriver {
  /** mount makes the volume if it is absent (with the driver options) and returns its host path for container `containerId`. */
  mount(name: string, options: Record<string, string>, containerId: string): Promise<MountedVolume>;
  /** unmount: container `containerId` no longer uses the volume here. */
  unmount(name: string, containerId: string): Promise<void>;
  /** remove deletes the volume's data; removing an absent volume is no error. */
  remove(name: string): Promise<void>;
}

/** VolumeDrivers finds a volume's driver by name ("" and "local" are the local driver). */
export class VolumeDrivers {
  constructor(
    private readonly builtIn: Record<string, VolumeDriver>,
    private readonly plugin: (name: string) => VolumeDriver,
  ) {}

  get(name: string | undefined): VolumeDriver {
    return this.builtIn[name || 'local'] ?? this.plugin(name!);
  }
}
