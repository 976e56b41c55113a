// CRI log parsing specs: records, partial lines, tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCriLine, readLogs } from './logs.js';

test('a CRI record parses into time, stream, tag and text', () => {
  assert.deepEqual(parseCriLine('2026-11-22T09:42:24.802612404+00:00 stderr F err x'), { timeMs: Date.parse('2026-11-22T09:42:24.802612404+00:00'), stream: 'stderr', partial: false, text: 'err x' });
  assert.equal(parseCriLine('garbage'), undefined);
});

test('partial records join; tail keeps the last lines', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'logs-'));
  try {
    const f = path.join(dir, 'ctr.log');
    const ts = '2026-11-22T00:00:00.000000000+00:00';
    await writeFile(f, [`${ts} stdout P hel`, `${ts} stdout F lo`, `${ts} stdout F two`, `${ts} stderr F three`, ''].join('\n'));
    const all: string[] = [];
    for await (const l of readLogs(f, { follow: false, tail: -1 }, async () => true)) all.push(`${l.stream}:${l.text}`);
    assert.deepEqual(all, ['stdout:hello', 'stdout:two', 'stderr:three']);
    const last: string[] = [];
    for await (const l of readLogs(f, { follow: false, tail: 1 }, async () => true)) last.push(l.text);
    assert.deepEqual(last, ['three']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
