// ports specs: random host ports are the lowest free one of RANDOM_PORTS, per protocol; a full range says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExhaustedError } from './errors.js';
import { hasFreePort, pickPort } from './ports.js';
import { RANDOM_PORTS } from '#libs/common';

const { first, last } = RANDOM_PORTS;

test('the lowest free port of the range, per protocol', () => {
  assert.equal(pickPort('tcp', new Set()), first);
  assert.equal(pickPort('tcp', new Set([`tcp/${first}`, `tcp/${first + 1}`])), first + 2);
  assert.equal(pickPort('udp', new Set([`tcp/${first}`])), first, 'the same number on another protocol is free');
  assert.equal(pickPort('tcp', new Set(['tcp/80', 'tcp/8080'])), first, 'ports outside the range do not matter');
});

test('a freed port is given again before any higher one; equal inputs give equal picks', () => {
  const used = new Set([`tcp/${first + 1}`, `tcp/${first + 2}`]);
  assert.equal(pickPort('tcp', used), first);
  assert.equal(pickPort('tcp', used), pickPort('tcp', used));
  assert.equal(used.size, 2, 'the used set is not changed');
});

test('a full range is an ExhaustedError; hasFreePort says so without throwing', () => {
  const full = new Set(Array.from({ length: last - first + 1 }, (_, i) => `tcp/${first + i}`));
  assert.throws(
    () => pickPort('tcp', full),
    (err: unknown) => err instanceof ExhaustedError && err.message === `no free tcp host port in ${first}-${last}`,
  );
  assert.equal(hasFreePort('tcp', full), false);
  assert.equal(hasFreePort('udp', full), true);
  full.delete(`tcp/${last}`);
  assert.equal(pickPort('tcp', full), last, 'the last port of the range is given');
});
