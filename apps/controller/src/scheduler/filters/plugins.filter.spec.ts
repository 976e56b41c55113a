// PluginsFilter specs: tasks on plugin volumes fit only nodes with every plugin they need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginsFilter } from './plugins.filter.js';
import { makeNode, makeTasks } from '../../../../../test/fixtures/scheduler-harness.js';

test('applies only to tasks whose volumes need plugins, and passes nodes that have them all', () => {
  const f = new PluginsFilter();
  assert.equal(f.setTask(makeTasks(1)[0]), false);
  assert.equal(f.setTask({ ...makeTasks(1)[0], drivers: [] }), false);
  assert.equal(f.setTask({ ...makeTasks(1)[0], drivers: ['nfs', 'ceph'] }), true);
  assert.equal(f.check(makeNode({ plugins: new Set(['nfs', 'ceph', 'other']) })), true);
  assert.equal(f.check(makeNode({ plugins: new Set(['nfs']) })), false);
  assert.equal(f.check(makeNode()), false, 'a node that reported no plugins');
});

test('explains which plugins are missing', () => {
  const f = new PluginsFilter();
  f.setTask({ ...makeTasks(1)[0], drivers: ['nfs', 'ceph'] });
  assert.equal(f.explain(1), '1 node lacks the volume plugin nfs, ceph');
  assert.equal(f.explain(2), '2 nodes lack the volume plugin nfs, ceph');
});
