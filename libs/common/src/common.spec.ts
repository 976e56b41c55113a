// Tests for the shared task-state rules and image-reference parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskState, checkTransition, BackwardsTransitionError, isTerminal, taskStateName, parseTaskState, parseImageRef, formatImageRef, InvalidImageRefError } from './index.js';

test('task states move only forward and never leave a terminal state', () => {
  assert.equal(checkTransition(TaskState.ASSIGNED, TaskState.ACCEPTED), true);
  assert.equal(checkTransition(TaskState.RUNNING, TaskState.RUNNING), false);
  assert.throws(() => checkTransition(TaskState.RUNNING, TaskState.PREPARING), BackwardsTransitionError);
  assert.throws(() => checkTransition(TaskState.FAILED, TaskState.SHUTDOWN), BackwardsTransitionError);
  assert.equal(isTerminal(TaskState.RUNNING), false);
  assert.equal(isTerminal(TaskState.COMPLETE), true);
  assert.equal(taskStateName(TaskState.RUNNING), 'running');
  assert.equal(parseTaskState('Failed'), TaskState.FAILED);
  assert.equal(parseTaskState('bogus'), undefined);
});

test('image references resolve against the cluster registry like Docker Hub names', () => {
  assert.equal(formatImageRef(parseImageRef('busybox', 'reg:5000')), 'reg:5000/library/busybox:latest');
  assert.equal(formatImageRef(parseImageRef('team/app:1.2', 'reg:5000')), 'reg:5000/team/app:1.2');
  assert.equal(formatImageRef(parseImageRef('localhost:5000/app', 'reg:5000')), 'localhost:5000/library/app:latest');
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseImageRef(`10.0.0.1:5000/x/y@${d}`, 'r'), { registry: '10.0.0.1:5000', repository: 'x/y', tag: '', digest: d });
  for (const bad of ['', 'UPPER', 'a//b', 'a:bad tag', 'a@sha256:zz', 'x'.repeat(300)]) {
    assert.throws(() => parseImageRef(bad, 'r'), InvalidImageRefError, bad);
  }
});
