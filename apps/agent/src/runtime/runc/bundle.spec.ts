// toOciSpec specs: Docker's command/env/user rules and namespaces per network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toOciSpec, processArgs, mergeEnv, parseUser, InvalidSpecError, type BundleInput } from './bundle.js';

const image = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin', 'A=image'], Cmd: ['sh'], WorkingDir: '/srv' }, rootfs: { type: 'layers' as const, diff_ids: [] } };
const input = (over: Partial<BundleInput> = {}): BundleInput => ({
  taskId: 't1', hostname: 'abc', command: [], env: ['A=task'], network: 'bridge', image, user: { uid: 0, gid: 0 },
  cgroupsPath: '/berth-x/t1', etcFiles: { hosts: '/h', hostname: '/hn', resolvConf: '/r' }, ...over,
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
  const ns = (n: string) => ((toOciSpec(input({ network: n })).linux as { namespaces: Array<{ type: string }> }).namespaces.map((x) => x.type));
  assert.ok(!ns('host').includes('network'));
  assert.ok(ns('bridge').includes('network') && ns('none').includes('network'));
  assert.equal((toOciSpec(input({ network: 'host' })).linux as { sysctl?: object }).sysctl, undefined, 'never touch the host stack');
  assert.equal((toOciSpec(input()).linux as { sysctl: Record<string, string> }).sysctl['net.ipv6.conf.all.disable_ipv6'], '1');
  const spec = toOciSpec(input()) as { process: { cwd: string; args: string[] }; linux: { cgroupsPath: string } };
  assert.equal(spec.process.cwd, '/srv');
  assert.equal(spec.linux.cgroupsPath, '/berth-x/t1');
});
