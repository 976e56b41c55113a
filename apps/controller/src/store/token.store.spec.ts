// TokenStore specs: a valid API token is remembered for API_TOKEN_CACHE_MS, an unknown one never is.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_TOKEN_CACHE_MS, TokenStore, sha256 } from './token.store.js';
import type { PrismaService } from './prisma.service.js';

/** A database of token hashes that counts the queries it answers. */
function fakeDb() {
  const hashes = new Set<string>();
  const db = {
    queries: 0,
    hashes,
    apiToken: {
      count: async ({ where }: { where: { tokenHash: string } }) => {
        db.queries++;
        await new Promise((r) => setImmediate(r));
        return hashes.has(where.tokenHash) ? 1 : 0;
      },
    },
  };
  return db;
}

beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

test('a deleted token keeps working until the cache lapses, then fails', async () => {
  const db = fakeDb();
  const store = new TokenStore(db as unknown as PrismaService);
  db.hashes.add(sha256('t1'));
  assert.equal(await store.apiTokenValid('t1'), true);
  db.hashes.delete(sha256('t1'));
  mock.timers.tick(API_TOKEN_CACHE_MS - 1);
  assert.equal(await store.apiTokenValid('t1'), true);
  assert.equal(db.queries, 1, 'answered from the cache');
  mock.timers.tick(1);
  assert.equal(await store.apiTokenValid('t1'), false);
  assert.equal(await store.apiTokenValid('t1'), false);
  assert.equal(db.queries, 3, 'a token found invalid is asked for again');
});

test('an unknown token is not remembered: once added it works at once', async () => {
  const db = fakeDb();
  const store = new TokenStore(db as unknown as PrismaService);
  assert.equal(await store.apiTokenValid('t2'), false);
  db.hashes.add(sha256('t2'));
  assert.equal(await store.apiTokenValid('t2'), true);
});

test('concurrent requests with one token make one query', async () => {
  const db = fakeDb();
  const store = new TokenStore(db as unknown as PrismaService);
  db.hashes.add(sha256('t3'));
  const answers = await Promise.all(Array.from({ length: 50 }, () => store.apiTokenValid('t3')));
  assert.ok(answers.every(Boolean));
  assert.equal(db.queries, 1);
});
