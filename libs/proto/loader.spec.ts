// Dispatcher contract specs: messages survive the wire as both sides decode them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDispatcher } from './loader.js';
import type { AgentMessage } from './messages.js';

test("a log chunk's lines keep their text and partial flag on the wire (a line without a newline stays one)", () => {
  const session = loadDispatcher().service.Session!;
  const sent: AgentMessage = { log: { requestId: 'r1', eof: true, error: '', lines: [
    { timeMs: 1, stream: 'stdout', text: 'line1', partial: false }, { timeMs: 2, stream: 'stdout', text: 'partial', partial: true },
  ] } } as AgentMessage;
  const got = session.requestDeserialize(session.requestSerialize(sent)) as AgentMessage & { log: { lines: Array<{ text: string; partial: boolean }> } };
  assert.deepEqual(got.log.lines.map((l) => [l.text, l.partial]), [['line1', false], ['partial', true]]);
});
