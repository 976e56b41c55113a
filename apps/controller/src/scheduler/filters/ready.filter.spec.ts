// ReadyFilter specs: only ready, active nodes take work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadyFilter } from './ready.filter.js';
import { makeNode } from '../../../../../test/fixtures/scheduler-harness.js';

test('applies to every task and passes only ready nodes whose availability is active', () => {
  const f = new ReadyFilter();
  assert.equal(f.setTask(), true);
  assert.equal(f.check(makeNode()), true);
  assert.equal(f.check(makeNode({ status: 'down' })), false);
  assert.equal(f.check(makeNode({ status: 'unknown' })), false);
  assert.equal(f.check(makeNode({ availability: 'drain' })), false);
  assert.equal(f.check(makeNode({ availability: 'pause' })), false);
});

test('explains in the singular and the plural', () => {
  const f = new ReadyFilter();
  assert.equal(f.explain(1), '1 node not ready');
  assert.equal(f.explain(3), '3 nodes not ready');
});
