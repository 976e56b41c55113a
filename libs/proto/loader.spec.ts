// Dispatcher contract specs: messages survive the wire as both sides decode them,
// and the generated types describe what the loader really hands out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOADER_OPTIONS, PROTO_ROOT, loadDispatcher } from './loader.js';
import type { AgentMessage, AgentMessageInput, ControllerMessage } from './messages.js';
import { TaskState as ProtoTaskState } from './generated/berth/agent/v1/TaskState.js';
import { TaskState } from '../common/src/index.js';

test("a log chunk's lines keep their text and partial flag on the wire (a line without a newline stays one)", () => {
  const session = loadDispatcher().service.Session;
  const sent: AgentMessageInput = {
    log: {
      requestId: 'r1',
      eof: true,
      error: '',
      lines: [
        { timeMs: 1, stream: 'stdout', text: 'line1', partial: false },
        { timeMs: 2, stream: 'stdout', text: 'partial', partial: true },
      ],
    },
  };
  const got: AgentMessage = session.requestDeserialize(session.requestSerialize(sent));
  assert.deepEqual(
    got.log?.lines.map((l) => [l.text, l.partial]),
    [
      ['line1', false],
      ['partial', true],
    ],
  );
});

test('a decoded message has every field: defaults filled in, unset sub-messages null, the oneof case named', () => {
  const session = loadDispatcher().service.Session;
  const got: ControllerMessage = session.responseDeserialize(session.responseSerialize({ assignments: { tasks: [{ id: 't1', networks: [{ name: 'n' }] }], sequence: 3 } }));
  assert.equal(got.msg, 'assignments');
  assert.equal(got.logRequest, undefined, 'the cases not set stay absent');
  const t = got.assignments!.tasks[0];
  assert.equal(t.pullAuth, null);
  assert.deepEqual([t.ports, t.mounts, t.name, t.desiredState, got.assignments!.overlays], [[], [], '', 0, []]);
  assert.deepEqual(t.networks[0], { name: 'n', aliases: [], ip: '', config: null });
});

test('the generated types are made with the loader options (generate.sh flags match LOADER_OPTIONS)', () => {
  const flags = readFileSync(path.join(PROTO_ROOT, 'generate.sh'), 'utf8');
  const has = (f: string) => new RegExp(`(^|\\s)${f}(\\s|$)`, 'm').test(flags);
  assert.equal(has('--keepCase'), !!LOADER_OPTIONS.keepCase);
  assert.equal(has('--longs=Number'), LOADER_OPTIONS.longs === Number);
  assert.equal(has('--enums=String'), LOADER_OPTIONS.enums === String);
  assert.equal(has('--defaults'), !!LOADER_OPTIONS.defaults);
  assert.equal(has('--oneofs'), !!LOADER_OPTIONS.oneofs);
});

test("the proto's TaskState is libs/common's", () => {
  assert.deepEqual(ProtoTaskState, TaskState);
});
