// Run options as the API checks them, Docker's capability rule, signal and size spellings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunOptionsError, checkRunOptions, effectiveCapabilities, parseBytes, parseUlimit, signalName } from './run-options.js';

test('options are normalised: capability and signal spellings, only the given fields', () => {
  assert.deepEqual(checkRunOptions(undefined), {});
  assert.deepEqual(
    checkRunOptions({
      user: 'www-data:1000',
      workdir: '/srv/app',
      entrypoint: [],
      capAdd: ['net_admin', 'CAP_NET_ADMIN', 'all'],
      capDrop: ['mknod'],
      stopSignal: 'quit',
      memory: 32 * 1024 * 1024,
      cpus: 0.5,
      pidsLimit: -1,
    }),
    { user: 'www-data:1000', workdir: '/srv/app', entrypoint: [], capAdd: ['CAP_NET_ADMIN', 'ALL'], capDrop: ['CAP_MKNOD'], stopSignal: 'SIGQUIT', memory: 33554432, cpus: 0.5, pidsLimit: -1 },
  );
});

test('a bad option is refused naming it', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['x', /^options must be an object/],
    [{ privileged: true }, /^options\.privileged is not an option/],
    [{ user: 'a b' }, /^options\.user: "a b" must look like USER\[:GROUP\]/],
    [{ workdir: 'rel' }, /^options\.workdir: "rel" must be an absolute path/],
    [{ workdir: '/a/../b' }, /^options\.workdir/],
    [{ hostname: '-x' }, /^options\.hostname/],
    [{ capAdd: ['SYS_EVERYTHING'] }, /^options\.capAdd: "SYS_EVERYTHING" is not a capability/],
    [{ memory: 1024 }, /^options\.memory must be at least 6m \(6291456 bytes\)/],
    [{ memory: 1.5 }, /^options\.memory must be a whole number/],
    [{ cpus: 0 }, /^options\.cpus must be a number from 0\.01/],
    [{ pidsLimit: 0 }, /^options\.pidsLimit must be -1 \(no limit\) or at least 1/],
    [{ stopSignal: 'SIGNOPE' }, /^options\.stopSignal: "SIGNOPE" is not a signal/],
    [{ readOnly: 'yes' }, /^options\.readOnly must be true or false/],
    [{ labels: { a: 1 } }, /^options\.labels\.a must be a string/],
    [{ entrypoint: ['a\u0000'] }, /^options\.entrypoint\[0\] must be a string .* without control characters/],
    [{ extraHosts: ['db'] }, /^options\.extraHosts: "db" must be HOST:IPv4/],
    [{ extraHosts: ['db:10.0.0.300'] }, /^options\.extraHosts/],
    [{ dns: ['8.8.8'] }, /^options\.dns: "8\.8\.8" is not an IPv4 address/],
    [{ dns: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] }, /^options\.dns must be a list of at most 3/],
    [{ ulimits: [{ name: 'files', soft: 1, hard: 1 }] }, /^options\.ulimits\[0\]\.name must be one of/],
    [{ ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] }, /soft limit 10 is above its hard limit 5/],
    [
      {
        ulimits: [
          { name: 'core', soft: 0, hard: 0 },
          { name: 'core', soft: 1, hard: 1 },
        ],
      },
      /core is given twice/,
    ],
  ];
  for (const [raw, message] of cases)
    assert.throws(
      () => checkRunOptions(raw),
      (e: Error) => e instanceof RunOptionsError && message.test(e.message),
      JSON.stringify(raw),
    );
});

test("capabilities follow Docker's rule: ALL added is every one, ALL dropped is none, then the named ones", () => {
  const defaults = ['CAP_CHOWN', 'CAP_KILL'];
  assert.deepEqual(effectiveCapabilities(defaults, {}), ['CAP_CHOWN', 'CAP_KILL']);
  assert.deepEqual(effectiveCapabilities(defaults, { capAdd: ['CAP_NET_ADMIN'], capDrop: ['CAP_KILL'] }), ['CAP_CHOWN', 'CAP_NET_ADMIN']);
  assert.deepEqual(effectiveCapabilities(defaults, { capDrop: ['ALL'], capAdd: ['CAP_KILL'] }), ['CAP_KILL']);
  assert.equal(effectiveCapabilities(defaults, { capAdd: ['ALL'], capDrop: ['CAP_SYS_ADMIN'] }).length, 40);
});

test('signals and sizes as Docker spells them', () => {
  assert.deepEqual(
    ['TERM', 'sigint', '9', 'RTMIN+3'].map((s) => signalName(s, 'x')),
    ['SIGTERM', 'SIGINT', '9', 'SIGRTMIN+3'],
  );
  assert.deepEqual(
    ['64m', '1g', '512k', '100', '1.5g'].map((s) => parseBytes(s, 'x')),
    [67108864, 1073741824, 524288, 100, 1610612736],
  );
  for (const bad of ['', '-1', 'lots', '0'])
    assert.throws(
      () => parseBytes(bad, '--memory'),
      (e: Error) => e instanceof RunOptionsError && e.message.startsWith('--memory: '),
      bad,
    );
});

test('--ulimit NAME=SOFT[:HARD]: hard defaults to soft, unlimited and -1 are no limit', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048', 'x'), { name: 'nofile', soft: 1024, hard: 2048 });
  assert.deepEqual(parseUlimit('core=0', 'x'), { name: 'core', soft: 0, hard: 0 });
  assert.deepEqual(parseUlimit('memlock=-1:unlimited', 'x'), { name: 'memlock', soft: -1, hard: -1 });
  for (const bad of ['nofile', 'files=1', 'nofile=2:1', 'nofile=a'])
    assert.throws(
      () => parseUlimit(bad, '--ulimit'),
      (e: Error) => e instanceof RunOptionsError && e.message.startsWith('--ulimit: '),
      bad,
    );
});
