// Handler table specs: each controller message reaches the handler of its kind, which answers on
// the stream and reaches the host only through the worker; stale assignment sets and unknown kinds are dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentMessage, ControllerMessage, TaskSpec } from '#libs/proto/messages.js';
import type { Worker } from '../worker/worker.js';
import { dispatchMessage } from '#libs/proto/dispatch.js';
import { controllerHandlers, type Stream } from './handlers.js';

/** message: a decoded controller message of one kind (the oneof case named in msg). */
const message = (kind: string, body: unknown) => ({ msg: kind, [kind]: body }) as unknown as ControllerMessage;

function setup() {
  const calls: string[] = [];
  const written: AgentMessage[] = [];
  const worker = {
    assign: async (tasks: TaskSpec[]) => void calls.push(`assign ${tasks.length}`),
    setOverlayPeers: async () => void calls.push('peers'),
    removeVolumes: async (names: string[]) => names,
    guardVipPool: async (pool: string) => void calls.push(`vip ${pool}`),
  } as unknown as Worker;
  let work = Promise.resolve();
  const stream: Stream = { write: (m) => void written.push(m), requests: new Map(), sequence: -1, accept: () => void calls.push('accept') };
  const table = controllerHandlers({ worker, log: () => {}, serially: (w) => void (work = work.then(w)) }, stream);
  const send = (m: ControllerMessage) => dispatchMessage(table, m);
  return { calls, written, send, settled: () => work.then(() => new Promise((r) => setImmediate(r))) };
}

test('accepted, assignments and volume removal go to their handlers; an older assignment set is dropped', async () => {
  const { calls, written, send, settled } = setup();
  send(message('accepted', { nodeId: 'n1', heartbeatPeriodMs: 500, vipPool: '10.9.0.0/16' }));
  send(message('assignments', { tasks: [], sequence: 2, overlays: [] }));
  send(message('assignments', { tasks: [{} as TaskSpec], sequence: 1, overlays: [] }));
  send(message('volumeRemoveRequest', { requestId: 'r1', names: ['v'], drivers: {} }));
  await settled();
  assert.deepEqual(calls, ['accept', 'vip 10.9.0.0/16', 'assign 0', 'peers']);
  assert.deepEqual(written, [{ volumeRemoveResult: { requestId: 'r1', removed: ['v'], error: '' } }]);
});

test('requests this agent does not serve are answered with an error; unknown kinds are ignored', async () => {
  const { written, send, settled } = setup();
  send(message('pruneRequest', { requestId: 'p1' }));
  send({ somethingNew: { x: 1 } } as unknown as ControllerMessage);
  await settled();
  assert.deepEqual(written, [{ pruneResult: { requestId: 'p1', removedImages: [], bytesFreed: 0, error: 'this agent does not prune on request' } }]);
});
