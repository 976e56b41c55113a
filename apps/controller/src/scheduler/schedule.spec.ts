// Scheduler specs: spread, skew correction, determinism, explanations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from './schedule.js';
import { makeNode, makeTasks } from '../../../../test/fixtures/scheduler-harness.js';

function perNode(plan: ReturnType<typeof schedule>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of plan.placements) out[p.nodeId] = (out[p.nodeId] ?? 0) + 1;
  return out;
}

test('6 tasks on 3 equal nodes spread 2/2/2', () => {
  const nodes = [makeNode({ id: 'a' }), makeNode({ id: 'b' }), makeNode({ id: 'c' })];
  const plan = schedule(nodes, makeTasks(6));
  assert.deepEqual(perNode(plan), { a: 2, b: 2, c: 2 });
  assert.equal(plan.unplaced.length, 0);
});

test('new placements even out an existing skew of the same service first', () => {
  const nodes = [makeNode({ id: 'a', activeTasks: 3, tasksByService: new Map([['svc', 3]]) }), makeNode({ id: 'b', activeTasks: 5, tasksByService: new Map([['other', 5]]) }), makeNode({ id: 'c' })];
  const plan = schedule(nodes, makeTasks(5));
  assert.deepEqual(perNode(plan), { b: 2, c: 3 });
});

test('equal inputs give equal plans', () => {
  const nodes = [makeNode({ id: 'x' }), makeNode({ id: 'y' })];
  const tasks = makeTasks(3);
  assert.deepEqual(schedule(nodes, tasks), schedule(nodes, tasks));
});

test('down, paused and drained nodes are skipped, with a reason when nothing fits', () => {
  const nodes = [makeNode({ id: 'a', status: 'down' }), makeNode({ id: 'b', availability: 'drain' })];
  const plan = schedule(nodes, makeTasks(1));
  assert.equal(plan.placements.length, 0);
  assert.equal(plan.unplaced[0].reason, 'no suitable node (2 nodes not ready)');
  assert.equal(schedule([], makeTasks(1)).unplaced[0].reason, 'no suitable node (no nodes in the cluster)');
  const mixed = schedule([makeNode({ id: 'a', status: 'down' }), makeNode({ id: 'ok' })], makeTasks(2));
  assert.deepEqual(perNode(mixed), { ok: 2 });
});

test('a published host port goes to one task per node; the rest wait with the reason', () => {
  const nodes = [makeNode({ id: 'a' }), makeNode({ id: 'b', usedPorts: new Set(['tcp/9090']) })];
  const tasks = makeTasks(3, 'web').map((t) => ({ ...t, ports: ['tcp/8080'] }));
  const plan = schedule(nodes, tasks);
  assert.deepEqual(plan.placements.map((p) => p.nodeId).sort(), ['a', 'b']);
  assert.equal(plan.unplaced.length, 1);
  assert.match(plan.unplaced[0].reason, /2 nodes have the published port in use/);
  const udp = schedule([makeNode({ usedPorts: new Set(['tcp/8080']) })], [{ ...makeTasks(1, 'dns')[0], ports: ['udp/8080'] }]);
  assert.equal(udp.placements.length, 1, 'the same number on another protocol is free');
});

test('a port published on any host port gets the lowest free one on its node, never one held there', () => {
  const nodes = [makeNode({ id: 'a', usedPorts: new Set(['tcp/32768']) })];
  const tasks = makeTasks(2, 'web').map((t) => ({ ...t, ports: ['tcp/9000'], published: ['9000:90/tcp', '0:80/tcp', '0:53/udp'] }));
  const plan = schedule(nodes, tasks);
  assert.deepEqual(
    plan.placements.map((p) => p.ports),
    [['9000:90/tcp', '32769:80/tcp', '32768:53/udp']],
  );
  assert.equal(plan.unplaced.length, 1, 'the second task needs 9000 too: it cannot be placed here');
  const two = schedule(
    nodes,
    makeTasks(2, 'any').map((t) => ({ ...t, published: ['0:80/tcp'] })),
  );
  assert.deepEqual(
    two.placements.map((p) => p.ports),
    [['32769:80/tcp'], ['32770:80/tcp']],
    'each task its own port',
  );
});

test("local volumes: a volume's tasks go to the node holding it, wait when it is down, and a new volume is held where its first task goes", () => {
  const nodes = [makeNode({ id: 'a' }), makeNode({ id: 'b' }), makeNode({ id: 'c', status: 'down' })];
  const held = new Map([['db', 'c']]);
  const plan = schedule(
    nodes,
    [
      ...makeTasks(2, 'web').map((t, i) => ({ ...t, id: `web-${i}`, volumes: ['fresh'] })),
      { ...makeTasks(1, 'db')[0], id: 'db-0', volumes: ['db'] },
      { ...makeTasks(1, 'peek')[0], id: 'peek-0', pinnedNode: 'b' },
      { ...makeTasks(1, 'both')[0], id: 'both-0', pinnedNode: 'a', volumes: ['db'] },
    ],
    undefined,
    held,
  );
  const web = plan.placements.filter((p) => p.taskId.startsWith('web'));
  assert.equal(web.length, 2);
  assert.equal(web[0].nodeId, web[1].nodeId, 'both tasks of the new volume on one node');
  assert.deepEqual(web[0].pins, ['fresh']);
  assert.equal(held.has('fresh'), false, "the caller's map is left as it was; the pin is in the plan");
  assert.equal(plan.placements.find((p) => p.taskId.startsWith('peek'))?.nodeId, 'b');
  const why = new Map(plan.unplaced.map((u) => [u.taskId.replace(/-.*/, ''), u.reason]));
  assert.match(why.get('db') ?? '', /2 nodes are not the node holding volume db \(h\d+\), 1 node not ready/);
  assert.match(why.get('both') ?? '', /different nodes \(h\d+, h\d+\)/);
});

test('schedule leaves its arguments as they were; what changes is in the plan', () => {
  const nodes = [makeNode({ id: 'a', activeTasks: 1, tasksByService: new Map([['web', 1]]), usedPorts: new Set(['tcp/8080']) }), makeNode({ id: 'b' })];
  const tasks = makeTasks(3, 'web').map((t, i) => ({ ...t, published: ['0:80/tcp'], ...(i === 0 ? { volumes: ['fresh'] } : {}) }));
  const held = new Map([['db', 'b']]);
  const before = structuredClone({ nodes, tasks, held });
  const plan = schedule(nodes, tasks, undefined, held);
  assert.deepEqual({ nodes, tasks, held }, before);
  assert.equal(plan.placements.length, 3);
  assert.deepEqual(plan.placements.find((p) => p.pins)?.pins, ['fresh']);
});
