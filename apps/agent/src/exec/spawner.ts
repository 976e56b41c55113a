/**
 * The spawner process: starts the agent's commands. Starting a process
 * blocks the thread that asks for it until the child has run exec (libuv
 * waits on a pipe for that), and on a machine whose cores are all busy that
 * wait reached a second per command. It was a thread of the agent first,
 * but copying the agent's memory map for each child holds a lock that the
 * agent's main thread needs for its own page faults: under load the main
 * thread was seen waiting on it. A small process of its own copies little
 * and blocks only itself. It ends when the agent does (its channel closes).
 */
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { DetachRequest, RunRequest, SpawnFailure, SpawnReply, SpawnRequest } from './protocol.js';
import { normalPriority } from './priority.js';

// Children inherit this process's priority: the host's normal one, not the agent's.
normalPriority();
process.on('disconnect', () => process.exit(0));

const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

function reply(r: SpawnReply): void {
  process.send?.(r);
}

function failure(err: Error & { code?: number | string | null; signal?: string | null; killed?: boolean }): SpawnFailure {
  return { message: err.message, code: err.code ?? undefined, signal: err.signal ?? null, killed: err.killed ?? false };
}

function run(req: RunRequest): void {
  const { timeout, cwd, env, input, maxBuffer } = req.opts;
  const child = execFile(req.cmd, req.args, { timeout, cwd, env, maxBuffer: maxBuffer ?? DEFAULT_MAX_BUFFER, encoding: 'utf8' }, (err, stdout, stderr) => {
    reply({ id: req.id, stdout, stderr, ...(err ? { error: failure(err) } : {}) });
  });
  // A command that fails before reading its input: its failure is what counts, not the broken pipe.
  child.stdin?.on('error', () => {});
  if (input !== undefined) child.stdin?.end(input);
}

function detach(req: DetachRequest): void {
  const child = spawn(req.cmd, req.args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true, env: req.env });
  const sync = child.stdio[3] as Readable;
  let stderr = '';
  let buf = '';
  let settled = false;
  const finish = (line: string, error?: SpawnFailure) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    // The detached command keeps its end open for its life; nothing more is needed from it.
    sync.destroy();
    child.stderr!.destroy();
    child.unref();
    reply({ id: req.id, stdout: '', stderr, line, ...(error ? { error } : {}) });
  };
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
    finish('', { message: `no answer within ${req.timeout} ms`, killed: true });
  }, req.timeout);
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.on('error', (e) => finish('', failure(e)));
  child.on('exit', (code, signal) => {
    if (code !== 0) finish('', { message: `exited ${code ?? signal}`, code: code ?? undefined, signal });
  });
  sync.on('data', (d: Buffer) => {
    buf += d.toString();
    const nl = buf.indexOf('\n');
    if (nl >= 0) finish(buf.slice(0, nl));
  });
  sync.on('end', () => finish(''));
  sync.on('error', () => {});
}

process.on('message', (req: SpawnRequest) => {
  try {
    if (req.kind === 'run') run(req);
    else detach(req);
  } catch (err) {
    reply({ id: req.id, stdout: '', stderr: '', error: failure(err as Error) });
  }
});
