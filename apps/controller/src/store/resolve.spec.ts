// resolveRef specs: full id before name before a unique id prefix, as docker resolves references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmbiguousError, NotFoundError, resolveRef } from './resolve.js';

const rows = [
  { id: 'abc123', name: 'web' },
  { id: 'abd456', name: 'abc123x' },
  { id: 'ffff00', name: 'abc123' },
];
const exact = async (r: string) => rows.filter((x) => x.id === r || x.name === r);
const byPrefix = async (p: string) => rows.filter((x) => x.id.startsWith(p)).slice(0, 2);
const resolve = (ref: string) => resolveRef('thing', ref, exact, byPrefix);

test('a full id wins over another row named like it', async () => {
  assert.equal((await resolve('abc123')).id, 'abc123');
});

test('a name, then a unique id prefix', async () => {
  assert.equal((await resolve('web')).id, 'abc123');
  assert.equal((await resolve('ff')).id, 'ffff00');
});

test('an ambiguous prefix, an unknown, an empty or an overlong reference are errors', async () => {
  await assert.rejects(resolve('ab'), AmbiguousError);
  await assert.rejects(resolve('zz'), NotFoundError);
  await assert.rejects(resolve(''), NotFoundError);
  await assert.rejects(resolve('a'.repeat(129)), NotFoundError);
});
