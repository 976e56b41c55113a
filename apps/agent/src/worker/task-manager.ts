/**
 * TaskManager drives one task toward its desired state, one advance() step
 * at a time, reporting every state it reaches exactly once. A newer spec
 * (e.g. desired state shutdown) interrupts a wait and re-drives. Errors of
 * prepare/start reject the task with the error text users see.
 */
import type { TaskSpec, TaskStatus } from '#libs/proto/messages.js';
import { TaskState, taskStateName, type TaskStateValue } from '#libs/common';
import type { TaskRunner } from './task-runner.js';
import { advance } from './advance.js';

export type Reporter = (status: TaskStatus) => Promise<void>;

/** networksKey: what of a spec's networks the container's plumbing depends on. */
function networksKey(spec: TaskSpec): string {
  return JSON.stringify(spec.networks.map((a) => [a.name, a.aliases ?? [], a.ip ?? '']));
}

export function statusOf(taskId: string, state: number, extra: Partial<TaskStatus> = {}): TaskStatus {
  return {
    taskId,
    state: state as TaskStateValue,
    message: taskStateName(state),
    error: '',
    hasExitCode: false,
    exitCode: 0,
    address: '',
    timestampMs: Date.now(),
    addresses: {},
    imageVolumes: [],
    ...extra,
  };
}

export class TaskManager {
  private driving?: Promise<void>;
  private again = false;
  private waitAbort?: AbortController;
  private closed = false;
  private networksChanged = false;

  constructor(
    public spec: TaskSpec,
    public status: TaskStatus,
    private readonly runtime: TaskRunner,
    private readonly report: Reporter,
  ) {}

  update(spec: TaskSpec): void {
    const changed = spec.desiredState !== this.spec.desiredState;
    const moved = networksKey(spec) !== networksKey(this.spec);
    this.spec = spec;
    if (moved) this.networksChanged = true;
    if (changed || moved) {
      this.waitAbort?.abort();
      this.kick();
    }
  }

  /**
   * applyNetworks connects and disconnects the container as the spec now says
   * (network connect/disconnect) and reports RUNNING again with its addresses,
   * and with what failed as the message.
   */
  private async applyNetworks(): Promise<void> {
    // Before READY the container is not prepared yet: prepare takes the new spec (or, while it runs, this waits for READY).
    if (this.status.state < TaskState.READY) return;
    this.networksChanged = false;
    if (this.status.state > TaskState.RUNNING) return;
    const { addresses, errors } = await this.runtime.updateNetworks(this.spec).catch((err: Error) => ({ addresses: this.status.addresses ?? {}, errors: [err.message] }));
    if (this.status.state !== TaskState.RUNNING) return;
    this.status = statusOf(this.spec.id, TaskState.RUNNING, { address: this.status.address, addresses, message: errors.join('; ') || 'networks updated' });
    await this.report(this.status);
  }

  kick(): void {
    if (this.closed) return;
    if (this.driving) {
      this.again = true;
      return;
    }
    this.driving = this.drive().finally(() => {
      this.driving = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** close stops driving; used before the task is removed. */
  async close(): Promise<void> {
    this.closed = true;
    this.waitAbort?.abort();
    await this.driving?.catch(() => {});
  }

  private async set(state: number, extra: Partial<TaskStatus> = {}): Promise<void> {
    if (state <= this.status.state && !(state === this.status.state && extra.address)) return;
    this.status = statusOf(this.spec.id, state, { address: this.status.address, ...extra });
    await this.report(this.status);
  }

  private async drive(): Promise<void> {
    for (let steps = 0; steps < 16 && !this.closed; steps++) {
      if (this.networksChanged) await this.applyNetworks();
      const action = advance(this.status.state, this.spec.desiredState);
      switch (action) {
        case 'none':
          return;
        case 'accept':
          await this.set(TaskState.ACCEPTED);
          break;
        case 'prepare': {
          await this.set(TaskState.PREPARING);
          let prepared;
          try {
            prepared = await this.runtime.prepare(this.spec);
          } catch (err) {
            return this.set(TaskState.REJECTED, { error: (err as Error).message, message: 'preparing failed' });
          }
          // The image's VOLUMEs became anonymous volumes: the controller records them with this status.
          await this.set(TaskState.READY, { imageVolumes: prepared?.imageVolumes ?? [] });
          break;
        }
        case 'start': {
          await this.set(TaskState.STARTING);
          try {
            const st = await this.runtime.start(this.spec.id);
            await this.set(TaskState.RUNNING, { address: st.address, addresses: st.addresses ?? {}, message: 'started' });
          } catch (err) {
            return this.set(TaskState.REJECTED, { error: (err as Error).message, message: 'starting failed' });
          }
          break;
        }
        case 'wait': {
          this.waitAbort = new AbortController();
          let code: number;
          try {
            code = await this.runtime.wait(this.spec.id, this.waitAbort.signal);
          } catch (err) {
            if (this.waitAbort.signal.aborted) break;
            return this.set(TaskState.FAILED, { error: (err as Error).message });
          }
          if (code === 0) return this.set(TaskState.COMPLETE, { hasExitCode: true, exitCode: 0, message: 'finished' });
          // Docker's name for a container its memory limit ended.
          if ((await this.runtime.status(this.spec.id)).oomKilled) return this.set(TaskState.FAILED, { hasExitCode: true, exitCode: code, error: 'OOMKilled' });
          return this.set(TaskState.FAILED, { hasExitCode: true, exitCode: code, error: `task: non-zero exit (${code})` });
        }
        case 'stop': {
          const before = await this.runtime.status(this.spec.id);
          if (before.state === 'running' || before.state === 'created') await this.runtime.stop(this.spec.id, this.spec.stopGraceMs);
          const after = await this.runtime.status(this.spec.id);
          const exit = after.state === 'exited' ? { hasExitCode: true, exitCode: after.exitCode ?? 0 } : {};
          return this.set(TaskState.SHUTDOWN, { ...exit, message: 'shutdown' });
        }
      }
    }
  }
}
