// PortsFilter specs: fixed host ports once per node; random ones need a free port of the range left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortsFilter } from './ports.filter.js';
import { makeNode, makeTasks } from '../../../../../test/fixtures/scheduler-harness.js';
import { RANDOM_PORTS } from '#libs/common';

const task = makeTasks(1)[0];

test('applies only to tasks that publish ports', () => {
  const f = new PortsFilter();
  assert.equal(f.setTask(task), false);
  assert.equal(f.setTask({ ...task, ports: ['tcp/8080'] }), true);
  assert.equal(f.setTask({ ...task, ports: [], published: ['0:80/tcp'] }), true, 'a random host port');
  assert.equal(f.setTask({ ...task, ports: ['tcp/8080'], published: ['8080:80/tcp'] }), true);
});

test('a fixed host port fits nodes where no task holds it on that protocol', () => {
  const f = new PortsFilter();
  f.setTask({ ...task, ports: ['tcp/8080', 'udp/53'] });
  assert.equal(f.check(makeNode()), true, 'a node that reported no ports');
  assert.equal(f.check(makeNode({ usedPorts: new Set(['tcp/9090', 'udp/8080', 'tcp/53']) })), true);
  assert.equal(f.check(makeNode({ usedPorts: new Set(['tcp/8080']) })), false);
  assert.equal(f.check(makeNode({ usedPorts: new Set(['udp/53']) })), false);
});

test('a random host port fits nodes with a free port of the range left on its protocol', () => {
  const f = new PortsFilter();
  f.setTask({ ...task, published: ['0:80/tcp'] });
  const full = new Set(Array.from({ length: RANDOM_PORTS.last - RANDOM_PORTS.first + 1 }, (_, i) => `tcp/${RANDOM_PORTS.first + i}`));
  assert.equal(f.check(makeNode({ usedPorts: full })), false);
  assert.equal(f.check(makeNode({ usedPorts: new Set([...full].slice(1)) })), true, 'one port left');
  f.setTask({ ...task, published: ['0:53/udp'] });
  assert.equal(f.check(makeNode({ usedPorts: full })), true, 'udp ports are free');
});

test('explains in the singular and the plural', () => {
  const f = new PortsFilter();
  assert.equal(f.explain(1), '1 node has the published port in use');
  assert.equal(f.explain(4), '4 nodes have the published port in use');
});
