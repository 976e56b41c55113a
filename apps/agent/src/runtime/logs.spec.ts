// readLogs specs: a log file read back as exactly what the container wrote (partial lines
// included), tail, an unterminated record, and follow while a partial line is completed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LogLine } from '#libs/proto/messages.js';
import { readLogs } from './logs.js';

const TS = '2026-11-22T00:00:00.000000000+00:00';
const recs = (...r: string[]) => r.map((x) => `${TS} ${x}\n`).join('');
/** output: what a consumer prints — each line's text, with its newline unless it is partial. */
const output = (lines: LogLine[]) => lines.map((l) => l.text + (l.partial ? '' : '\n')).join('');

async function withLog(content: string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'logs-'));
  try {
    const f = path.join(dir, 'ctr.log');
    await writeFile(f, content);
    await fn(f);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function read(file: string, tail = -1, done = true): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of readLogs(file, { follow: false, tail }, async () => done)) out.push(l);
  return out;
}

test('partial records join; tail keeps the last lines', () =>
  withLog(recs('stdout P hel', 'stdout F lo', 'stdout F two', 'stderr F three'), async (f) => {
    assert.deepEqual(
      (await read(f)).map((l) => `${l.stream}:${l.text}`),
      ['stdout:hello', 'stdout:two', 'stderr:three'],
    );
    assert.deepEqual(
      (await read(f, 1)).map((l) => l.text),
      ['three'],
    );
  }));

test('printf abc: output without a final newline is kept, printed without one', () =>
  withLog(recs('stdout P abc'), async (f) => {
    const lines = await read(f);
    assert.deepEqual(
      lines.map((l) => [l.text, l.partial]),
      [['abc', true]],
    );
    assert.equal(output(lines), 'abc');
  }));

test('printf "line1\\npartial": both, the last without a newline; tail counts the partial line', () =>
  withLog(recs('stdout F line1', 'stdout P partial'), async (f) => {
    assert.equal(output(await read(f)), 'line1\npartial');
    assert.equal(output(await read(f, 1)), 'partial');
    assert.equal(output(await read(f, 2)), 'line1\npartial');
    assert.equal(output(await read(f, 0)), '');
  }));

test('a record the writer left without its newline counts once the container is gone, not before', () =>
  withLog(`${recs('stdout F one')}${TS} stdout F two`, async (f) => {
    assert.equal(output(await read(f, -1, true)), 'one\ntwo\n');
    assert.equal(output(await read(f, -1, false)), 'one\n', 'still running: the record may still grow');
  }));

test('follow: a partial line is handed out at once and its rest when it comes, nothing doubled or lost', () =>
  withLog(recs('stdout F first', 'stdout P par'), async (f) => {
    let done = false;
    const got: LogLine[] = [];
    const reading = (async () => {
      for await (const l of readLogs(f, { follow: true, tail: -1 }, async () => done)) got.push(l);
    })();
    const until = async (want: string) => {
      for (let i = 0; i < 100 && output(got) !== want; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(output(got), want);
    };
    await until('first\npar');
    await appendFile(f, recs('stdout P ti', 'stdout F al', 'stdout P end'));
    await until('first\npartial\nend');
    done = true;
    await reading;
    assert.equal(output(got), 'first\npartial\nend');
    assert.deepEqual(
      got.map((l) => [l.text, !!l.partial]),
      [
        ['first', false],
        ['par', true],
        ['tial', false],
        ['end', true],
      ],
    );
  }));

test('since keeps the lines written from then on, and tail counts among those', () =>
  withLog(['2026-11-22T00:00:01.000000000+00:00 stdout F one', '2026-11-22T00:00:02.000000000+00:00 stdout F two', '2026-11-22T00:00:03.000000000+00:00 stdout F three', ''].join('\n'), async (f) => {
    const since = async (sinceMs: number, tail = -1) => {
      const out: string[] = [];
      for await (const l of readLogs(f, { follow: false, tail, sinceMs }, async () => true)) out.push(l.text);
      return out;
    };
    assert.deepEqual(await since(Date.parse('2026-11-22T00:00:02Z')), ['two', 'three']);
    assert.deepEqual(await since(Date.parse('2026-11-22T00:00:01.5Z'), 1), ['three']);
    assert.deepEqual(await since(Date.parse('2026-11-22T00:00:09Z')), []);
    assert.deepEqual(await since(0, 2), ['two', 'three'], '0: every line');
  }));
