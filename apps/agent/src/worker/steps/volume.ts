/**
 * VolumeStep: a task's mounts on this host, before its container is
 * created. A volume becomes its driver's host path (made on first use), a
 * bind's source must exist here, tmpfs passes as is, and each VOLUME of the
 * image gets an anonymous local volume of its own. Volumes made just now are
 * filled with what the image has at their target once the container's
 * rootfs exists (seed: Docker's copy-up). On removal the drivers hear that
 * the container let its volumes go; volume removal refuses volumes a
 * container here still mounts. Drivers are found in VolumeDrivers (volumes/).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { TaskSpec } from '#libs/proto/messages.js';
import { RuntimeError } from '../../errors.js';
import { run, type ExecError } from '../../exec/run.js';
import { scopedPath } from '../../fs/scoped-path.js';
import type { HostMount } from '../../runtime/index.js';
import type { VolumeDrivers } from '../../volumes/index.js';

/** COPY_UP_TIMEOUT_MS bounds copying an image's content into a new volume. */
const COPY_UP_TIMEOUT_MS = 30_000;

export interface PreparedVolumes {
  mounts: HostMount[];
  /** The image's VOLUMEs as anonymous volumes: name, host path, target. */
  imageVolumes: Array<{ name: string; source: string; destination: string }>;
  /** New volumes to fill from the image at their target. */
  seeds: Array<{ path: string; target: string }>;
}

export class VolumeStep {
  constructor(private readonly drivers: VolumeDrivers) {}

  /** prepare resolves the task's mounts and the image's VOLUMEs (absolute paths a task mount does not take). */
  async prepare(spec: TaskSpec, imageVolumePaths: string[]): Promise<PreparedVolumes> {
    const out: PreparedVolumes = { mounts: [], imageVolumes: [], seeds: [] };
    for (const m of spec.mounts ?? []) {
      const base = { destination: m.target, readonly: !!m.readonly };
      if (m.type === 'tmpfs') out.mounts.push({ ...base, type: 'tmpfs', source: '', tmpfsSize: m.tmpfsSize || undefined, tmpfsMode: m.tmpfsMode || undefined });
      else if (m.type === 'bind') {
        if (!(await stat(m.source).catch(() => undefined))) throw new RuntimeError(`bind source ${m.source} does not exist on this host`);
        out.mounts.push({ ...base, type: 'bind', source: m.source, propagation: m.propagation || undefined });
      } else {
        const v = await this.drivers.get(m.driver).mount(m.source, m.volumeOptions ?? {}, spec.id);
        if (v.created) out.seeds.push({ path: v.path, target: m.target });
        out.mounts.push({ ...base, type: 'bind', source: v.path });
      }
    }
    for (const dest of imageVolumePaths) {
      if (!path.posix.isAbsolute(dest) || out.mounts.some((m) => m.destination === dest)) continue;
      const name = createHash('sha256').update(`${spec.id}:${dest}`).digest('hex');
      const v = await this.drivers.get('local').mount(name, {}, spec.id);
      if (v.created) out.seeds.push({ path: v.path, target: dest });
      out.imageVolumes.push({ name, source: v.path, destination: dest });
    }
    return out;
  }

  /** seed copies what the image has at each new volume's target into it, keeping owners, modes, links and times. */
  async seed(seeds: PreparedVolumes['seeds'], rootfs: string): Promise<void> {
    for (const s of seeds) {
      const inImage = await scopedPath(rootfs, s.target);
      if (!(await stat(inImage).catch(() => undefined))?.isDirectory()) continue;
      await run('cp', ['-a', `${inImage}/.`, s.path], { timeout: COPY_UP_TIMEOUT_MS }).catch((err: ExecError) => {
        throw new RuntimeError(`cp -a: ${(err.stderr || err.message).trim()}`);
      });
    }
  }

  /** release tells the drivers a container no longer uses its volumes (errors are left to the driver). */
  async release(spec: TaskSpec): Promise<void> {
    for (const m of spec.mounts ?? []) {
      if (m.type === 'volume')
        await this.drivers
          .get(m.driver)
          .unmount(m.source, spec.id)
          .catch(() => {});
    }
  }

  /** remove deletes volumes' data through their drivers (drivers maps name → driver), refusing those `mounted` specs still use. */
  async remove(names: string[], drivers: Record<string, string>, mounted: TaskSpec[]): Promise<string[]> {
    for (const spec of mounted) {
      const used = spec.mounts?.find((m) => m.type === 'volume' && names.includes(m.source));
      if (used) throw new RuntimeError(`volume ${used.source} is used by container ${spec.name} on this host`);
    }
    for (const n of names) await this.drivers.get(drivers[n]).remove(n);
    return names;
  }
}
