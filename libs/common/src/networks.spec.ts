// Tests for the network rules that follow from a driver or a built-in network's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_NETWORKS, USER_DRIVERS, hasResolver, isBuiltinNetwork, isClusterDriver, isExclusiveNetwork } from './index.js';

test('bridge, host and none are built in; host and none stand alone', () => {
  assert.deepEqual([...BUILTIN_NETWORKS], ['bridge', 'host', 'none']);
  assert.deepEqual(['bridge', 'host', 'none', 'front'].map(isBuiltinNetwork), [true, true, true, false]);
  assert.deepEqual(['bridge', 'host', 'none', 'front'].map(isExclusiveNetwork), [false, true, true, false]);
});

test('overlay and macvlan are addressed cluster-wide; bridge and overlay networks have a resolver', () => {
  assert.deepEqual(USER_DRIVERS.map(isClusterDriver), [false, true, true]);
  assert.deepEqual(USER_DRIVERS.map(hasResolver), [true, true, false]);
  assert.equal(hasResolver('host'), false);
});
