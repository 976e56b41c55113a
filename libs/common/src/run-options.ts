/**
 * RunOptions: how a container runs beyond its image, command and env —
 * `docker run`'s -u, -w, --entrypoint, --hostname, --label, --read-only,
 * --cap-add/--cap-drop, --security-opt, --stop-signal, --stop-timeout,
 * --memory, --cpus, --pids-limit, --shm-size, --init, --add-host, --dns
 * and --ulimit, with Docker's meaning.
 * checkRunOptions validates what comes from outside (an API body) and
 * returns only the fields that were given; effectiveCapabilities is
 * Docker's rule for the capability set. Shared by the CLI, the controller
 * and the agent.
 */
export class RunOptionsError extends Error {}

export interface RunOptions {
  /** uid[:gid] or name[:group], resolved against the image's /etc/passwd and /etc/group. */
  user?: string;
  /** The process's working directory (absolute); made if the image lacks it. */
  workdir?: string;
  /** Replaces the image's Entrypoint; [] clears it. */
  entrypoint?: string[];
  hostname?: string;
  labels?: Record<string, string>;
  /** The root filesystem mounted read-only. */
  readOnly?: boolean;
  /** Capability names (CAP_ optional, any case) or ALL. */
  capAdd?: string[];
  capDrop?: string[];
  /** --security-opt no-new-privileges */
  noNewPrivileges?: boolean;
  /** --security-opt seccomp=unconfined: no seccomp filter. */
  seccompUnconfined?: boolean;
  /** The signal that stops the container (name or number), instead of the image's StopSignal. */
  stopSignal?: string;
  /** Seconds between the stop signal and SIGKILL. */
  stopTimeout?: number;
  /** Memory limit in bytes (at least 6 MiB, as Docker). */
  memory?: number;
  /** CPUs' worth of time per period (1.5 = one and a half cores). */
  cpus?: number;
  /** Processes the container may have: -1 for no limit, else at least 1; absent: the agent's default. */
  pidsLimit?: number;
  /** /dev/shm size in bytes. */
  shmSize?: number;
  /** Run the command under an init process (Debian's tini) that reaps zombies and forwards signals. */
  init?: boolean;
  /** Extra /etc/hosts lines, HOST:IP. */
  extraHosts?: string[];
  /** Name servers (IPv4) instead of the host's, on the built-in networks. */
  dns?: string[];
  /** Resource limits: RLIMIT_<NAME> soft and hard (-1: unlimited). */
  ulimits?: Ulimit[];
}

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** ULIMITS: the names --ulimit takes (setrlimit's resources). */
export const ULIMITS = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$/;

/** parseUlimit reads NAME=SOFT[:HARD] (hard defaults to soft; -1 or unlimited for no limit). */
export function parseUlimit(v: string, what: string): Ulimit {
  const m = /^([a-z]+)=(-1|unlimited|\d+)(?::(-1|unlimited|\d+))?$/.exec(v.trim());
  if (!m || !ULIMITS.includes(m[1])) throw new RunOptionsError(`${what}: "${v}" must be NAME=SOFT[:HARD] with NAME one of ${ULIMITS.join(', ')}`);
  const n = (x: string) => (x === 'unlimited' ? -1 : Number(x));
  return checkUlimit({ name: m[1], soft: n(m[2]), hard: n(m[3] ?? m[2]) }, what);
}

function checkUlimit(u: Ulimit, what: string): Ulimit {
  const max = (x: number) => (x === -1 ? Infinity : x);
  for (const k of ['soft', 'hard'] as const) if (!Number.isSafeInteger(u[k]) || u[k] < -1) throw new RunOptionsError(`${what}: ${u.name}'s ${k} limit must be a whole number (-1: unlimited)`);
  if (max(u.soft) > max(u.hard)) throw new RunOptionsError(`${what}: ${u.name}'s soft limit ${u.soft} is above its hard limit ${u.hard}`);
  return u;
}

/** CAPABILITIES: every Linux capability by its OCI name. */
export const CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

/** MIN_MEMORY: the smallest memory limit, as Docker's. */
export const MIN_MEMORY = 6 * 1024 * 1024;
const MAX_CPUS = 1024;
const SIGNALS = new Set([
  'HUP',
  'INT',
  'QUIT',
  'ILL',
  'TRAP',
  'ABRT',
  'BUS',
  'FPE',
  'KILL',
  'USR1',
  'SEGV',
  'USR2',
  'PIPE',
  'ALRM',
  'TERM',
  'STKFLT',
  'CHLD',
  'CONT',
  'STOP',
  'TSTP',
  'TTIN',
  'TTOU',
  'URG',
  'XCPU',
  'XFSZ',
  'VTALRM',
  'PROF',
  'WINCH',
  'IO',
  'PWR',
  'SYS',
]);

/** capabilityName: CAP_NAME for a name in any case, with or without CAP_; ALL stays ALL. */
export function capabilityName(raw: string, what: string): string {
  const up = raw.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!CAPABILITIES.includes(name)) throw new RunOptionsError(`${what}: "${raw}" is not a capability (e.g. NET_ADMIN, SYS_TIME, ALL)`);
  return name;
}

/** effectiveCapabilities: Docker's rule: ALL added starts from every capability; ALL dropped from none; then the named adds, less the named drops. */
export function effectiveCapabilities(defaults: string[], o: Pick<RunOptions, 'capAdd' | 'capDrop'>): string[] {
  const add = o.capAdd ?? [];
  const drop = o.capDrop ?? [];
  let caps = new Set(add.includes('ALL') ? CAPABILITIES : defaults);
  if (drop.includes('ALL')) caps = new Set();
  for (const c of add) if (c !== 'ALL') caps.add(c);
  for (const c of drop) if (c !== 'ALL') caps.delete(c);
  return CAPABILITIES.filter((c) => caps.has(c));
}

/** signalName: a stop signal as SIGNAME, from TERM, SIGTERM or a number. */
export function signalName(raw: string, what: string): string {
  const up = raw.trim().toUpperCase();
  if (/^\d{1,2}$/.test(up) && Number(up) >= 1 && Number(up) <= 64) return up;
  const name = up.startsWith('SIG') ? up.slice(3) : up;
  if (!SIGNALS.has(name) && !/^RTMIN(\+\d{1,2})?$|^RTMAX(-\d{1,2})?$/.test(name)) throw new RunOptionsError(`${what}: "${raw}" is not a signal (e.g. SIGTERM, SIGQUIT, 15)`);
  return `SIG${name}`;
}

/** parseBytes reads 64m, 1g, 512k, 100b or a number of bytes (Docker's units, powers of 1024). */
export function parseBytes(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(v.trim());
  const n = m ? Math.floor(Number(m[1]) * 1024 ** 'bkmgt'.indexOf(m[2].toLowerCase() || 'b')) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new RunOptionsError(`${what}: "${v}" is not a size (e.g. 64m, 1g)`);
  return n;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** hasControl: a C0 control character or DEL, which no option may hold. */
const hasControl = (v: string) => [...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function text(v: unknown, field: string, max: number, re?: RegExp, shape?: string): string {
  if (typeof v !== 'string' || v.length > max || hasControl(v)) throw new RunOptionsError(`options.${field} must be a string of at most ${max} characters without control characters`);
  if (re && !re.test(v)) throw new RunOptionsError(`options.${field}: "${v}" ${shape}`);
  return v;
}

function list(v: unknown, field: string, maxItems: number, maxLen: number): string[] {
  if (!Array.isArray(v) || v.length > maxItems) throw new RunOptionsError(`options.${field} must be a list of at most ${maxItems} strings`);
  return v.map((x, i) => text(x, `${field}[${i}]`, maxLen));
}

function integer(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new RunOptionsError(`options.${field} must be a whole number from ${min} to ${max}`);
  return v;
}

function flag(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new RunOptionsError(`options.${field} must be true or false`);
  return v;
}

/** checkRunOptions validates an API body's `options` and returns the fields given, normalised. */
export function checkRunOptions(raw: unknown): RunOptions {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw new RunOptionsError('options must be an object');
  const known = new Set([
    'user',
    'workdir',
    'entrypoint',
    'hostname',
    'labels',
    'readOnly',
    'capAdd',
    'capDrop',
    'noNewPrivileges',
    'seccompUnconfined',
    'stopSignal',
    'stopTimeout',
    'memory',
    'cpus',
    'pidsLimit',
    'shmSize',
    'init',
    'extraHosts',
    'dns',
    'ulimits',
  ]);
  const unknown = Object.keys(raw).find((k) => !known.has(k));
  if (unknown) throw new RunOptionsError(`options.${unknown} is not an option (${[...known].join(', ')})`);
  const o: RunOptions = {};
  if (raw.user !== undefined) o.user = text(raw.user, 'user', 256, /^[^:\s]+(:[^:\s]+)?$/, 'must look like USER[:GROUP] (names or numbers)');
  if (raw.workdir !== undefined) {
    o.workdir = text(raw.workdir, 'workdir', 4096);
    if (!o.workdir.startsWith('/') || o.workdir.split('/').some((p) => p === '.' || p === '..')) throw new RunOptionsError(`options.workdir: "${o.workdir}" must be an absolute path without . or ..`);
  }
  if (raw.entrypoint !== undefined) o.entrypoint = list(raw.entrypoint, 'entrypoint', 256, 4096);
  if (raw.hostname !== undefined) o.hostname = text(raw.hostname, 'hostname', 63, /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/, 'must be 1 to 63 letters, digits or -, not starting or ending with -');
  if (raw.labels !== undefined) {
    if (!isObject(raw.labels) || Object.keys(raw.labels).length > 256) throw new RunOptionsError('options.labels must be an object of at most 256 string values');
    o.labels = {};
    for (const [k, v] of Object.entries(raw.labels)) {
      text(k, 'labels key', 256, /^[^=\s]+$/, 'must be a label name without = or spaces');
      o.labels[k] = text(v, `labels.${k}`, 4096);
    }
  }
  if (raw.readOnly !== undefined) o.readOnly = flag(raw.readOnly, 'readOnly');
  for (const k of ['capAdd', 'capDrop'] as const) if (raw[k] !== undefined) o[k] = [...new Set(list(raw[k], k, 64, 64).map((c) => capabilityName(c, `options.${k}`)))];
  if (raw.noNewPrivileges !== undefined) o.noNewPrivileges = flag(raw.noNewPrivileges, 'noNewPrivileges');
  if (raw.seccompUnconfined !== undefined) o.seccompUnconfined = flag(raw.seccompUnconfined, 'seccompUnconfined');
  if (raw.stopSignal !== undefined) o.stopSignal = signalName(text(raw.stopSignal, 'stopSignal', 16), 'options.stopSignal');
  if (raw.stopTimeout !== undefined) o.stopTimeout = integer(raw.stopTimeout, 'stopTimeout', 0, 86_400);
  if (raw.memory !== undefined) {
    o.memory = integer(raw.memory, 'memory', 1, Number.MAX_SAFE_INTEGER);
    if (o.memory < MIN_MEMORY) throw new RunOptionsError(`options.memory must be at least 6m (${MIN_MEMORY} bytes), Docker's minimum`);
  }
  if (raw.cpus !== undefined) {
    if (typeof raw.cpus !== 'number' || !Number.isFinite(raw.cpus) || raw.cpus < 0.01 || raw.cpus > MAX_CPUS) throw new RunOptionsError(`options.cpus must be a number from 0.01 to ${MAX_CPUS}`);
    o.cpus = raw.cpus;
  }
  if (raw.pidsLimit !== undefined) {
    o.pidsLimit = integer(raw.pidsLimit, 'pidsLimit', -1, 4_194_304);
    if (o.pidsLimit === 0) throw new RunOptionsError('options.pidsLimit must be -1 (no limit) or at least 1');
  }
  if (raw.shmSize !== undefined) o.shmSize = integer(raw.shmSize, 'shmSize', 1, Number.MAX_SAFE_INTEGER);
  if (raw.init !== undefined) o.init = flag(raw.init, 'init');
  if (raw.extraHosts !== undefined) {
    o.extraHosts = list(raw.extraHosts, 'extraHosts', 64, 300);
    for (const h of o.extraHosts) {
      const i = h.lastIndexOf(':');
      if (i < 1 || !HOST_NAME.test(h.slice(0, i)) || !IPV4.test(h.slice(i + 1))) throw new RunOptionsError(`options.extraHosts: "${h}" must be HOST:IPv4`);
    }
  }
  if (raw.dns !== undefined) {
    o.dns = list(raw.dns, 'dns', 3, 15);
    for (const d of o.dns) if (!IPV4.test(d)) throw new RunOptionsError(`options.dns: "${d}" is not an IPv4 address`);
  }
  if (raw.ulimits !== undefined) {
    if (!Array.isArray(raw.ulimits) || raw.ulimits.length > ULIMITS.length) throw new RunOptionsError(`options.ulimits must be a list of at most ${ULIMITS.length} { name, soft, hard }`);
    o.ulimits = raw.ulimits.map((u: unknown, i) => {
      if (!isObject(u) || typeof u.name !== 'string' || !ULIMITS.includes(u.name)) throw new RunOptionsError(`options.ulimits[${i}].name must be one of ${ULIMITS.join(', ')}`);
      return checkUlimit({ name: u.name, soft: u.soft as number, hard: u.hard as number }, `options.ulimits[${i}]`);
    });
    const twice = o.ulimits.find((u, i) => o.ulimits!.findIndex((x) => x.name === u.name) !== i);
    if (twice) throw new RunOptionsError(`options.ulimits: ${twice.name} is given twice`);
  }
  return o;
}
