/**
 * run and detach start the agent's commands on the spawner thread
 * (exec/spawner.ts), so starting a process never holds up the agent's main
 * thread. run resolves like promisified execFile ({ stdout, stderr }) and
 * rejects with an Error carrying execFile's code, signal, killed, stdout
 * and stderr, so callers read failures as before. The thread is made on
 * first use and keeps the process alive only while a command runs.
 */
import { Worker } from 'node:worker_threads';
import type { DetachRequest, RunOptions, RunRequest, SpawnReply } from './protocol.js';

export type { RunOptions } from './protocol.js';

export interface ExecError extends Error {
  code?: number | string;
  signal?: string | null;
  killed?: boolean;
  stdout: string;
  stderr: string;
}

let thread: Worker | undefined;
let seq = 0;
const pending = new Map<number, (r: SpawnReply) => void>();

function spawner(): Worker {
  if (thread) return thread;
  const w = new Worker(new URL('./spawner.js', import.meta.url));
  w.on('message', (r: SpawnReply) => {
    const done = pending.get(r.id);
    pending.delete(r.id);
    if (!pending.size) w.unref();
    done?.(r);
  });
  const lost = (why: string) => {
    if (thread === w) thread = undefined;
    for (const [id, done] of pending) done({ id, stdout: '', stderr: '', error: { message: `spawner thread ${why}` } });
    pending.clear();
  };
  w.on('error', (err) => lost(`failed: ${err.message}`));
  w.on('exit', (code) => lost(`exited (${code})`));
  thread = w;
  return w;
}

function ask(req: Omit<RunRequest, 'id'> | Omit<DetachRequest, 'id'>): Promise<SpawnReply> {
  const w = spawner();
  const id = ++seq;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    w.ref();
    w.postMessage({ ...req, id });
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
