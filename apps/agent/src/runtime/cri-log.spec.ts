// CRI log record specs: parsing, splitting a byte stream into records, joining P pieces into lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineAssembler, parseCriLine, RecordSplitter } from './cri-log.js';

const TS = '2026-11-22T09:42:24.802612404+00:00';
const rec = (stream: string, tag: string, text: string | Buffer) => Buffer.concat([Buffer.from(`${TS} ${stream} ${tag} `), Buffer.from(text)]);

test('a CRI record parses into time, stream, tag and bytes; garbage is not a record', () => {
  assert.deepEqual(parseCriLine(`${TS} stderr F err x`), { timeMs: Date.parse(TS), stream: 'stderr', partial: false, text: Buffer.from('err x') });
  assert.equal(parseCriLine(`${TS} stdout P abc`)?.partial, true);
  assert.deepEqual(parseCriLine(`${TS} stdout F `)?.text, Buffer.alloc(0), 'an empty line');
  assert.deepEqual(parseCriLine(`${TS} stdout F`)?.text, Buffer.alloc(0), 'an empty line without the separator');
  assert.equal(parseCriLine('garbage'), undefined);
  assert.equal(parseCriLine('notatime stdout F x'), undefined);
});

test('RecordSplitter: records cut across reads come out whole; an unterminated tail only at end()', () => {
  const s = new RecordSplitter();
  assert.deepEqual(s.push(Buffer.from('one\ntw')).map(String), ['one']);
  assert.deepEqual(s.push(Buffer.from('o\nthr')).map(String), ['two']);
  assert.deepEqual(s.push(Buffer.from('ee')).map(String), []);
  assert.deepEqual(s.end().map(String), ['three']);
  assert.deepEqual(s.end(), []);
});

test('P pieces join into the line their F ends, per stream, without added newlines', () => {
  const a = new LineAssembler();
  assert.equal(a.push(parseCriLine(rec('stdout', 'P', 'hel'))!), undefined);
  assert.equal(a.push(parseCriLine(rec('stderr', 'P', 'e1'))!), undefined);
  assert.deepEqual(a.push(parseCriLine(rec('stdout', 'F', 'lo'))!), { timeMs: Date.parse(TS), stream: 'stdout', text: 'hello', partial: false });
  assert.deepEqual(a.push(parseCriLine(rec('stderr', 'F', ''))!)?.text, 'e1');
  assert.deepEqual(a.flush(true), []);
});

test('a trailing piece (printf abc) is flushed as a partial line; non-final flushes hand out each piece once', () => {
  const a = new LineAssembler();
  a.push(parseCriLine(rec('stdout', 'P', 'abc'))!);
  assert.deepEqual(
    a.flush(false).map((l) => [l.text, l.partial]),
    [['abc', true]],
  );
  assert.deepEqual(a.flush(false), [], 'already handed out');
  a.push(parseCriLine(rec('stdout', 'P', 'de'))!);
  assert.deepEqual(
    a.flush(true).map((l) => [l.text, l.partial]),
    [['de', true]],
  );
});

test('a UTF-8 character split across pieces is never mangled', () => {
  const e = Buffer.from('é'); // two bytes
  const a = new LineAssembler();
  a.push(parseCriLine(rec('stdout', 'P', Buffer.concat([Buffer.from('caf'), e.subarray(0, 1)])))!);
  assert.deepEqual(
    a.flush(false).map((l) => l.text),
    ['caf'],
    'the half character waits',
  );
  assert.deepEqual(a.push(parseCriLine(rec('stdout', 'F', e.subarray(1)))!)?.text, 'é');
});
