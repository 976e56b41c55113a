import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { bar, PullProgressView } from './progress.js';

test('bars fill with the bytes done', () => {
  assert.equal(bar(0, 100), `[>${' '.repeat(39)}] 0B/100B`);
  assert.equal(bar(50, 100), `[${'='.repeat(20)}>${' '.repeat(19)}] 50B/100B`);
  assert.equal(bar(100, 100), `[${'='.repeat(40)}] 100B/100B`);
  assert.equal(bar(5, 0), '');
});

test('without a terminal only phase changes are printed, one line each', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const v = new PullProgressView(out, true);
  const layer = `sha256:${'ab'.repeat(32)}`;
  v.update({ node: 'h1', layer, phase: 'downloading', current: 10, total: 2_000_000 });
  v.update({ node: 'h1', layer, phase: 'downloading', current: 20, total: 2_000_000 });
  v.update({ node: 'h1', layer, phase: 'done', current: 2_000_000, total: 2_000_000 });
  v.update({ node: 'h2', layer, phase: 'exists', current: 0, total: 0 });
  assert.deepEqual(text.trimEnd().split('\n'), [`h1: abababababab: Downloading [>${' '.repeat(39)}] 10B/2.0MB`, 'h1: abababababab: Pull complete', 'h2: abababababab: Already exists']);
});

test('on a terminal the block is redrawn in place', () => {
  const out = Object.assign(new PassThrough(), { isTTY: true });
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const v = new PullProgressView(out, false);
  v.update({ node: 'h1', layer: 'sha256:aaaa', phase: 'waiting', current: 0, total: 0 });
  v.update({ node: 'h1', layer: 'sha256:bbbb', phase: 'waiting', current: 0, total: 0 });
  assert.ok(text.endsWith('\x1b[1A\x1b[2Kaaaa: Waiting\n\x1b[2Kbbbb: Waiting\n'));
});
