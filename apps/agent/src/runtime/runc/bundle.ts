/**
 * toOciSpec: the pure translation of a task and its image config into an OCI
 * runtime spec (config.json), with Docker's defaults: the image's
 * Entrypoint/Cmd/Env/WorkingDir/User unless the task overrides them, the
 * default capability set and seccomp profile (seccomp.ts), masked and
 * read-only /proc and /sys paths, a pids limit, and namespaces, a cgroup
 * one included (no network namespace for host networking, a given one
 * joined); then docker run's options: capabilities added and dropped (the
 * seccomp profile follows them), no-new-privileges, seccomp=unconfined, a
 * read-only root, memory, CPU and process limits, the size of /dev/shm.
 * No IO here.
 */
import type { ImageConfig } from '../../images/oci.js';
import { InvalidSpecError } from '../../errors.js';
import type { HostMount } from '../runtime.js';
import type { RunOptions } from '#libs/proto/messages.js';
import { effectiveCapabilities } from '#libs/common';
import { seccompFor } from './seccomp.js';

export interface BundleInput {
  taskId: string;
  hostname: string;
  command: string[];
  env: string[];
  network: string;
  /** A network namespace to join (a build step's); without it runc makes a new one, and none for host. */
  netnsPath?: string;
  image: ImageConfig;
  /** uid/gid resolved from the image's /etc/passwd for a named User. */
  user: { uid: number; gid: number };
  cgroupsPath: string;
  /** RLIMIT_NOFILE (soft and hard) for the container's processes. */
  nofile: number;
  /** The most processes (threads included) the container may have; 0 for no limit. */
  pidsLimit: number;
  /** Whether the node's cgroups account swap (a swap limit can be set). */
  swapAccounting?: boolean;
  /** Host files bind-mounted at /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  /** Host directories bind-mounted read-write (the image's VOLUMEs, anonymous per container). */
  volumes?: Array<{ source: string; destination: string }>;
  /** The task's mounts, host side resolved: volumes and binds as host paths, tmpfs as is. */
  mounts?: HostMount[];
  /** docker run's options (those on the image config are applied to `image` already). */
  options?: RunOptions | null;
}

/** ociMount: a task mount as an OCI mount entry (binds recursive, private unless told). */
export function ociMount(m: HostMount): Record<string, unknown> {
  const ro = m.readonly ? 'ro' : 'rw';
  if (m.type === 'tmpfs') {
    const options = ['nosuid', 'nodev', ro, `mode=${(m.tmpfsMode || 0o1777).toString(8)}`, ...(m.tmpfsSize ? [`size=${m.tmpfsSize}`] : [])];
    return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options };
  }
  return { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', ro, m.propagation || 'rprivate'] };
}

export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** MASKED_PATHS: what a container sees empty of the host's /proc and /sys (Docker's list). */
export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** DEFAULT_PIDS_LIMIT: a container's process limit unless the agent is told otherwise (--pids-limit). */
export const DEFAULT_PIDS_LIMIT = 4096;

/** SHM_SIZE: /dev/shm's size unless --shm-size says otherwise (Docker's 64 MiB). */
const SHM_SIZE = 64 * 1024 * 1024;
/** CPU_PERIOD_US: the CFS period --cpus is a share of (Docker's). */
const CPU_PERIOD_US = 100_000;

/** TINI_PATH: Debian's static tini on the node, bind-mounted as the container's init (--init) at INIT_PATH, as Docker's docker-init. */
export const TINI_PATH = '/usr/bin/tini-static';
const INIT_PATH = '/sbin/docker-init';
/** RLIM_INFINITY: an unlimited rlimit; a uint64 JSON numbers cannot carry, so specJson writes it in. */
const RLIM_INFINITY = 'RLIM_INFINITY';

/** rlimits: NOFILE at the agent's default unless --ulimit names it, then each --ulimit (-1: unlimited). */
function rlimits(b: BundleInput): Array<{ type: string; soft: number | string; hard: number | string }> {
  const given = b.options?.ulimits ?? [];
  const value = (n: number) => (n === -1 ? RLIM_INFINITY : n);
  return [
    ...(given.some((u) => u.name === 'nofile') ? [] : [{ type: 'RLIMIT_NOFILE', hard: b.nofile, soft: b.nofile }]),
    ...given.map((u) => ({ type: `RLIMIT_${u.name.toUpperCase()}`, soft: value(u.soft), hard: value(u.hard) })),
  ];
}

/** specJson: a spec as config.json, unlimited rlimits written as the uint64 runc reads. */
export function specJson(spec: Record<string, unknown>): string {
  return JSON.stringify(spec).replaceAll(`"${RLIM_INFINITY}"`, '18446744073709551615');
}

/** limits: the cgroup limits of a container, from the agent's pids default and the task's options. */
function limits(b: BundleInput): Record<string, unknown> {
  const o = b.options;
  const pids = o?.pidsLimit === -1 ? 0 : o?.pidsLimit || b.pidsLimit;
  return {
    ...(pids > 0 ? { pids: { limit: pids } } : {}),
    // As Docker: without a swap limit of its own, a container may swap as much as its memory limit
    // (where the node accounts swap; elsewhere only memory is limited).
    ...(o?.memoryBytes ? { memory: { limit: o.memoryBytes, ...(b.swapAccounting ? { swap: o.memoryBytes * 2 } : {}) } } : {}),
    ...(o?.cpus ? { cpu: { quota: Math.round(o.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US } } : {}),
  };
}

/** NOFILE_LIMIT: Docker's default open-files limit per container process (the runtime caps it at its own hard limit). */
export const NOFILE_LIMIT = 1_048_576;

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** processArgs applies Docker's rule: Entrypoint + (task command, else image Cmd). */
export function processArgs(command: string[], image: ImageConfig): string[] {
  const entry = image.config?.Entrypoint ?? [];
  const args = [...entry, ...(command.length ? command : (image.config?.Cmd ?? []))];
  if (!args.length) throw new InvalidSpecError('no command: the task gives none and the image has no Cmd or Entrypoint');
  return args;
}

/** mergeEnv overlays task env on image env by variable name, keeping PATH set. */
export function mergeEnv(imageEnv: string[], taskEnv: string[], hostname: string): string[] {
  const out = new Map<string, string>();
  for (const kv of [DEFAULT_PATH, `HOSTNAME=${hostname}`, ...imageEnv, ...taskEnv]) {
    const i = kv.indexOf('=');
    out.set(i < 0 ? kv : kv.slice(0, i), kv);
  }
  return [...out.values()];
}

/** CONTAINER_UMASK: the umask a container's processes start with (Docker's). */
export const CONTAINER_UMASK = 0o022;

export function toOciSpec(b: BundleInput): Record<string, unknown> {
  const o = b.options;
  const caps = effectiveCapabilities(DEFAULT_CAPS, { capAdd: o?.capAdd, capDrop: o?.capDrop });
  const namespaces: Array<{ type: string; path?: string }> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
  if (b.network !== 'host') namespaces.push({ type: 'network', ...(b.netnsPath ? { path: b.netnsPath } : {}) });
  const bind = (source: string, destination: string, ro = false) => ({
    destination,
    type: 'bind',
    source,
    options: ['rbind', ro ? 'ro' : 'rw', 'nosuid', 'nodev'],
  });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      // Docker's umask for container processes, whatever the agent's own is.
      user: { uid: b.user.uid, gid: b.user.gid, umask: CONTAINER_UMASK },
      args: o?.init ? [INIT_PATH, '--', ...processArgs(b.command, b.image)] : processArgs(b.command, b.image),
      env: mergeEnv(b.image.config?.Env ?? [], b.env, b.hostname),
      cwd: b.image.config?.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: rlimits(b),
      noNewPrivileges: !!o?.noNewPrivileges,
    },
    root: { path: 'rootfs', readonly: !!o?.readOnly },
    hostname: b.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${o?.shmSizeBytes || SHM_SIZE}`] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      bind(b.etcFiles.hosts, '/etc/hosts'),
      bind(b.etcFiles.hostname, '/etc/hostname'),
      bind(b.etcFiles.resolvConf, '/etc/resolv.conf'),
      // The image's VOLUMEs, except where a task mount takes the path; then the task's mounts, parents first.
      ...(b.volumes ?? []).filter((v) => !b.mounts?.some((m) => m.destination === v.destination)).map((v) => bind(v.source, v.destination)),
      ...[...(b.mounts ?? [])].sort((x, y) => x.destination.split('/').length - y.destination.split('/').length).map(ociMount),
      ...(o?.init ? [{ destination: INIT_PATH, type: 'bind', source: TINI_PATH, options: ['rbind', 'ro', 'nosuid', 'nodev'] }] : []),
    ],
    linux: {
      cgroupsPath: b.cgroupsPath,
      namespaces,
      // Berth's networks are IPv4 only: like Docker on such networks, interfaces added to the
      // container get no IPv6 (which also spares the kernel address autoconfiguration per
      // container). `default` covers every interface created after it, eth0 included, and
      // unlike `all` its write needs no rtnl lock, which busy-retries under load.
      ...(b.network === 'host' ? {} : { sysctl: { 'net.ipv6.conf.default.disable_ipv6': '1' } }),
      resources: { devices: [{ allow: false, access: 'rwm' }], ...limits(b) },
      ...(o?.seccompUnconfined ? {} : { seccomp: seccompFor(caps) }),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
