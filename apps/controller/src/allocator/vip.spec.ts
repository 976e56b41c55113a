// vip specs: the VIP pool's lowest free host address; a full pool says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExhaustedError } from './errors.js';
import { pickVip } from './vip.js';

test('the lowest free host address of the pool; network and broadcast addresses are never VIPs', () => {
  assert.equal(pickVip('10.200.0.0/16', []), '10.200.0.1');
  assert.equal(pickVip('10.200.0.0/16', ['10.200.0.1', '10.200.0.2']), '10.200.0.3');
  assert.equal(pickVip('10.200.0.0/16', ['10.200.0.2']), '10.200.0.1', 'a freed VIP is given again first');
  assert.equal(pickVip('10.201.0.0/30', ['10.201.0.1']), '10.201.0.2');
});

test('a full pool is an ExhaustedError naming the pool', () => {
  assert.throws(
    () => pickVip('10.201.0.0/30', ['10.201.0.1', '10.201.0.2']),
    (err: unknown) => err instanceof ExhaustedError && err.message === 'the virtual IP pool 10.201.0.0/30 is exhausted',
  );
});
