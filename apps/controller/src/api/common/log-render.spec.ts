// LogRenderer specs: one task's output byte for byte (partial lines without an added newline);
// prefixed tasks interleaved with each line starting with its own prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from '#libs/proto/messages.js';
import { LogRenderer } from './log-render.js';

const line = (text: string, partial = false, stream = 'stdout'): LogLine => ({ timeMs: 0, stream, text, partial });

test('one task: lines get their newline, a partial line none, and its rest joins it', () => {
  const r = new LogRenderer();
  const out = [line('line1'), line('par', true), line('tial'), line('abc', true)].map((l) => r.render('t1', '', l)).join('');
  assert.equal(out, 'line1\npartial\nabc');
});

test('one task: stderr between pieces of a stdout line is written as it came', () => {
  const r = new LogRenderer();
  const out = [line('ab', true), line('err', false, 'stderr'), line('c')].map((l) => r.render('t1', '', l)).join('');
  assert.equal(out, 'aberr\nc\n');
});

test('prefixed: a partial last line stays unterminated; another task breaks an open line before its prefix', () => {
  const r = new LogRenderer();
  const out = [
    r.render('t1', 'web.1 | ', line('hel', true)),
    r.render('t1', 'web.1 | ', line('lo')),
    r.render('t1', 'web.1 | ', line('wait', true)),
    r.render('t2', 'web.2 | ', line('other')),
    r.render('t1', 'web.1 | ', line('ing')),
    r.render('t2', 'web.2 | ', line('end', true)),
  ].join('');
  assert.equal(out, 'web.1 | hello\nweb.1 | wait\nweb.2 | other\nweb.1 | ing\nweb.2 | end');
});

test('timestamps: each line starts, after its prefix, with the time it was written; a partial line’s rest gets none', () => {
  const r = new LogRenderer(true);
  const at = (text: string, timeMs: number, partial = false): LogLine => ({ timeMs, stream: 'stdout', text, partial });
  const out = [at('hel', Date.UTC(2026, 11, 2, 10, 0, 0, 5), true), at('lo', Date.UTC(2026, 11, 2, 10, 0, 1)), at('next', Date.UTC(2026, 11, 2, 10, 0, 2))]
    .map((l) => r.render('t1', 'web.1 | ', l))
    .join('');
  assert.equal(out, 'web.1 | 2026-12-02T10:00:00.005Z hello\nweb.1 | 2026-12-02T10:00:02.000Z next\n');
});
