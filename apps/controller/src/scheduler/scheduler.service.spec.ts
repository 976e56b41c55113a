// SchedulerService specs: concurrent calls on one replica share passes instead of each holding a connection on the lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerService } from './scheduler.service.js';
import type { NodeStore, TaskStore, VolumeStore } from '../store/store.module.js';
import type { NodeRouter } from '../dispatcher/node-router.js';

/** A scheduler over fake stores: each pass takes 20 ms in the lock and finds `waiting()` tasks and no nodes. */
function fakeScheduler(waiting: () => number) {
  const seen = { passes: 0, inLock: 0, maxInLock: 0 };
  const tx = { task: {} };
  const tasks = {
    async withLock<T>(_key: string, fn: (tx: unknown) => Promise<T>): Promise<T> {
      seen.passes++;
      seen.maxInLock = Math.max(seen.maxInLock, ++seen.inLock);
      try {
        await new Promise((r) => setTimeout(r, 20));
        return await fn(tx);
      } finally {
        seen.inLock--;
      }
    },
    async unplaced() { return Array.from({ length: waiting() }, () => ({})); },
    async activeCounts() { return []; },
    async publishedPorts() { return []; },
    async markPending() {},
  };
  const s = new SchedulerService({ list: async () => [] } as unknown as NodeStore, tasks as unknown as TaskStore, { byNames: async () => [] } as unknown as VolumeStore, {} as NodeRouter);
  return { s, seen };
}

test('50 concurrent scheduleAll calls run at most two passes, one at a time', async () => {
  const { s, seen } = fakeScheduler(() => 0);
  await Promise.all(Array.from({ length: 50 }, () => s.scheduleAll()));
  assert.equal(seen.maxInLock, 1);
  assert.ok(seen.passes <= 2, `${seen.passes} passes`);
});

test('a call made while a pass runs gets a pass that starts after it', async () => {
  const { s, seen } = fakeScheduler(() => 0);
  const first = s.scheduleAll();
  await new Promise((r) => setTimeout(r, 5));
  const second = s.scheduleAll();
  await first;
  assert.equal(seen.passes, 1);
  await second;
  assert.equal(seen.passes, 2);
  await s.scheduleAll();
  assert.equal(seen.passes, 3);
});
