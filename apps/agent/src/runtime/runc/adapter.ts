/**
 * RuncAdapter: the only code that spawns conmon and runc. conmon runs
 * `runc create` detached from the agent, holds the container's stdio, writes
 * the CRI log and, when the container exits, its exit code to
 * <dir>/exit/<id>, so containers outlive the agent. Every call is bounded.
 */
import { detach, run, type ExecError } from '../../exec/run.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError } from '../../errors.js';

/** RUNC_TIMEOUT_MS bounds one runc invocation (create/start/kill/delete take milliseconds). */
const RUNC_TIMEOUT_MS = 30_000;

export interface ContainerPaths {
  dir: string;
  bundle: string;
  log: string;
  exitDir: string;
  pidFile: string;
  conmonPidFile: string;
  runcLog: string;
}

export function containerPaths(containersDir: string, id: string): ContainerPaths {
  const dir = path.join(containersDir, id);
  return {
    dir,
    bundle: path.join(dir, 'bundle'),
    log: path.join(dir, 'ctr.log'),
    exitDir: path.join(dir, 'exit'),
    pidFile: path.join(dir, 'pid'),
    conmonPidFile: path.join(dir, 'conmon.pid'),
    runcLog: path.join(dir, 'runc.log'),
  };
}

/** RUNC_UMASK: the umask runc runs under, so the mountpoints and working directory it makes in a rootfs are 0755. */
const RUNC_UMASK = '022';

/**
 * withUmask wraps a command so it runs under RUNC_UMASK rather than the
 * agent's umask (runc makes missing mountpoints and cwd with mkdir 0755,
 * which a umask 077 would turn into 0700, unusable by a non-root USER).
 */
export function withUmask(cmd: string, args: string[]): [string, string[]] {
  return ['/bin/sh', ['-c', `umask ${RUNC_UMASK} && exec "$0" "$@"`, cmd, ...args]];
}

export class RuncAdapter {
  constructor(
    private readonly runcRoot: string,
    private readonly runcPath = '/usr/sbin/runc',
    private readonly conmonPath = '/usr/bin/conmon',
  ) {}

  async run(args: string[], timeoutMs = RUNC_TIMEOUT_MS): Promise<string> {
    try {
      return (await run(this.runcPath, [`--root=${this.runcRoot}`, ...args], { timeout: timeoutMs })).stdout;
    } catch (err) {
      const e = err as ExecError;
      throw new RuntimeError(`runc ${args[0]}: ${(e.stderr || e.message).trim().replace(/^time="[^"]*" level=\w+ msg=/, '')}`);
    }
  }

  /**
   * create starts conmon, which runs `runc create` and reports the outcome on
   * its sync pipe (_OCI_SYNCPIPE, fd 3): `{"data": <pid>}` once the container
   * exists, or `{"data": -1, "message": ...}` when runc failed. Resolves with
   * the container's host pid, without polling the pid file.
   */
  async create(id: string, p: ContainerPaths): Promise<number> {
    const args = [
      '--api-version',
      '1',
      '-c',
      id,
      '-u',
      id,
      '-n',
      id,
      '-r',
      this.runcPath,
      '-b',
      p.bundle,
      '-p',
      p.pidFile,
      '-P',
      p.conmonPidFile,
      '-l',
      `k8s-file:${p.log}`,
      '--exit-dir',
      p.exitDir,
      '--socket-dir-path',
      p.dir,
      '--runtime-arg',
      `--root=${this.runcRoot}`,
      '--runtime-arg',
      `--log=${p.runcLog}`,
      '--runtime-arg',
      '--log-format=json',
      '--log-level',
      'error',
    ];
    const [cmd, argv] = withUmask(this.conmonPath, args);
    let answer: { line: string; stderr: string };
    try {
      answer = await detach(cmd, argv, { ...process.env, _OCI_SYNCPIPE: '3' }, RUNC_TIMEOUT_MS);
    } catch (err) {
      const e = err as ExecError;
      if (e.killed) throw new RuntimeError(`conmon: no answer from runc create within ${RUNC_TIMEOUT_MS} ms`);
      if (typeof e.code === 'number') throw new RuntimeError(`conmon exited ${e.code}: ${conmonErrors(e.stderr)}`);
      throw new RuntimeError(`conmon: ${e.message}`);
    }
    if (!answer.line) throw new RuntimeError(`conmon closed its sync pipe without a result${answer.stderr ? `: ${conmonErrors(answer.stderr)}` : ''}`);
    const r = parseSyncMessage(answer.line);
    if (r.pid > 0) return r.pid;
    const logged = await this.lastError(p);
    throw new RuntimeError(`cannot create container: ${logged || r.message || 'runc create failed'}`);
  }

  start(id: string): Promise<string> {
    return this.run(['start', id]);
  }

  kill(id: string, signal: string, all = false): Promise<string> {
    return this.run(['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  delete(id: string): Promise<string> {
    return this.run(['delete', '--force', id]);
  }

  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    try {
      return JSON.parse(await this.run(['state', id])) as { status: string; pid: number };
    } catch {
      return undefined;
    }
  }

  async list(): Promise<string[]> {
    try {
      const out = JSON.parse(await this.run(['list', '--format', 'json'])) as Array<{ id: string }> | null;
      return (out ?? []).map((c) => c.id);
    } catch {
      return [];
    }
  }

  /** lastError reads the last error runc logged for a container (its JSON log). */
  async lastError(p: ContainerPaths): Promise<string> {
    const raw = await readFile(p.runcLog, 'utf8').catch(() => '');
    const lines = raw.trim().split('\n').filter(Boolean);
    for (const l of lines.reverse()) {
      try {
        const j = JSON.parse(l) as { level?: string; msg?: string };
        if (j.level === 'error' && j.msg) return j.msg;
      } catch {
        /* not JSON */
      }
    }
    return '';
  }
}

/** conmonErrors keeps conmon's stderr minus its harmless oom_score_adj complaint. */
function conmonErrors(stderr: string): string {
  return stderr
    .trim()
    .split('\n')
    .filter((l) => l && !l.includes('oom_score_adj'))
    .join('; ');
}

/** parseSyncMessage reads one conmon sync-pipe record; message is runc's own error text. */
export function parseSyncMessage(line: string): { pid: number; message: string } {
  let j: { data?: unknown; message?: unknown };
  try {
    j = JSON.parse(line) as typeof j;
  } catch {
    return { pid: -1, message: `unreadable answer from conmon: ${line.slice(0, 200)}` };
  }
  const raw = typeof j.message === 'string' ? j.message.trim() : '';
  // runc logs as logfmt: time="…" level=error msg="…"; keep the msg part.
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(raw);
  const message = m ? m[1].replace(/\\(.)/g, '$1') : raw;
  return { pid: typeof j.data === 'number' ? j.data : -1, message };
}

/** hostNofileLimit is this process's hard RLIMIT_NOFILE (from /proc/self/limits), or undefined. */
export async function hostNofileLimit(): Promise<number | undefined> {
  const raw = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(raw);
  if (!m) return undefined;
  return m[2] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
}

/**
 * mountOverlay mounts the layers (lowest first) under <dir>/upper and
 * <dir>/work at target. The options name directories relative to <dir>, as
 * Docker's overlay2 does: the kernel shows them as given in every line of
 * /proc/self/mountinfo, which runc reads on each call, so short options keep
 * that cost down as containers add up.
 */
export function mountOverlay(lower: string[], dir: string, target: string): Promise<void> {
  const lowers = [...lower].reverse().map((l) => path.relative(dir, l));
  return sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')},upperdir=upper,workdir=work`, target], RUNC_TIMEOUT_MS, dir);
}

export function unmount(target: string): Promise<void> {
  return sh('umount', [target]).catch(async (err: Error) => {
    if (/not mounted|no mount point|not found/i.test(err.message)) return;
    await sh('umount', ['-l', target]);
  });
}

export async function sh(cmd: string, args: string[], timeoutMs = RUNC_TIMEOUT_MS, cwd?: string): Promise<void> {
  try {
    await run(cmd, args, { timeout: timeoutMs, cwd });
  } catch (err) {
    const e = err as ExecError;
    throw new RuntimeError(`${cmd} ${args[0] ?? ''}: ${(e.stderr || e.message).trim()}`);
  }
}
