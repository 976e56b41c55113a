// Adapter specs: reading conmon's sync-pipe answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSyncMessage } from './adapter.js';

test("conmon sync-pipe answers: a pid, or runc's error text", () => {
  assert.deepEqual(parseSyncMessage('{"data": 4242}'), { pid: 4242, message: '' });
  const failed = parseSyncMessage(JSON.stringify({ data: -1, message: 'time="2026-11-22T11:10:13Z" level=error msg="runc create failed: \\"x\\" denied"\n' }));
  assert.deepEqual(failed, { pid: -1, message: 'runc create failed: "x" denied' });
  assert.equal(parseSyncMessage('garbage').pid, -1);
});
