/**
 * RuncAdapter: the only code that spawns conmon and runc. conmon runs
 * `runc create` detached from the agent, holds the container's stdio, writes
 * the CRI log and, when the container exits, its exit code to
 * <dir>/exit/<id>, so containers outlive the agent. Every call is bounded.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../errors.js';

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
  constructor(private readonly runcRoot: string, private readonly runcPath = '/usr/sbin/runc', private readonly conmonPath = '/usr/bin/conmon') {}

  run(args: string[], timeoutMs = RUNC_TIMEOUT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.runcPath, [`--root=${this.runcRoot}`, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
        if (err) reject(new RuntimeError(`runc ${args[0]}: ${(stderr || err.message).trim().replace(/^time="[^"]*" level=\w+ msg=/, '')}`));
        else resolve(stdout);
      });
    });
  }

  /**
   * create starts conmon, which runs `runc create` and reports the outcome on
   * its sync pipe (_OCI_SYNCPIPE, fd 3): `{"data": <pid>}` once the container
   * exists, or `{"data": -1, "message": ...}` when runc failed. Resolves with
   * the container's host pid, without polling the pid file.
   */
  create(id: string, p: ContainerPaths): Promise<number> {
    const args = [
      '--api-version', '1', '-c', id, '-u', id, '-n', id,
      '-r', this.runcPath, '-b', p.bundle, '-p', p.pidFile, '-P', p.conmonPidFile,
      '-l', `k8s-file:${p.log}`, '--exit-dir', p.exitDir,
      '--socket-dir-path', p.dir, '--runtime-arg', `--root=${this.runcRoot}`,
      '--runtime-arg', `--log=${p.runcLog}`, '--runtime-arg', '--log-format=json', '--log-level', 'error',
    ];
    return new Promise((resolve, reject) => {
      const [cmd, argv] = withUmask(this.conmonPath, args);
      const child = spawn(cmd, argv, {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, _OCI_SYNCPIPE: '3' },
      });
      const sync = child.stdio[3] as Readable;
      let err = '';
      let buf = '';
      let settled = false;
      let answered = false;
      const finish = (e: Error | undefined, pid = 0) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // conmon keeps its end open for the container's life; the agent needs nothing more from it.
        sync.destroy();
        child.stderr!.destroy();
        child.unref();
        if (e) reject(e);
        else resolve(pid);
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new RuntimeError(`conmon: no answer from runc create within ${RUNC_TIMEOUT_MS} ms`));
      }, RUNC_TIMEOUT_MS);
      child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('error', (e) => finish(new RuntimeError(`conmon: ${e.message}`)));
      child.on('exit', (code) => {
        if (code !== 0) finish(new RuntimeError(`conmon exited ${code}: ${conmonErrors(err)}`));
      });
      sync.on('data', (d: Buffer) => {
        if (answered) return;
        buf += d.toString();
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        answered = true;
        const r = parseSyncMessage(buf.slice(0, nl));
        if (r.pid > 0) return finish(undefined, r.pid);
        void this.lastError(p).then((logged) => finish(new RuntimeError(`cannot create container: ${logged || r.message || 'runc create failed'}`)));
      });
      sync.on('end', () => {
        if (!answered) finish(new RuntimeError(`conmon closed its sync pipe without a result${err ? `: ${conmonErrors(err)}` : ''}`));
      });
      sync.on('error', () => {});
    });
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
  return stderr.trim().split('\n').filter((l) => l && !l.includes('oom_score_adj')).join('; ');
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
  const message = m ? m[1]!.replace(/\\(.)/g, '$1') : raw;
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

export function sh(cmd: string, args: string[], timeoutMs = RUNC_TIMEOUT_MS, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, cwd }, (err, _o, stderr) => {
      if (err) reject(new RuntimeError(`${cmd} ${args[0] ?? ''}: ${(stderr || err.message).trim()}`));
      else resolve();
    });
  });
}
