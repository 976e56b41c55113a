/**
 * RuncRuntime implements Runtime with conmon + runc over an overlayfs
 * rootfs. Everything it knows about a container is on disk under
 * <stateDir>/containers/<taskId>/ (record, bundle, log, exit file, pid
 * files), so a restarted agent re-adopts running containers from there and
 * from runc's own state. It knows nothing of images, volumes or networks:
 * the worker's steps hand it layers and host paths (runtime.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scopedPath } from '../../fs/scoped-path.js';
import type { LogLine } from '#libs/proto/messages.js';
import type { BeforeRun, ContainerConfig, EtcFiles, ContainerMetadata, ContainerStatus, Created, LogOptions, Runtime, RuntimeConfig } from '../runtime.js';
import { ContainerNotFoundError, InvalidSpecError, InvalidTaskIdError, RuntimeError } from '../../errors.js';
import { readLogs } from '../logs.js';
import { containerPaths, hostNofileLimit, mountOverlay, RuncAdapter, unmount, type ContainerPaths } from './adapter.js';
import { DEFAULT_PIDS_LIMIT, NOFILE_LIMIT, TINI_PATH, specJson, toOciSpec } from './bundle.js';
import { copyOwnerAndMode, mkdirMode, writeFileMode } from '../../fs/modes.js';
import { exitCode, waitExit } from './exit-watch.js';
import { readRecord, stopSignalName, writeRecord } from './record.js';

/** KILL_WAIT_MS: how long to wait for an exit after SIGKILL. */
const KILL_WAIT_MS = 5_000;
/** WAIT_SLICE_MS: wait() re-reads the state this often while it sleeps on the exit file. */
const WAIT_SLICE_MS = 60_000;

/** TASK_ID: task ids become directory and runc container names. */
const TASK_ID = /^[a-z0-9]{1,64}$/;

/** etcPaths: where a container's /etc files are kept on the host (bind-mounted, rewritten in place). */
function etcPaths(p: ContainerPaths): EtcFiles {
  const etc = path.join(p.dir, 'etc');
  return { hosts: path.join(etc, 'hosts'), hostname: path.join(etc, 'hostname'), resolvConf: path.join(etc, 'resolv.conf') };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** CGROUP_ROOT: where the cgroup hierarchies are mounted. */
const CGROUP_ROOT = '/sys/fs/cgroup';

export class RuncRuntime implements Runtime {
  private readonly containersDir: string;
  private readonly runc: RuncAdapter;
  /** The container NOFILE limit: Docker's, capped by what this process may grant. */
  private readonly nofile = hostNofileLimit().then((hard) => Math.min(NOFILE_LIMIT, hard ?? NOFILE_LIMIT));
  /** Whether this node's cgroups account swap (v1 with memsw files, or v2), so a memory limit can bound swap too. */
  private readonly swapAccounting = existsSync(`${CGROUP_ROOT}/memory/memory.memsw.limit_in_bytes`) || existsSync(`${CGROUP_ROOT}/cgroup.controllers`);

  constructor(private readonly cfg: RuntimeConfig) {
    this.containersDir = path.join(cfg.stateDir, 'containers');
    this.runc = new RuncAdapter(cfg.runcRoot);
  }

  private paths(id: string): ContainerPaths {
    if (!TASK_ID.test(id)) throw new InvalidTaskIdError(id);
    return containerPaths(this.containersDir, id);
  }

  private record(id: string) {
    return readRecord(this.paths(id).dir);
  }

  async create(c: ContainerConfig): Promise<Created> {
    const p = this.paths(c.id);
    const rootfs = path.join(p.bundle, 'rootfs');
    if (await this.record(c.id)) return { rootfs };
    try {
      await this.writeBundle(c, p, rootfs);
    } catch (err) {
      // Leave nothing half made: a retry starts from scratch instead of stacking mounts.
      await unmount(rootfs).catch(() => {});
      await rm(p.dir, { recursive: true, force: true });
      throw err;
    }
    return { rootfs };
  }

  private async writeBundle(c: ContainerConfig, p: ContainerPaths, rootfs: string): Promise<void> {
    for (const d of [rootfs, path.join(p.dir, 'upper'), path.join(p.dir, 'work'), p.exitDir, path.join(p.dir, 'etc')]) await mkdir(d, { recursive: true });
    // The merged `/` shows the upper dir's owner and mode: make them the image's, never the agent's umask.
    await copyOwnerAndMode(c.layers[0], path.join(p.dir, 'upper'));
    await mountOverlay(c.layers, p.dir, rootfs);
    // As Docker does, a WorkingDir the image names but lacks is made 0755 (in the container's own layer).
    const cwd = c.image.config?.WorkingDir;
    if (cwd) await mkdirMode(await scopedPath(rootfs, cwd));
    const etcFiles = etcPaths(p);
    await this.writeEtcFiles(p, c.etc);
    if (c.options?.init && !existsSync(TINI_PATH)) throw new InvalidSpecError(`--init needs ${TINI_PATH} on this node (apt-get install tini)`);
    const oci = toOciSpec({
      taskId: c.id,
      hostname: c.hostname,
      command: c.command,
      env: c.env,
      network: c.network,
      image: c.image,
      user: c.user,
      cgroupsPath: `/${this.cfg.cgroupParent}/${c.id}`,
      etcFiles,
      nofile: await this.nofile,
      pidsLimit: this.cfg.pidsLimit ?? DEFAULT_PIDS_LIMIT,
      swapAccounting: this.swapAccounting,
      volumes: c.volumes,
      mounts: c.mounts,
      options: c.options,
    });
    await writeFile(path.join(p.bundle, 'config.json'), specJson(oci));
    await writeRecord(p.dir, { stopSignal: stopSignalName(c.image.config?.StopSignal), startedAt: 0, finishedAt: 0, metadata: c.metadata });
  }

  private async writeEtcFiles(p: ContainerPaths, files: Partial<EtcFiles>): Promise<void> {
    const to = etcPaths(p);
    for (const k of ['hosts', 'hostname', 'resolvConf'] as const) if (files[k] !== undefined) await writeFileMode(to[k], files[k]);
  }

  async writeEtc(id: string, files: Partial<EtcFiles>): Promise<void> {
    if (!(await this.record(id))) throw new ContainerNotFoundError(id);
    await this.writeEtcFiles(this.paths(id), files);
  }

  async metadata(id: string): Promise<ContainerMetadata | undefined> {
    return (await this.record(id))?.metadata;
  }

  async setMetadata(id: string, metadata: ContainerMetadata): Promise<void> {
    const rec = await this.record(id);
    if (!rec) throw new ContainerNotFoundError(id);
    await writeRecord(this.paths(id).dir, { ...rec, metadata });
  }

  async start(id: string, beforeRun?: BeforeRun): Promise<ContainerStatus> {
    if (!(await this.record(id))) throw new ContainerNotFoundError(id);
    const p = this.paths(id);
    const cur = await this.status(id);
    if (cur.state === 'running') return cur;
    if (cur.state === 'exited' && cur.startedAt) throw new RuntimeError(`the container of task ${id} has already run (exit code ${cur.exitCode}); remove it first`);
    // A start that failed, or an agent that died between create and start: begin again.
    if (cur.state !== 'prepared') await this.runc.delete(id).catch(() => {});
    // A failed earlier start may have left pid or exit files behind.
    await Promise.all([p.pidFile, p.conmonPidFile, path.join(p.exitDir, id)].map((f) => rm(f, { force: true })));
    const pid = await this.runc.create(id, p).catch(async (err: Error) => {
      await this.runc.delete(id).catch(() => {});
      throw err;
    });
    try {
      await beforeRun?.({ pid, netns: `/proc/${pid}/ns/net` });
      await this.runc.start(id);
    } catch (err) {
      await this.runc.delete(id).catch(() => {});
      throw err;
    }
    // Read again: beforeRun may have changed the metadata.
    const rec = (await this.record(id))!;
    rec.startedAt = Date.now();
    await writeRecord(p.dir, rec);
    return { state: 'running', pid, startedAt: rec.startedAt, finishedAt: 0 };
  }

  async status(id: string): Promise<ContainerStatus> {
    const rec = await this.record(id);
    if (!rec) return { state: 'absent', startedAt: 0, finishedAt: 0 };
    const p = this.paths(id);
    const base = { startedAt: rec.startedAt, finishedAt: rec.finishedAt };
    const code = await exitCode(p, id);
    if (code !== undefined) return { ...base, state: 'exited', exitCode: code, ...((await this.oomKilled(id)) ? { oomKilled: true } : {}) };
    const pid = Number((await readFile(p.pidFile, 'utf8').catch(() => '')).trim());
    if (pid && alive(pid)) return { ...base, state: rec.startedAt ? 'running' : 'created', pid };
    if (pid) {
      // conmon writes the exit file a moment after the process is reaped.
      const later = await waitExit(p, id, 1_000);
      return { ...base, state: 'exited', exitCode: later ?? 137 };
    }
    return { ...base, state: 'prepared' };
  }

  /**
   * oomKilled: whether the kernel's OOM killer killed a process of the
   * container, from its memory cgroup's counter (cgroup v1 memory.oom_control,
   * v2 memory.events); readable until the container is deleted.
   */
  private async oomKilled(id: string): Promise<boolean> {
    const dir = `${this.cfg.cgroupParent}/${id}`;
    for (const file of [`${CGROUP_ROOT}/memory/${dir}/memory.oom_control`, `${CGROUP_ROOT}/${dir}/memory.events`]) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0) > 0;
    }
    return false;
  }

  async wait(id: string, signal?: AbortSignal): Promise<number> {
    const p = this.paths(id);
    for (;;) {
      const st = await this.status(id);
      if (st.state === 'absent') throw new ContainerNotFoundError(id);
      if (st.state === 'exited') return st.exitCode!;
      const code = await waitExit(p, id, WAIT_SLICE_MS, signal);
      if (signal?.aborted) throw new RuntimeError('wait aborted');
      if (code !== undefined) return code;
    }
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const st = await this.status(id);
    if (st.state !== 'running' && st.state !== 'created') return;
    const p = this.paths(id);
    const signal = (await this.record(id))?.stopSignal ?? 'TERM';
    await this.runc.kill(id, signal).catch(() => {});
    if ((await waitExit(p, id, graceMs)) !== undefined) return this.markFinished(id);
    await this.runc.kill(id, 'KILL', true).catch(() => {});
    await waitExit(p, id, KILL_WAIT_MS);
    await this.markFinished(id);
  }

  private async markFinished(id: string): Promise<void> {
    const rec = await this.record(id);
    if (rec && !rec.finishedAt) await writeRecord(this.paths(id).dir, { ...rec, finishedAt: Date.now() });
  }

  async remove(id: string): Promise<void> {
    const p = this.paths(id);
    if (await this.record(id)) {
      await this.stop(id, 0);
      await this.runc.delete(id).catch((err: Error) => {
        if (!/does not exist|not exist/.test(err.message)) throw err;
      });
    }
    await unmount(path.join(p.bundle, 'rootfs'));
    await rm(p.dir, { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    const entries = await readdir(this.containersDir).catch(() => [] as string[]);
    return entries.filter((e) => TASK_ID.test(e));
  }

  async *logs(id: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<LogLine> {
    if (!(await this.record(id))) throw new ContainerNotFoundError(id);
    const done = async () => (await this.status(id)).state !== 'running';
    yield* readLogs(this.paths(id).log, opts, done, signal);
  }
}
