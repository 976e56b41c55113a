/**
 * Worker reconciles the complete assignment set against this host: new
 * tasks get a TaskManager, known ones their new spec, and tasks absent from
 * the set are stopped, removed from the host and forgotten. On start it
 * re-adopts what the state db and the runtime know, so a restarted agent
 * neither restarts nor duplicates running containers. It is the session's
 * only way to this host: logs, volume removal, overlay peers and the VIP
 * guard go through it to the pipeline.
 */
import type { LogLine, OverlayPeers, TaskSpec, TaskStatus } from '#libs/proto/messages.js';
import { TaskState, isTerminal } from '#libs/common';
import type { LogOptions } from '../runtime/index.js';
import type { TaskPipeline } from './pipeline.js';
import { withoutCredentials } from './steps/image.js';
import type { StateDb } from '../state/state-db.js';
import { TaskManager, statusOf } from './task-manager.js';

/**
 * persisted says which states are written to the state db. After a restart
 * init() asks the runtime about every task recorded at ACCEPTED or later, so
 * the steps between (preparing, ready, starting, running) would add nothing
 * to recovery; terminal states must be kept so a finished task is not run
 * again. A task that had not reached ACCEPTED is simply assigned again by
 * the controller's next full set.
 */
function persisted(state: number): boolean {
  return state === TaskState.ACCEPTED || isTerminal(state);
}

export class Worker {
  private readonly managers = new Map<string, TaskManager>();
  private readonly removing = new Map<string, Promise<void>>();
  private firstSetSeen = false;

  constructor(
    private readonly pipeline: TaskPipeline,
    private readonly db: StateDb,
    private readonly onStatus: (s: TaskStatus) => void,
    private readonly log: (m: string) => void = () => {},
  ) {}

  private reporter = async (s: TaskStatus) => {
    const m = this.managers.get(s.taskId);
    if (m && persisted(s.state)) await this.db.putTask({ spec: withoutCredentials(m.spec), status: s });
    this.onStatus(s);
  };

  /** init re-adopts tasks recorded before a restart. */
  async init(): Promise<void> {
    for (const rec of await this.db.listTasks()) {
      let status = rec.status;
      if (!isTerminal(status.state) && status.state >= TaskState.ACCEPTED) {
        const st = await this.pipeline.status(rec.spec.id);
        if (st.state === 'running') status = statusOf(rec.spec.id, TaskState.RUNNING, { address: st.address, addresses: st.addresses ?? {}, message: 'started' });
        else if (st.state === 'exited') {
          const code = st.exitCode ?? 0;
          status =
            code === 0
              ? statusOf(rec.spec.id, TaskState.COMPLETE, { hasExitCode: true, exitCode: 0 })
              : statusOf(rec.spec.id, TaskState.FAILED, { hasExitCode: true, exitCode: code, error: `task: non-zero exit (${code})` });
        } else if (status.state >= TaskState.RUNNING) {
          status = statusOf(rec.spec.id, TaskState.FAILED, { error: 'container disappeared while the agent was down' });
        } else {
          await this.pipeline.remove(rec.spec.id).catch(() => {});
          status = statusOf(rec.spec.id, TaskState.ACCEPTED);
        }
        await this.db.putTask({ spec: withoutCredentials(rec.spec), status });
      }
      const m = new TaskManager(rec.spec, status, this.pipeline, this.reporter);
      this.managers.set(rec.spec.id, m);
      if (status.state === TaskState.RUNNING) this.log(`re-adopted running task ${rec.spec.name} (${rec.spec.id})`);
      m.kick();
    }
  }

  private async removeTask(id: string, m: TaskManager): Promise<void> {
    await m.close();
    await this.pipeline.remove(id).catch((err) => this.log(`removing ${id}: ${(err as Error).message}`));
    await this.db.deleteTask(id);
  }

  /** idle resolves once background removals have finished (the agent waits for it before exiting). */
  async idle(): Promise<void> {
    await Promise.all(this.removing.values());
  }

  /** images lists the images of every task this agent manages (in use, or about to be). */
  images(): string[] {
    return [...this.managers.values()].map((m) => m.spec.image);
  }

  statuses(): TaskStatus[] {
    return [...this.managers.values()].map((m) => m.status);
  }

  async assign(specs: TaskSpec[]): Promise<void> {
    const wanted = new Map(specs.map((s) => [s.id, s]));
    for (const spec of specs) {
      const m = this.managers.get(spec.id);
      if (m) {
        m.update(spec);
        continue;
      }
      const fresh = new TaskManager(spec, statusOf(spec.id, TaskState.ASSIGNED), this.pipeline, this.reporter);
      this.managers.set(spec.id, fresh);
      fresh.kick();
    }
    for (const [id, m] of this.managers) {
      if (wanted.has(id)) continue;
      this.managers.delete(id);
      // Removal runs in the background so new tasks in this set start at once.
      const removal = this.removeTask(id, m).finally(() => this.removing.delete(id));
      this.removing.set(id, removal);
    }
    if (!this.firstSetSeen) {
      this.firstSetSeen = true;
      for (const id of await this.pipeline.list()) {
        if (wanted.has(id) || this.removing.has(id)) continue;
        this.log(`removing unknown container ${id}`);
        await this.pipeline.remove(id).catch(() => {});
      }
    }
  }

  /**
   * logs: a task's container output (the session streams it to the controller). A task
   * whose start failed had its container removed: it has no output, as a container that
   * never ran has none under Docker.
   */
  async *logs(taskId: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<LogLine> {
    if (this.managers.get(taskId)?.status.state === TaskState.REJECTED && (await this.pipeline.status(taskId)).state === 'absent') return;
    yield* this.pipeline.logs(taskId, opts, signal);
  }

  /** setOverlayPeers hands the controller's overlay peer tables to the networks (after each assignment set). */
  setOverlayPeers(overlays: OverlayPeers[]): Promise<void> {
    return this.pipeline.setOverlayPeers(overlays);
  }

  /** removeVolumes deletes volumes' data once containers being removed in the background have let them go. */
  async removeVolumes(names: string[], drivers: Record<string, string>): Promise<string[]> {
    await this.idle();
    return this.pipeline.removeVolumes(names, drivers);
  }

  /** guardVipPool keeps traffic to the services' virtual IPs on this host. */
  guardVipPool(pool: string): Promise<void> {
    return this.pipeline.guardVipPool(pool);
  }
}
