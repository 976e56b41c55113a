// Orchestrator plan specs: slots, scale up and down, node down, backoff, history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planService, restartDelayMs, KEEP_HISTORY, type SlotTask } from './plan.js';
import { TaskState } from '#libs/common';

let n = 0;
function task(slot: number, over: Partial<SlotTask> = {}): SlotTask {
  n++;
  return { id: `t${n}`, slot, desiredState: TaskState.RUNNING, state: TaskState.RUNNING, nodeDown: false, createdAt: n, statusAt: n, ...over };
}

test('empty service gets one task per slot', () => {
  assert.deepEqual(planService(3, [], 0), { create: [1, 2, 3], shutdown: [], remove: [] });
});

test('scale down shuts down tasks of slots above replicas', () => {
  const ts = [task(1), task(2), task(3), task(4)];
  const p = planService(2, ts, 100);
  assert.deepEqual(p.create, []);
  assert.deepEqual(p.shutdown.map((s) => s.id).sort(), [ts[2].id, ts[3].id].sort());
});

test('a task on a down node is replaced in its slot', () => {
  const ts = [task(1, { nodeDown: true }), task(2)];
  const p = planService(2, ts, 100);
  assert.deepEqual(p.create, [1]);
  assert.deepEqual(p.shutdown, [{ id: ts[0].id, message: 'node down' }]);
});

test('duplicates in a slot are shut down, newest kept', () => {
  const a = task(1);
  const b = task(1);
  const p = planService(1, [a, b], 100);
  assert.deepEqual(p.shutdown, [{ id: a.id, message: 'duplicate in slot' }]);
  assert.deepEqual(p.create, []);
});

test('failures back off exponentially before a restart', () => {
  assert.equal(restartDelayMs(1), 200);
  assert.equal(restartDelayMs(3), 800);
  assert.equal(restartDelayMs(100), 10_000);
  const failed = [
    task(1, { state: TaskState.REJECTED, desiredState: TaskState.SHUTDOWN, statusAt: 1000, createdAt: 1 }),
    task(1, { state: TaskState.FAILED, desiredState: TaskState.SHUTDOWN, statusAt: 2000, createdAt: 2 }),
  ];
  const early = planService(1, failed, 2100);
  assert.deepEqual(early.create, []);
  assert.equal(early.retryInMs, 300);
  assert.deepEqual(planService(1, failed, 2400).create, [1]);
});

test('a terminal task still desired running is marked shut down and replaced', () => {
  const done = task(1, { state: TaskState.COMPLETE, statusAt: 5 });
  const p = planService(1, [done], 1000);
  assert.deepEqual(p.shutdown, [{ id: done.id, message: 'replaced' }]);
  assert.deepEqual(p.create, [1]);
});

test('history keeps the newest terminal tasks per slot and drops removed slots', () => {
  const old = Array.from({ length: KEEP_HISTORY + 2 }, () => task(1, { state: TaskState.SHUTDOWN, desiredState: TaskState.SHUTDOWN }));
  const gone = task(2, { state: TaskState.SHUTDOWN, desiredState: TaskState.SHUTDOWN });
  const p = planService(1, [...old, gone, task(1)], 100);
  assert.deepEqual(p.remove.sort(), [old[0].id, old[1].id, gone.id].sort());
});
