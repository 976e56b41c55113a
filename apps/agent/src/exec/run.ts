/**
 * run and detach start the agent's commands in the spawner process
 * (exec/spawner.ts), so starting a process never holds up the agent's main
 * thread. run resolves like promisified execFile ({ stdout, stderr }) and
 * rejects with an Error carrying execFile's code, signal, killed, stdout
 * and stderr, so callers read failures as before. The process is made on
 * first use (and again if it dies) and keeps the agent alive only while a
 * command runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DetachRequest, RunOptions, RunRequest, SpawnReply } from './protocol.js';

export type { RunOptions } from './protocol.js';

export interface ExecError extends Error {
  code?: number | string;
  signal?: string | null;
  killed?: boolean;
  stdout: string;
  stderr: string;
}

/** SPAWNER_HEAP_MB: the spawner holds only requests and outputs in flight. */
const SPAWNER_HEAP_MB = 256;

let helper: ChildProcess | undefined;
let seq = 0;
const pending = new Map<number, (r: SpawnReply) => void>();

function hold(c: ChildProcess, on: boolean): void {
  if (on) {
    c.ref();
    c.channel?.ref();
  } else {
    c.unref();
    c.channel?.unref();
  }
}

function spawner(): ChildProcess {
  if (helper) return helper;
  const c = fork(fileURLToPath(new URL('./spawner.js', import.meta.url)), [], {
    execArgv: [`--max-old-space-size=${SPAWNER_HEAP_MB}`],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  c.on('message', (r: SpawnReply) => {
    const done = pending.get(r.id);
    pending.delete(r.id);
    if (!pending.size) hold(c, false);
    done?.(r);
  });
  const lost = (why: string) => {
    if (helper === c) helper = undefined;
    for (const [id, done] of pending) done({ id, stdout: '', stderr: '', error: { message: `spawner process ${why}` } });
    pending.clear();
  };
  c.on('error', (err) => lost(`failed: ${err.message}`));
  c.on('exit', (code, signal) => lost(`exited (${code ?? signal})`));
  helper = c;
  return c;
}

function ask(req: Omit<RunRequest, 'id'> | Omit<DetachRequest, 'id'>): Promise<SpawnReply> {
  const c = spawner();
  const id = ++seq;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    hold(c, true);
    c.send({ ...req, id }, (err) => {
      if (!err || !pending.delete(id)) return;
      resolve({ id, stdout: '', stderr: '', error: { message: `spawner process unreachable: ${err.message}` } });
    });
  });
}

function toError(cmd: string, args: string[], r: SpawnReply): ExecError {
  const e = r.error!;
  const err = new Error(`Command failed: ${[cmd, ...args].join(' ')}\n${r.stderr || e.message}`) as ExecError;
  return Object.assign(err, { code: e.code, signal: e.signal ?? null, killed: e.killed ?? false, stdout: r.stdout, stderr: r.stderr });
}

/** run runs cmd to completion. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const r = await ask({ kind: 'run', cmd, args, opts });
  if (r.error) throw toError(cmd, args, r);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** detach starts cmd to run on its own and resolves with the first line it writes on fd 3. */
export async function detach(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeout: number): Promise<{ line: string; stderr: string }> {
  const r = await ask({ kind: 'detach', cmd, args, env, timeout });
  if (r.error) throw toError(cmd, args, r);
  return { line: r.line ?? '', stderr: r.stderr };
}
