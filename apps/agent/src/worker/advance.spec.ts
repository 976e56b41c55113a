// advance() specs: the forward path, shutdown from any live state, terminal states stay put.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance } from './advance.js';
import { TaskState as S } from '#libs/common';

test('a running-desired task walks accept → prepare → start → wait', () => {
  assert.equal(advance(S.ASSIGNED, S.RUNNING), 'accept');
  assert.equal(advance(S.ACCEPTED, S.RUNNING), 'prepare');
  assert.equal(advance(S.PREPARING, S.RUNNING), 'prepare');
  assert.equal(advance(S.READY, S.RUNNING), 'start');
  assert.equal(advance(S.STARTING, S.RUNNING), 'start');
  assert.equal(advance(S.RUNNING, S.RUNNING), 'wait');
});

test('shutdown or remove stops any live task; terminal tasks never move', () => {
  for (const st of [S.ASSIGNED, S.PREPARING, S.RUNNING]) {
    assert.equal(advance(st, S.SHUTDOWN), 'stop');
    assert.equal(advance(st, S.REMOVE), 'stop');
  }
  for (const st of [S.COMPLETE, S.FAILED, S.REJECTED, S.SHUTDOWN]) assert.equal(advance(st, S.RUNNING), 'none');
});
