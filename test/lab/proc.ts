/** Lab processes: spawned with their output in a log file, tracked and ended by pid. */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';

export interface LabProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export function startProcess(name: string, cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): LabProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, NO_COLOR: '1', ...env } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))));
  return { name, child, logFile, exited };
}

/** stopProcess sends `signal` and waits up to timeoutMs, then SIGKILL. */
export async function stopProcess(p: LabProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  await p.exited;
  clearTimeout(t);
}

export function tail(p: LabProcess, lines = 30): string {
  try {
    return readFileSync(p.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
