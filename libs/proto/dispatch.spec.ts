// dispatchMessage specs: the handler for the set case runs; a message with no case is ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatchMessage, type MessageHandlers } from './dispatch.js';
import type { AgentMessage } from './messages.js';

const seen: string[] = [];
const handlers: MessageHandlers<AgentMessage, string> = {
  hello: (h) => `hello from ${h.description?.hostname}`,
  heartbeat: () => 'heartbeat',
  statuses: (b) => `${b.statuses.length} statuses`,
  log: (c) => `log ${c.requestId}`,
  buildOutput: () => 'build',
  pullProgress: () => 'pull',
  pruneResult: () => 'prune',
  volumeRemoveResult: () => 'volume-rm',
  nodeUpdate: (d) => (seen.push(d.hostname), 'node'),
};

test('the handler of the case a message carries gets that case', () => {
  assert.equal(dispatchMessage(handlers, { msg: 'statuses', statuses: { statuses: [] } }), '0 statuses');
  assert.equal(dispatchMessage(handlers, { msg: 'heartbeat', heartbeat: {} }), 'heartbeat');
  assert.equal(dispatchMessage(handlers, { msg: 'log', log: { requestId: 'r1', lines: [], eof: true, error: '' } }), 'log r1');
});

test('a message with no case set (one only a newer peer knows) runs no handler', () => {
  assert.equal(dispatchMessage(handlers, {}), undefined);
  assert.deepEqual(seen, []);
});
