// toOciSpec specs: Docker's command/env/user rules and namespaces per network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toOciSpec, processArgs, mergeEnv, specJson, type BundleInput } from './bundle.js';
import { runOptions } from '../../../../../test/fixtures/run-options.js';
import { parseUser } from '../../images/image-user.js';
import { InvalidSpecError } from '../../errors.js';

const image = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin', 'A=image'], Cmd: ['sh'], WorkingDir: '/srv' }, rootfs: { type: 'layers' as const, diff_ids: [] } };
const input = (over: Partial<BundleInput> = {}): BundleInput => ({
  taskId: 't1',
  hostname: 'abc',
  command: [],
  env: ['A=task'],
  network: 'bridge',
  image,
  user: { uid: 0, gid: 0 },
  cgroupsPath: '/berth-x/t1',
  nofile: 4096,
  pidsLimit: 100,
  etcFiles: { hosts: '/h', hostname: '/hn', resolvConf: '/r' },
  ...over,
});

test('the task command replaces Cmd; Entrypoint is kept in front', () => {
  assert.deepEqual(processArgs([], image), ['sh']);
  assert.deepEqual(processArgs(['echo', 'hi'], image), ['echo', 'hi']);
  assert.deepEqual(processArgs(['-c', 'x'], { ...image, config: { Entrypoint: ['sh'], Cmd: ['-l'] } }), ['sh', '-c', 'x']);
  assert.throws(() => processArgs([], { ...image, config: {} }), InvalidSpecError);
});

test('task env overrides image env by name and PATH is always set', () => {
  const env = mergeEnv(['A=image', 'B=1'], ['A=task'], 'h');
  assert.ok(env.includes('A=task') && env.includes('B=1') && env.includes('HOSTNAME=h'));
  assert.ok(env.some((e) => e.startsWith('PATH=')));
});

test('users resolve by name or number', () => {
  const passwd = 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n';
  const group = 'root:x:0:\nnogroup:x:65534:\n';
  assert.deepEqual(parseUser('nobody', passwd, group), { uid: 65534, gid: 65534 });
  assert.deepEqual(parseUser('1000:nogroup', passwd, group), { uid: 1000, gid: 65534 });
  assert.throws(() => parseUser('ghost', passwd, group), InvalidSpecError);
});

test('host networking has no network namespace; others do', () => {
  const ns = (n: string) => (toOciSpec(input({ network: n })).linux as { namespaces: Array<{ type: string }> }).namespaces.map((x) => x.type);
  assert.ok(!ns('host').includes('network'));
  assert.ok(ns('bridge').includes('network') && ns('none').includes('network'));
  const joined = (toOciSpec(input({ network: 'bridge', netnsPath: '/run/netns/berth-build-1' })).linux as { namespaces: Array<{ type: string; path?: string }> }).namespaces;
  assert.deepEqual(
    joined.find((x) => x.type === 'network'),
    { type: 'network', path: '/run/netns/berth-build-1' },
    'a given namespace is joined',
  );
  assert.equal((toOciSpec(input({ network: 'host' })).linux as { sysctl?: object }).sysctl, undefined, 'never touch the host stack');
  assert.equal((toOciSpec(input()).linux as { sysctl: Record<string, string> }).sysctl['net.ipv6.conf.default.disable_ipv6'], '1');
  const spec = toOciSpec(input()) as { process: { cwd: string; args: string[] }; linux: { cgroupsPath: string } };
  assert.equal(spec.process.cwd, '/srv');
  assert.equal(spec.linux.cgroupsPath, '/berth-x/t1');
});

test('the spec carries Docker-like defaults: caps, rlimits, mounts, masked paths, etc files', () => {
  const spec = toOciSpec(input()) as {
    process: { terminal: boolean; capabilities: { bounding: string[] }; rlimits: Array<{ type: string; soft: number }> };
    mounts: Array<{ destination: string; type: string; source: string; options?: string[] }>;
    linux: { maskedPaths: string[]; readonlyPaths: string[] };
    hostname: string;
  };
  assert.equal(spec.process.terminal, false);
  assert.ok(spec.process.capabilities.bounding.includes('CAP_NET_BIND_SERVICE'));
  assert.ok(!spec.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  assert.deepEqual(
    spec.process.rlimits.map((r) => [r.type, r.soft]),
    [['RLIMIT_NOFILE', 4096]],
  );
  const dest = spec.mounts.map((m) => m.destination);
  for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']) assert.ok(dest.includes(d), d);
  assert.ok(spec.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.equal(spec.mounts.find((m) => m.destination === '/etc/resolv.conf')!.source, '/r');
  assert.equal(spec.mounts.find((m) => m.destination === '/etc/hosts')!.type, 'bind');
  assert.ok(spec.linux.maskedPaths.includes('/proc/kcore') && spec.linux.readonlyPaths.includes('/proc/sys'));
  assert.equal(spec.hostname, 'abc');
});

test("a named image user becomes numeric uid/gid in the spec, with Docker's umask whatever the agent's", () => {
  const spec = toOciSpec(input({ user: parseUser('nobody', 'nobody:x:65534:65534::/:/bin/false\n', '') })) as { process: { user: { uid: number; gid: number } } };
  assert.deepEqual(spec.process.user, { uid: 65534, gid: 65534, umask: 0o022 });
});

test('image StopSignal names become runc kill names', async () => {
  const { stopSignalName } = await import('./record.js');
  assert.equal(stopSignalName(undefined), 'TERM');
  assert.equal(stopSignalName('SIGINT'), 'INT');
  assert.equal(stopSignalName('quit'), 'QUIT');
  assert.equal(stopSignalName('9'), 'KILL');
  assert.equal(stopSignalName('SIGBOGUS'), 'TERM');
});

test('task mounts: binds recursive and private unless told, read-only, tmpfs size and mode, parents first, over image VOLUMEs', () => {
  const spec = toOciSpec(
    input({
      volumes: [{ source: '/c/volumes/0', destination: '/data' }],
      mounts: [
        { type: 'bind', source: '/srv/v/x', destination: '/data/sub', readonly: true },
        { type: 'bind', source: '/srv/v/y', destination: '/data', propagation: 'rslave' },
        { type: 'tmpfs', source: '', destination: '/run/t', tmpfsSize: 1048576, tmpfsMode: 0o700 },
      ],
    }),
  );
  const mounts = (spec.mounts as Array<{ destination: string; source: string; type: string; options: string[] }>).slice(10);
  assert.deepEqual(
    mounts.map((m) => [m.destination, m.source, m.options.join(',')]),
    [
      ['/data', '/srv/v/y', 'rbind,rw,rslave'],
      ['/data/sub', '/srv/v/x', 'rbind,ro,rprivate'],
      ['/run/t', 'tmpfs', 'nosuid,nodev,rw,mode=700,size=1048576'],
    ],
    'the image VOLUME at /data gives way to the task mount',
  );
});

test("a default container gets Docker's isolation: seccomp, a cgroup namespace, masked paths, a pids limit", () => {
  const spec = toOciSpec(input()) as { linux: { namespaces: Array<{ type: string }>; maskedPaths: string[]; resources: { pids?: { limit: number } }; seccomp: { defaultAction: string } } };
  assert.ok(spec.linux.namespaces.some((n) => n.type === 'cgroup'));
  for (const p of ['/proc/kcore', '/proc/interrupts', '/sys/devices/virtual/powercap', '/sys/firmware']) assert.ok(spec.linux.maskedPaths.includes(p), p);
  assert.deepEqual(spec.linux.resources.pids, { limit: 100 });
  assert.equal(spec.linux.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
  const unlimited = toOciSpec(input({ pidsLimit: 0 })) as { linux: { resources: { pids?: unknown } } };
  assert.equal(unlimited.linux.resources.pids, undefined);
});

test("docker run's options reach the spec: capabilities with the seccomp profile following them, read-only root, limits", () => {
  type Spec = {
    process: { capabilities: { effective: string[] }; noNewPrivileges: boolean };
    root: { readonly: boolean };
    mounts: Array<{ destination: string; options?: string[] }>;
    linux: {
      resources: { pids?: { limit: number }; memory?: { limit: number; swap: number }; cpu?: { quota: number; period: number } };
      seccomp?: { syscalls: Array<{ names: string[]; action: string; args?: unknown[] }> };
    };
  };
  const spec = toOciSpec(
    input({
      swapAccounting: true,
      options: runOptions({ capAdd: ['CAP_SYS_ADMIN'], capDrop: ['CAP_MKNOD'], readOnly: true, noNewPrivileges: true, memoryBytes: 32 << 20, cpus: 0.5, pidsLimit: 10, shmSizeBytes: 1 << 20 }),
    }),
  ) as Spec;
  const caps = spec.process.capabilities.effective;
  assert.ok(caps.includes('CAP_SYS_ADMIN') && !caps.includes('CAP_MKNOD') && caps.includes('CAP_CHOWN'));
  const allowed = new Set(spec.linux.seccomp!.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
  assert.ok(allowed.has('mount') && allowed.has('unshare'), 'CAP_SYS_ADMIN brings its calls');
  assert.equal(spec.root.readonly, true);
  assert.equal(spec.process.noNewPrivileges, true);
  assert.deepEqual(spec.linux.resources.memory, { limit: 32 << 20, swap: 64 << 20 });
  assert.deepEqual(spec.linux.resources.cpu, { quota: 50_000, period: 100_000 });
  assert.deepEqual(spec.linux.resources.pids, { limit: 10 });
  assert.ok(spec.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes(`size=${1 << 20}`));

  const open = toOciSpec(input({ options: runOptions({ seccompUnconfined: true, pidsLimit: -1, capDrop: ['ALL'] }) })) as Spec;
  assert.equal(open.linux.seccomp, undefined);
  const noSwap = toOciSpec(input({ options: runOptions({ memoryBytes: 32 << 20 }) })) as Spec;
  assert.deepEqual(noSwap.linux.resources.memory, { limit: 32 << 20 }, 'no swap limit where the node does not account swap');
  assert.equal(open.linux.resources.pids, undefined, '-1: no limit, not the agent default');
  assert.deepEqual(open.process.capabilities.effective, []);
});

test("--init runs the command under the node's tini; --ulimit sets rlimits, unlimited written as the uint64 runc reads", () => {
  type Spec = { process: { args: string[]; rlimits: Array<{ type: string; soft: unknown; hard: unknown }> }; mounts: Array<{ destination: string; source: string; options?: string[] }> };
  const spec = toOciSpec(
    input({
      command: ['sleep', '1'],
      options: runOptions({
        init: true,
        ulimits: [
          { name: 'nofile', soft: 100, hard: 200 },
          { name: 'core', soft: -1, hard: -1 },
        ],
      }),
    }),
  ) as Spec;
  assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sleep', '1']);
  assert.deepEqual(
    spec.mounts.find((m) => m.destination === '/sbin/docker-init'),
    { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['rbind', 'ro', 'nosuid', 'nodev'] },
  );
  assert.deepEqual(
    spec.process.rlimits.map((r) => [r.type, r.soft, r.hard]),
    [
      ['RLIMIT_NOFILE', 100, 200],
      ['RLIMIT_CORE', 'RLIM_INFINITY', 'RLIM_INFINITY'],
    ],
  );
  assert.match(specJson(spec), /"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615/);
  const plain = toOciSpec(input()) as Spec;
  assert.deepEqual(plain.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 4096 }]);
});
