// Run options as the API checks them, Docker's capability rule, signal and size spellings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunOptionsError, checkRunOptions, effectiveCapabilities, parseBytes, signalName } from './run-options.js';

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
