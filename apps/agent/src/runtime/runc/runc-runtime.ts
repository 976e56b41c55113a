/**
 * RuncRuntime implements Runtime with conmon + runc over an overlayfs
 * rootfs. Everything it knows about a container is on disk under
 * <stateDir>/containers/<taskId>/ (task spec, bundle, log, exit file, pid
 * files, attachment), so a restarted agent re-adopts running containers
 * from there and from runc's own state.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import { scopedPath } from '../scoped-path.js';
import type { LogLine, OverlayPeers, TaskSpec } from '../../../../../libs/proto/messages.js';
import type { ContainerStatus, LogOptions, Prepared, Runtime, RuntimeConfig } from '../runtime.js';
import { ContainerNotFoundError, InvalidTaskIdError, RuntimeError } from '../errors.js';
import { readLogs } from '../logs.js';
import { ImageService, type LocalImage } from '../../images/image-service.js';
import { ContainerNetworks, createNetworks, type LiveAttachment, type NetworkRegistry } from '../../network/index.js';
import { containerPaths, hostNofileLimit, mountOverlay, RuncAdapter, sh, unmount, type ContainerPaths } from './adapter.js';
import { NOFILE_LIMIT, parseUser, toOciSpec, type HostMount } from './bundle.js';
import { LocalVolumes } from '../../volumes/local-volumes.js';
import { copyOwnerAndMode, mkdirMode, writeFileMode } from '../../fs/modes.js';
import { VolumePlugins } from '../../volumes/plugins.js';

/** EXIT_POLL_MS: safety re-check of the exit file while watching it with inotify. */
const EXIT_POLL_MS = 2_000;
/** EXIT_POLL_FALLBACK_MS: the polling period when the exit dir cannot be watched. */
const EXIT_POLL_FALLBACK_MS = 100;
/** KILL_WAIT_MS: how long to wait for an exit after SIGKILL. */
const KILL_WAIT_MS = 5_000;

/** TASK_ID: task ids become directory and runc container names. */
const TASK_ID = /^[a-z0-9]{1,64}$/;

interface Record_ {
  spec: TaskSpec;
  /** The image's StopSignal (runc's name for it), TERM when it has none. */
  stopSignal?: string;
  /** The first network's address ("" when none). */
  address: string;
  /** The networks attached while the container runs, in the record so detach and restore survive agent restarts. */
  attachments?: LiveAttachment[];
  /** The anonymous volumes made for the image's VOLUMEs. */
  imageVolumes?: Array<{ name: string; target: string }>;
  startedAt: number;
  finishedAt: number;
}

/** stopSignalName turns an image StopSignal (SIGINT, INT, 2) into runc kill's name; TERM when unset or unknown. */
export function stopSignalName(s: string | undefined): string {
  if (!s) return 'TERM';
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(name)) {
    const byNumber = Object.entries(osConstants.signals).find(([, n]) => n === Number(name));
    return byNumber ? byNumber[0].replace(/^SIG/, '') : 'TERM';
  }
  return `SIG${name}` in osConstants.signals ? name : 'TERM';
}

/** addressesOf: network name → address, for the networks that gave the container one. */
function addressesOf(live: LiveAttachment[] = []): Record<string, string> {
  return Object.fromEntries(live.filter((l) => l.address).map((l) => [l.network, l.address]));
}

/**
 * resolvConf: a user-defined network's resolver when the container is on one (any of
 * them answers the names of all its networks), else the host's resolvers.
 */
async function resolvConf(spec: TaskSpec): Promise<string> {
  const named = spec.networks.find((a) => a.config?.driver === 'bridge' || a.config?.driver === 'overlay');
  if (named) return `nameserver ${named.config!.gateway}\noptions ndots:0\n`;
  return (spec.networks[0]?.name ?? 'none') === 'none' ? '' : readFile('/etc/resolv.conf', 'utf8').catch(() => '');
}

/** hostsFile: /etc/hosts with the container's own name on each of its addresses. */
function hostsFile(taskId: string, live: LiveAttachment[]): string {
  const own = live.filter((l) => l.address).map((l) => `${l.address}\t${taskId.slice(0, 12)}\n`).join('');
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class RuncRuntime implements Runtime {
  private readonly containersDir: string;
  private readonly runc: RuncAdapter;
  private readonly images: ImageService;
  private readonly networks: NetworkRegistry;
  private readonly nets: ContainerNetworks;
  private readonly volumes: LocalVolumes;
  readonly plugins: VolumePlugins;
  /** The container NOFILE limit: Docker's, capped by what this process may grant. */
  private readonly nofile = hostNofileLimit().then((hard) => Math.min(NOFILE_LIMIT, hard ?? NOFILE_LIMIT));

  constructor(private readonly cfg: RuntimeConfig, images?: ImageService, plugins?: VolumePlugins) {
    this.containersDir = path.join(cfg.stateDir, 'containers');
    this.runc = new RuncAdapter(cfg.runcRoot);
    this.images = images ?? new ImageService(cfg.stateDir, cfg.insecureRegistries);
    this.networks = createNetworks(cfg.cniPath, { bridgeName: cfg.bridgeName, subnet: cfg.bridgeSubnet, stateDir: cfg.stateDir });
    this.nets = new ContainerNetworks(this.networks);
    this.volumes = new LocalVolumes(cfg.stateDir);
    this.plugins = plugins ?? new VolumePlugins(cfg.volumePluginDir ?? '/run/berth/plugins');
  }

  private paths(id: string): ContainerPaths {
    if (!TASK_ID.test(id)) throw new InvalidTaskIdError(id);
    return containerPaths(this.containersDir, id);
  }

  private async record(id: string): Promise<Record_ | undefined> {
    const raw = await readFile(path.join(this.paths(id).dir, 'record.json'), 'utf8').catch(() => undefined);
    return raw ? (JSON.parse(raw) as Record_) : undefined;
  }

  private async saveRecord(id: string, r: Record_): Promise<void> {
    const file = path.join(this.paths(id).dir, 'record.json');
    await writeFile(`${file}.tmp`, JSON.stringify(r));
    await rename(`${file}.tmp`, file);
  }

  private async exitCode(p: ContainerPaths, id: string): Promise<number | undefined> {
    const raw = await readFile(path.join(p.exitDir, id), 'utf8').catch(() => undefined);
    return raw === undefined || raw.trim() === '' ? undefined : Number(raw.trim());
  }

  async prepare(spec: TaskSpec): Promise<Prepared> {
    this.nets.check(spec); // reject unknown networks before any work
    const p = this.paths(spec.id);
    const existing = await this.record(spec.id);
    if (existing) return { imageVolumes: existing.imageVolumes ?? [] };
    const image = await this.images.ensure(spec.image, { auth: spec.pullAuth ?? undefined });
    try {
      return await this.writeBundle(spec, p, image);
    } catch (err) {
      // Leave nothing half made: a retry starts from scratch instead of stacking mounts.
      await this.unmountPlugins(spec);
      await unmount(path.join(p.bundle, 'rootfs')).catch(() => {});
      await rm(p.dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async writeBundle(spec: TaskSpec, p: ContainerPaths, image: LocalImage): Promise<Prepared> {
    await mkdir(p.dir, { recursive: true });
    const rootfs = path.join(p.bundle, 'rootfs');
    for (const d of [rootfs, path.join(p.dir, 'upper'), path.join(p.dir, 'work'), p.exitDir, path.join(p.dir, 'etc')]) {
      await mkdir(d, { recursive: true });
    }
    // The merged `/` shows the upper dir's owner and mode: make them the image's, never the agent's umask.
    await copyOwnerAndMode(image.layerDirs[0], path.join(p.dir, 'upper'));
    await mountOverlay(image.layerDirs, p.dir, rootfs);
    // As Docker does, a WorkingDir the image names but lacks is made 0755 (in the container's own layer).
    const cwd = image.config.config?.WorkingDir;
    if (cwd) await mkdirMode(await scopedPath(rootfs, cwd));
    const hostname = spec.id.slice(0, 12);
    const etc = { hosts: path.join(p.dir, 'etc', 'hosts'), hostname: path.join(p.dir, 'etc', 'hostname'), resolvConf: path.join(p.dir, 'etc', 'resolv.conf') };
    await writeFileMode(etc.hosts, hostsFile(spec.id, []));
    await writeFileMode(etc.hostname, `${hostname}\n`);
    // A user-defined network's own resolver answers its names and forwards the rest.
    const first = spec.networks[0]?.name ?? 'none';
    await writeFileMode(etc.resolvConf, await resolvConf(spec));
    const readEtc = (f: string) => readFile(path.join(rootfs, 'etc', f), 'utf8').catch(() => '');
    const user = parseUser(image.config.config?.User ?? '', await readEtc('passwd'), await readEtc('group'));
    const mounts = await this.hostMounts(spec, rootfs);
    const volumes = await this.imageVolumes(spec.id, rootfs, Object.keys(image.config.config?.Volumes ?? {}).filter((v) => !mounts.some((m) => m.destination === v)));
    const oci = toOciSpec({
      taskId: spec.id, hostname, command: spec.command, env: spec.env, network: first, image: image.config, user,
      cgroupsPath: `/${this.cfg.cgroupParent}/${spec.id}`, etcFiles: etc, nofile: await this.nofile, volumes, mounts,
    });
    await writeFile(path.join(p.bundle, 'config.json'), JSON.stringify(oci));
    // Pull credentials are for the pull only: they never reach the disk.
    const kept = { ...spec, pullAuth: null };
    const imageVolumes = volumes.map((v) => ({ name: v.name, target: v.destination }));
    await this.saveRecord(spec.id, { spec: kept, stopSignal: stopSignalName(image.config.config?.StopSignal), address: '', startedAt: 0, finishedAt: 0, imageVolumes });
    return { imageVolumes };
  }

  /**
   * hostMounts resolves the task's mounts on this host: a volume becomes its
   * directory (made on first use, and then seeded with what the image has at
   * the target, as Docker's copy-up), a bind's source must exist here.
   */
  private async hostMounts(spec: TaskSpec, rootfs: string): Promise<HostMount[]> {
    const out: HostMount[] = [];
    for (const m of spec.mounts ?? []) {
      const base = { destination: m.target, readonly: !!m.readonly };
      if (m.type === 'tmpfs') out.push({ ...base, type: 'tmpfs', source: '', tmpfsSize: m.tmpfsSize || undefined, tmpfsMode: m.tmpfsMode || undefined });
      else if (m.type === 'bind') {
        if (!(await stat(m.source).catch(() => undefined))) throw new RuntimeError(`bind source ${m.source} does not exist on this host`);
        out.push({ ...base, type: 'bind', source: m.source, propagation: m.propagation || undefined });
      } else if (m.driver && m.driver !== 'local') {
        out.push({ ...base, type: 'bind', source: await this.plugins.mount(m.driver, m.source, m.volumeOptions ?? {}, spec.id) });
      } else {
        out.push({ ...base, type: 'bind', source: await this.seededVolume(m.source, m.volumeOptions ?? {}, rootfs, m.target) });
      }
    }
    return out;
  }

  /** unmountPlugins tells volume plugins a container no longer uses their volumes (errors are left to the plugin). */
  private async unmountPlugins(spec: TaskSpec): Promise<void> {
    for (const m of spec.mounts ?? []) {
      if (m.type === 'volume' && m.driver && m.driver !== 'local') await this.plugins.unmount(m.driver, m.source, spec.id).catch(() => {});
    }
  }

  /** removeVolumes deletes volumes' data (plugin volumes through their plugin), refusing those a container here still mounts. */
  async removeVolumes(names: string[], drivers: Record<string, string> = {}): Promise<string[]> {
    for (const id of await this.list()) {
      const rec = await this.record(id).catch(() => undefined);
      const used = rec?.spec.mounts?.find((m) => m.type === 'volume' && names.includes(m.source));
      if (used) throw new RuntimeError(`volume ${used.source} is used by container ${rec!.spec.name} on this host`);
    }
    for (const n of names) {
      const driver = drivers[n] ?? 'local';
      if (driver === 'local') await this.volumes.remove(n);
      else await this.plugins.remove(driver, n);
    }
    return names;
  }

  /**
   * imageVolumes gives each VOLUME of the image an anonymous local volume of
   * its own, named from the task and the path, seeded with what the image has
   * there, as Docker does. They outlive the container (reported with its
   * READY status, the controller lists them and `rm -v` removes them).
   */
  private async imageVolumes(taskId: string, rootfs: string, paths: string[]): Promise<Array<{ name: string; source: string; destination: string }>> {
    const out: Array<{ name: string; source: string; destination: string }> = [];
    for (const dest of paths) {
      if (!path.posix.isAbsolute(dest)) continue;
      const name = createHash('sha256').update(`${taskId}:${dest}`).digest('hex');
      out.push({ name, source: await this.seededVolume(name, {}, rootfs, dest), destination: dest });
    }
    return out;
  }

  /** seededVolume: a local volume's host path; a new one starts with what the image has at `target` (Docker's copy-up). */
  private async seededVolume(name: string, options: Record<string, string>, rootfs: string, target: string): Promise<string> {
    const v = await this.volumes.ensure(name, options);
    const inImage = await scopedPath(rootfs, target);
    // cp -a keeps owners, modes, links and times, as the image has them.
    if (v.created && (await stat(inImage).catch(() => undefined))?.isDirectory()) await sh('cp', ['-a', `${inImage}/.`, v.path]);
    return v.path;
  }

  /** setOverlayPeers passes the controller's overlay peer tables to the networks. */
  async setOverlayPeers(overlays: OverlayPeers[]): Promise<void> {
    for (const o of overlays) await this.networks.setPeers(o.network, o.peers ?? []);
  }

  networkDevices(): Set<string> {
    return this.networks.hostDevices();
  }

  /** restoreNetworks gives networks back the running containers they had before an agent restart. */
  async restoreNetworks(): Promise<void> {
    for (const id of await this.list()) {
      const rec = await this.record(id).catch(() => undefined);
      if (!rec?.attachments?.length || !rec.startedAt) continue;
      const st = await this.status(id);
      if (st.state === 'running') await this.nets.restore(rec.spec, rec.attachments, `/proc/${st.pid}/ns/net`).catch(() => {});
    }
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
    const st = await this.status(spec.id);
    let errors: string[] = [];
    const etc = path.join(this.paths(spec.id).dir, 'etc');
    if (st.state === 'running' && st.pid) {
      const done = await this.nets.reconcile(rec.spec, rec.attachments ?? [], `/proc/${st.pid}/ns/net`, previous);
      rec.attachments = done.live;
      rec.address = done.live[0]?.address ?? '';
      errors = done.errors;
      await writeFileMode(path.join(etc, 'hosts'), hostsFile(spec.id, done.live));
    }
    // Rewritten in place (a running container sees the new contents through its bind mount).
    await writeFileMode(path.join(etc, 'resolv.conf'), await resolvConf(rec.spec));
    await this.saveRecord(spec.id, rec);
    return { addresses: addressesOf(rec.attachments), errors };
  }

  async start(taskId: string): Promise<ContainerStatus> {
    const rec = await this.record(taskId);
    if (!rec) throw new ContainerNotFoundError(taskId);
    const p = this.paths(taskId);
    const cur = await this.status(taskId);
    if (cur.state === 'running') return cur;
    if (cur.state === 'exited' && rec.startedAt) throw new RuntimeError(`the container of task ${taskId} has already run (exit code ${cur.exitCode}); remove it first`);
    if (cur.state !== 'prepared') {
      // A start that failed, or an agent that died between create and start: begin again.
      await this.runc.delete(taskId).catch(() => {});
      await this.nets.detachAll(rec.spec, rec.attachments ?? []);
      rec.attachments = [];
    }
    // A failed earlier start may have left pid or exit files behind.
    await Promise.all([p.pidFile, p.conmonPidFile, path.join(p.exitDir, taskId)].map((f) => rm(f, { force: true })));
    const pid = await this.runc.create(taskId, p).catch(async (err: Error) => {
      await this.runc.delete(taskId).catch(() => {});
      throw err;
    });
    try {
      if (this.nets.needsNamespace(rec.spec)) {
        rec.attachments = await this.nets.attachAll(rec.spec, `/proc/${pid}/ns/net`);
        rec.address = rec.attachments[0]?.address ?? '';
        if (rec.address) await writeFileMode(path.join(p.dir, 'etc', 'hosts'), hostsFile(taskId, rec.attachments));
      }
      await this.runc.start(taskId);
    } catch (err) {
      await this.runc.delete(taskId).catch(() => {});
      await this.nets.detachAll(rec.spec, rec.attachments ?? []);
      throw err;
    }
    rec.startedAt = Date.now();
    await this.saveRecord(taskId, rec);
    return { state: 'running', pid, address: rec.address, addresses: addressesOf(rec.attachments), startedAt: rec.startedAt, finishedAt: 0 };
  }

  async status(taskId: string): Promise<ContainerStatus> {
    const rec = await this.record(taskId);
    if (!rec) return { state: 'absent', address: '', startedAt: 0, finishedAt: 0 };
    const p = this.paths(taskId);
    const base = { address: rec.address, addresses: addressesOf(rec.attachments), imageVolumes: rec.imageVolumes ?? [], startedAt: rec.startedAt, finishedAt: rec.finishedAt };
    const code = await this.exitCode(p, taskId);
    if (code !== undefined) return { ...base, state: 'exited', exitCode: code };
    const raw = await readFile(p.pidFile, 'utf8').catch(() => '');
    const pid = Number(raw.trim());
    if (pid && alive(pid)) return { ...base, state: rec.startedAt ? 'running' : 'created', pid };
    if (pid) {
      // conmon writes the exit file a moment after the process is reaped.
      const later = await this.waitExit(p, taskId, 1_000);
      if (later !== undefined) return { ...base, state: 'exited', exitCode: later };
      return { ...base, state: 'exited', exitCode: 137 };
    }
    return { ...base, state: 'prepared' };
  }

  /**
   * waitExit resolves with the exit code once conmon writes the exit file,
   * or undefined at the timeout or abort. It sleeps on an inotify watch of
   * the exit dir, re-checking every EXIT_POLL_MS in case an event is missed,
   * so a hundred idle containers cost no polling.
   */
  private async waitExit(p: ContainerPaths, id: string, timeoutMs: number, signal?: AbortSignal): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | undefined;
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(p.exitDir, () => wake?.());
      watcher.on('error', () => {});
    } catch {
      watcher = undefined;
    }
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!signal?.aborted) {
        const code = await this.exitCode(p, id);
        if (code !== undefined) return code;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, watcher ? EXIT_POLL_MS : EXIT_POLL_FALLBACK_MS));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
      return undefined;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      watcher?.close();
    }
  }

  async wait(taskId: string, signal?: AbortSignal): Promise<number> {
    const p = this.paths(taskId);
    for (;;) {
      const st = await this.status(taskId);
      if (st.state === 'absent') throw new ContainerNotFoundError(taskId);
      if (st.state === 'exited') return st.exitCode!;
      const code = await this.waitExit(p, taskId, 60_000, signal);
      if (signal?.aborted) throw new RuntimeError('wait aborted');
      if (code !== undefined) return code;
    }
  }

  async stop(taskId: string, graceMs: number): Promise<void> {
    const st = await this.status(taskId);
    if (st.state !== 'running' && st.state !== 'created') return;
    const p = this.paths(taskId);
    const signal = (await this.record(taskId))?.stopSignal ?? 'TERM';
    await this.runc.kill(taskId, signal).catch(() => {});
    if ((await this.waitExit(p, taskId, graceMs)) !== undefined) return this.markFinished(taskId);
    await this.runc.kill(taskId, 'KILL', true).catch(() => {});
    await this.waitExit(p, taskId, KILL_WAIT_MS);
    await this.markFinished(taskId);
  }

  private async markFinished(taskId: string): Promise<void> {
    const rec = await this.record(taskId);
    if (rec && !rec.finishedAt) {
      rec.finishedAt = Date.now();
      await this.saveRecord(taskId, rec);
    }
  }

  async remove(taskId: string): Promise<void> {
    const rec = await this.record(taskId);
    const p = this.paths(taskId);
    if (rec) {
      await this.stop(taskId, 0);
      await this.runc.delete(taskId).catch((err: Error) => {
        if (!/does not exist|not exist/.test(err.message)) throw err;
      });
      await this.nets.detachAll(rec.spec, rec.attachments ?? []);
      await this.unmountPlugins(rec.spec);
    }
    await unmount(path.join(p.bundle, 'rootfs'));
    await rm(p.dir, { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    const entries = await readdir(this.containersDir).catch(() => [] as string[]);
    return entries.filter((e) => TASK_ID.test(e));
  }

  async *logs(taskId: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<LogLine> {
    if (!(await this.record(taskId))) throw new ContainerNotFoundError(taskId);
    const done = async () => (await this.status(taskId)).state !== 'running';
    yield* readLogs(this.paths(taskId).log, opts, done, signal);
  }
}
