// PinFilter specs: a task held to a node by its volume or --volumes-from fits only that node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PinFilter } from './pin.filter.js';
import { makeNode, makeTasks } from '../../../../../test/fixtures/scheduler-harness.js';

test('applies only to tasks with a required node, and passes that node alone', () => {
  const f = new PinFilter();
  assert.equal(f.setTask(makeTasks(1)[0]), false, 'a free task');
  assert.equal(f.setTask({ ...makeTasks(1)[0], requiredNode: 'a', requiredWhy: 'volume db (h1)' }), true);
  assert.equal(f.check(makeNode({ id: 'a' })), true);
  assert.equal(f.check(makeNode({ id: 'b' })), false);
  assert.equal(f.check(makeNode({ id: 'a', status: 'down' })), true, "whether the node is up is ReadyFilter's to say");
});

test('explains what holds the task there', () => {
  const f = new PinFilter();
  f.setTask({ ...makeTasks(1)[0], requiredNode: 'a', requiredWhy: 'volume db (h1)' });
  assert.equal(f.explain(1), '1 node is not the node holding volume db (h1)');
  assert.equal(f.explain(2), '2 nodes are not the node holding volume db (h1)');
});
