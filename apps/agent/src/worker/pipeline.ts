/**
 * TaskPipeline: a task's container as ordered steps around the Runtime.
 *
 *   prepare  network check → image (pull, user) → volumes (mounts) →
 *            runtime.create → volumes (copy-up into new volumes)
 *   start    runtime.start, networks attached while the process is created;
 *            a start that fails removes the container (the task is over)
 *   remove   runtime.stop → networks detached → volumes let go → runtime.remove
 *
 * What the steps must remember of a container (its spec without
 * credentials, its attachments, its anonymous volumes) is the container's
 * metadata, kept by the runtime for as long as the container, so a
 * restarted agent detaches and restores exactly what was attached.
 * docs/design/worker.md describes the whole.
 */
import type { LogLine, OverlayPeers, TaskSpec } from '#libs/proto/messages.js';
import { ContainerNotFoundError } from '../errors.js';
import type { LiveAttachment } from '../network/index.js';
import type { ContainerMetadata, ContainerStatus, LogOptions, Runtime } from '../runtime/index.js';
import { containerHostname, ImageStep, withoutCredentials } from './steps/image.js';
import { addressesOf, hostsFile, NetworkStep } from './steps/network.js';
import { VolumeStep } from './steps/volume.js';
import type { ImageVolume, Prepared, TaskContainerStatus, TaskRunner } from './task-runner.js';

/** TaskRecord: the worker's metadata of a container (the runtime keeps it; its layout is older agents' record.json). */
interface TaskRecord {
  spec: TaskSpec;
  /** The first network's address ("" when none). */
  address: string;
  /** The networks attached while the container runs. */
  attachments?: LiveAttachment[];
  imageVolumes?: ImageVolume[];
}

export class TaskPipeline implements TaskRunner {
  constructor(
    private readonly runtime: Runtime,
    private readonly image: ImageStep,
    private readonly volume: VolumeStep,
    private readonly network: NetworkStep,
  ) {}

  private async record(id: string): Promise<TaskRecord | undefined> {
    return (await this.runtime.metadata(id)) as TaskRecord | undefined;
  }

  private save(id: string, rec: TaskRecord): Promise<void> {
    return this.runtime.setMetadata(id, rec as unknown as ContainerMetadata);
  }

  private withRecord(st: ContainerStatus, rec: TaskRecord | undefined): TaskContainerStatus {
    if (!rec) return { ...st, address: '' };
    return { ...st, address: rec.address, addresses: addressesOf(rec.attachments), imageVolumes: rec.imageVolumes ?? [] };
  }

  async prepare(spec: TaskSpec): Promise<Prepared> {
    this.network.check(spec); // reject unknown networks before any work
    const existing = await this.record(spec.id);
    if (existing) return { imageVolumes: existing.imageVolumes ?? [] };
    const { image, config, user, volumes } = await this.image.prepare(spec);
    try {
      const v = await this.volume.prepare(spec, volumes);
      const imageVolumes = v.imageVolumes.map((x) => ({ name: x.name, target: x.destination }));
      const metadata: TaskRecord = { spec: withoutCredentials(spec), address: '', imageVolumes };
      const { rootfs } = await this.runtime.create({
        id: spec.id,
        layers: image.layerDirs,
        image: config,
        command: spec.command,
        env: spec.env,
        hostname: containerHostname(spec),
        network: this.network.firstNetwork(spec),
        user,
        etc: await this.network.etc(spec),
        volumes: v.imageVolumes,
        mounts: v.mounts,
        metadata: metadata as unknown as ContainerMetadata,
        options: spec.options,
      });
      await this.volume.seed(v.seeds, rootfs);
      return { imageVolumes };
    } catch (err) {
      // Leave nothing half made: a retry starts from scratch.
      await this.volume.release(spec);
      await this.runtime.remove(spec.id).catch(() => {});
      throw err;
    }
  }

  async start(id: string): Promise<TaskContainerStatus> {
    const rec = await this.record(id);
    if (!rec) throw new ContainerNotFoundError(id);
    const cur = await this.runtime.status(id);
    if (cur.state === 'running') return this.withRecord(cur, rec);
    if (cur.state === 'created' || (cur.state === 'exited' && !cur.startedAt)) {
      // A start that failed, or an agent that died between create and start: its attachments go first.
      await this.network.detach(rec.spec, rec.attachments ?? []);
      rec.attachments = [];
      await this.save(id, rec);
    }
    let live: LiveAttachment[] = [];
    try {
      const st = await this.runtime.start(id, async ({ netns }) => {
        live = await this.network.attach(rec.spec, netns);
        if (!live.length) return;
        rec.attachments = live;
        rec.address = live[0]?.address ?? '';
        if (rec.address) await this.runtime.writeEtc(id, { hosts: hostsFile(rec.spec, live) });
        await this.save(id, rec);
      });
      return this.withRecord(st, rec);
    } catch (err) {
      // A task whose start failed is over (rejected, never retried): nothing of it stays
      // mounted, attached or held, however long the controller keeps the task in its history.
      await this.network.detach(rec.spec, live);
      await this.volume.release(rec.spec);
      await this.runtime.remove(id).catch(() => {});
      throw err;
    }
  }

  async status(id: string): Promise<TaskContainerStatus> {
    const st = await this.runtime.status(id);
    return this.withRecord(st, st.state === 'absent' ? undefined : await this.record(id));
  }

  wait(id: string, signal?: AbortSignal): Promise<number> {
    return this.runtime.wait(id, signal);
  }

  stop(id: string, graceMs: number): Promise<void> {
    return this.runtime.stop(id, graceMs);
  }

  async remove(id: string): Promise<void> {
    const rec = await this.record(id);
    if (rec) {
      await this.runtime.stop(id, 0);
      await this.network.detach(rec.spec, rec.attachments ?? []);
      await this.volume.release(rec.spec);
    }
    await this.runtime.remove(id);
  }

  list(): Promise<string[]> {
    return this.runtime.list();
  }

  logs(id: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<LogLine> {
    return this.runtime.logs(id, opts, signal);
  }

  /**
   * updateNetworks takes a task's new network list: a running container is
   * connected and disconnected in place; one not started yet simply starts with it.
   */
  async updateNetworks(spec: TaskSpec): Promise<{ addresses: Record<string, string>; errors: string[] }> {
    const rec = await this.record(spec.id);
    if (!rec) throw new ContainerNotFoundError(spec.id);
    const previous = rec.spec;
    rec.spec = { ...rec.spec, networks: spec.networks };
    const st = await this.runtime.status(spec.id);
    let errors: string[] = [];
    if (st.state === 'running' && st.pid) {
      const done = await this.network.reconnect(rec.spec, rec.attachments ?? [], `/proc/${st.pid}/ns/net`, previous);
      rec.attachments = done.live;
      rec.address = done.live[0]?.address ?? '';
      errors = done.errors;
      await this.runtime.writeEtc(spec.id, { hosts: hostsFile(rec.spec, done.live) });
    }
    // Rewritten in place (a running container sees the new contents through its bind mount).
    await this.runtime.writeEtc(spec.id, { resolvConf: await this.network.resolvConf(rec.spec) });
    await this.save(spec.id, rec);
    return { addresses: addressesOf(rec.attachments), errors };
  }

  /** restoreNetworks gives networks back the running containers they had before an agent restart. */
  async restoreNetworks(): Promise<void> {
    for (const id of await this.runtime.list()) {
      const rec = await this.record(id).catch(() => undefined);
      if (!rec?.attachments?.length) continue;
      const st = await this.runtime.status(id);
      if (st.state === 'running') await this.network.restore(rec.spec, rec.attachments, `/proc/${st.pid}/ns/net`).catch(() => {});
    }
  }

  /** removeVolumes deletes volumes' data through their drivers (drivers maps name → driver), refusing those a container here mounts. */
  async removeVolumes(names: string[], drivers: Record<string, string> = {}): Promise<string[]> {
    const mounted: TaskSpec[] = [];
    for (const id of await this.runtime.list()) {
      const rec = await this.record(id).catch(() => undefined);
      if (rec) mounted.push(rec.spec);
    }
    return this.volume.remove(names, drivers, mounted);
  }

  setOverlayPeers(overlays: OverlayPeers[]): Promise<void> {
    return this.network.setOverlayPeers(overlays);
  }

  networkDevices(): Set<string> {
    return this.network.hostDevices();
  }

  guardVipPool(pool: string): Promise<void> {
    return this.network.guardVipPool(pool);
  }
}
