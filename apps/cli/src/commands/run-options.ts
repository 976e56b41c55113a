/**
 * docker run's options on `berth run`: the flags (withRunOptionFlags), what
 * they parse to (runOptionsBody: the request's `options`, checked as the
 * controller checks them so a bad flag fails before any request) and
 * --env-file (envFiles: KEY=VALUE lines, # comments, a bare KEY taken from
 * this process's environment, as Docker reads them).
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from '../client/api-client.js';
import { RunOptionsError, capabilityName, checkRunOptions, parseBytes, parseUlimit, signalName, type RunOptions } from '#libs/common';
import { collect } from './args.js';

/** FLAG_OF: the flag of an option whose name is not the flag's (the rest are the kebab-case of the name). */
const FLAG_OF: Record<string, string> = { extraHosts: '--add-host', ulimits: '--ulimit', seccompUnconfined: '--security-opt', noNewPrivileges: '--security-opt' };

/** The flags as commander hands them over. */
export interface RunOptionFlags {
  user?: string;
  workdir?: string;
  entrypoint?: string;
  hostname?: string;
  label: string[];
  envFile: string[];
  readOnly?: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  stopSignal?: string;
  stopTimeout?: string;
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  shmSize?: string;
  init?: boolean;
  addHost: string[];
  dns: string[];
  ulimit: string[];
}

/** checked turns a parse failure into commander's usage error for the flag. */
function checked<T>(parse: (v: string) => T): (v: string) => string {
  return (v: string) => {
    try {
      parse(v);
      return v;
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export function withRunOptionFlags(cmd: Command): Command {
  return cmd
    .option('-u, --user <user[:group]>', 'user (name or uid) and group to run as')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--entrypoint <cmd>', 'replace the image\'s entrypoint ("" clears it; the image\'s CMD is dropped too)')
    .option('--hostname <name>', 'the host name the container sees')
    .option('-l, --label <KEY=VALUE>', 'label (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect, [])
    .option('--read-only', "mount the container's root filesystem read-only")
    .option('--cap-add <cap>', 'add a Linux capability, or ALL (repeatable)', (v: string, prev: string[]) => [...prev, checked((c) => capabilityName(c, '--cap-add'))(v)], [])
    .option('--cap-drop <cap>', 'drop a Linux capability, or ALL (repeatable)', (v: string, prev: string[]) => [...prev, checked((c) => capabilityName(c, '--cap-drop'))(v)], [])
    .option('--security-opt <opt>', 'no-new-privileges or seccomp=unconfined (repeatable)', collect, [])
    .option(
      '--stop-signal <signal>',
      "signal that stops the container (default: the image's, else SIGTERM)",
      checked((v) => signalName(v, '--stop-signal')),
    )
    .option('--stop-timeout <seconds>', 'seconds to wait after the stop signal before SIGKILL (default 10)')
    .option(
      '-m, --memory <bytes>',
      'memory limit (e.g. 512m, 1g; at least 6m)',
      checked((v) => parseBytes(v, '--memory')),
    )
    .option('--cpus <number>', 'CPUs the container may use (e.g. 1.5)')
    .option('--pids-limit <n>', 'most processes the container may have (-1: no limit)')
    .option(
      '--shm-size <bytes>',
      'size of /dev/shm (e.g. 128m; default 64m)',
      checked((v) => parseBytes(v, '--shm-size')),
    )
    .option('--init', 'run an init process (tini) as pid 1 that forwards signals and reaps zombies')
    .option('--add-host <host:ip>', 'add a line to /etc/hosts (repeatable)', collect, [])
    .option('--dns <ip>', "a name server instead of the host's (repeatable; built-in networks)", collect, [])
    .option('--ulimit <name=soft[:hard]>', 'a resource limit, e.g. nofile=1024:2048 (repeatable)', (v: string, prev: string[]) => [...prev, checked((u) => parseUlimit(u, '--ulimit'))(v)], []);
}

function number(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new CliError(`${flag}: "${v}" is not ${integer ? 'a whole number' : 'a number'}`);
  return n;
}

/** securityOpts reads --security-opt values into the options they set. */
function securityOpts(opts: string[]): Pick<RunOptions, 'noNewPrivileges' | 'seccompUnconfined'> {
  const out: Pick<RunOptions, 'noNewPrivileges' | 'seccompUnconfined'> = {};
  for (const raw of opts) {
    const [key, value] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : raw.split(':');
    if (key === 'no-new-privileges' && [undefined, 'true', 'false'].includes(value)) out.noNewPrivileges = value !== 'false';
    else if (key === 'seccomp' && value === 'unconfined') out.seccompUnconfined = true;
    else if (key === 'seccomp') throw new CliError(`--security-opt ${raw}: only seccomp=unconfined is supported (profile files are not yet)`);
    else throw new CliError(`--security-opt ${raw}: not an option (no-new-privileges, seccomp=unconfined)`);
  }
  return out;
}

/** runOptionsBody: the request's `options` from the flags, refused here when the controller would refuse it. */
export function runOptionsBody(f: RunOptionFlags): RunOptions {
  const labels: Record<string, string> = {};
  for (const l of f.label) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  const raw = {
    user: f.user,
    workdir: f.workdir,
    entrypoint: f.entrypoint === undefined ? undefined : f.entrypoint === '' ? [] : [f.entrypoint],
    hostname: f.hostname,
    labels: f.label.length ? labels : undefined,
    readOnly: f.readOnly || undefined,
    capAdd: f.capAdd.length ? f.capAdd : undefined,
    capDrop: f.capDrop.length ? f.capDrop : undefined,
    ...securityOpts(f.securityOpt),
    stopSignal: f.stopSignal,
    stopTimeout: number(f.stopTimeout, '--stop-timeout', true),
    memory: f.memory === undefined ? undefined : parseBytes(f.memory, '--memory'),
    cpus: number(f.cpus, '--cpus', false),
    pidsLimit: number(f.pidsLimit, '--pids-limit', true),
    shmSize: f.shmSize === undefined ? undefined : parseBytes(f.shmSize, '--shm-size'),
    init: f.init || undefined,
    extraHosts: f.addHost.length ? f.addHost : undefined,
    dns: f.dns.length ? f.dns : undefined,
    ulimits: f.ulimit.length ? f.ulimit.map((u) => parseUlimit(u, '--ulimit')) : undefined,
  };
  try {
    return checkRunOptions(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  } catch (err) {
    if (err instanceof RunOptionsError) throw new CliError(err.message.replace(/^options\.(\w+)/, (_m, k: string) => FLAG_OF[k] ?? `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`));
    throw err;
  }
}

/** envFiles reads --env-file files: KEY=VALUE lines; blank and # lines skipped; a bare KEY takes this process's value (or is left out). */
export function envFiles(files: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`--env-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    for (const [i, line] of text.split(/\r?\n/).entries()) {
      const l = line.trimStart();
      if (!l || l.startsWith('#')) continue;
      const eq = l.indexOf('=');
      const key = eq < 0 ? l.trimEnd() : l.slice(0, eq);
      if (!key || /\s/.test(key)) throw new CliError(`--env-file ${file}, line ${i + 1}: "${line}" is not KEY=VALUE`);
      if (eq >= 0) out.push(l);
      else if (env[key] !== undefined) out.push(`${key}=${env[key]}`);
    }
  }
  return out;
}
