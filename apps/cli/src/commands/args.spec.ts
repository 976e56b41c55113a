// CLI argument parser specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envArg, parseScale, intArg } from './args.js';
import { resolveClientConfig } from '../client/config.js';

test('env and scale arguments are validated with the reason', () => {
  assert.deepEqual(envArg('A=1', ['B=2']), ['B=2', 'A=1']);
  assert.throws(() => envArg('nope'), /KEY=VALUE/);
  assert.deepEqual(parseScale(['web=3', 'db=0']), [
    { name: 'web', replicas: 3 },
    { name: 'db', replicas: 0 },
  ]);
  assert.throws(() => parseScale(['web=x']), /SERVICE=REPLICAS/);
  assert.throws(() => intArg('--replicas', 0, 10)('11'), /--replicas/);
});

test('several controllers can be given; flags win over the environment', () => {
  const c = resolveClientConfig({}, { BERTH_HOST: 'a:1, b:2', BERTH_TOKEN: 't' }, '/nonexistent');
  assert.deepEqual(c, { hosts: ['http://a:1', 'http://b:2'], token: 't' });
  assert.equal(resolveClientConfig({ host: 'https://x:9', token: 'f' }, { BERTH_HOST: 'a:1' }, '/nonexistent').hosts[0], 'https://x:9');
});
