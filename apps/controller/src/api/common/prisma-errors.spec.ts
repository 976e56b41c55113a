// inputErrorOf: database errors caused by the request's input are 4xx; unavailableErrorOf: a database away or saturated is 503.
// Both for Prisma's errors and for node-postgres's (the statements a store sends itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inputErrorOf, unavailableErrorOf } from './prisma-errors.js';

const known = (code: string, pg?: string) =>
  Object.assign(new Error('Invalid `prisma.volume.findUnique()` invocation: ...'), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: pg ? { driverAdapterError: { cause: { originalCode: pg, originalMessage: 'invalid byte sequence for encoding "UTF8": 0x00' } } } : {},
  });

test('data exceptions from Postgres are 400 without the query text', () => {
  const e = inputErrorOf(known('P2039', '22021'))!;
  assert.equal(e.status, 400);
  assert.match(e.message, /cannot be stored \(invalid byte sequence/);
  assert.doesNotMatch(e.message, /prisma|invocation/);
  assert.equal(inputErrorOf(known('P2000'))?.status, 400, 'value too long for its column');
});

test('duplicates, missing rows and wrong types map to 409, 404 and 400', () => {
  assert.equal(inputErrorOf(known('P2002'))?.status, 409);
  assert.equal(inputErrorOf(known('P2025'))?.status, 404);
  assert.equal(inputErrorOf(Object.assign(new Error('x'), { name: 'PrismaClientValidationError' }))?.status, 400);
});

test('server-side failures are not input errors', () => {
  assert.equal(inputErrorOf(known('P1001')), undefined, 'database unreachable');
  assert.equal(inputErrorOf(known('P2039', '53300')), undefined, 'too many connections');
  assert.equal(inputErrorOf(new TypeError('x is not iterable')), undefined);
  assert.equal(inputErrorOf(null), undefined);
});

test('a database that is away or saturated is unavailable (503), not a server fault', () => {
  assert.match(unavailableErrorOf(known('P2028'))!, /too busy/, 'no transaction could start in time');
  assert.match(unavailableErrorOf(known('P2024'))!, /too busy/, 'no pooled connection in time');
  assert.match(unavailableErrorOf(known('P1001'))!, /unreachable/);
  assert.equal(unavailableErrorOf(known('P2002')), undefined);
  assert.equal(unavailableErrorOf(new TypeError('x')), undefined);
});

/** A node-postgres error from the server, shaped as pg-protocol's DatabaseError. */
const fromServer = (code: string) => Object.assign(new Error('duplicate key value violates unique constraint "Container_name_key"'), { name: 'error', severity: 'ERROR', code });

test('node-postgres errors: input problems are 4xx, a database away or full is 503, the rest 500', () => {
  assert.equal(inputErrorOf(fromServer('23505'))?.status, 409);
  assert.equal(inputErrorOf(fromServer('22P02'))?.status, 400);
  assert.doesNotMatch(inputErrorOf(fromServer('22P02'))!.message, /constraint/);
  for (const code of ['57P01', '57P03', '08006', '53300']) assert.ok(unavailableErrorOf(fromServer(code)), code);
  assert.ok(unavailableErrorOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })));
  assert.ok(unavailableErrorOf(new Error('Connection terminated unexpectedly')));
  assert.equal(unavailableErrorOf(fromServer('42P01')), undefined, "a missing table is the server's fault");
  assert.equal(inputErrorOf(fromServer('42P01')), undefined);
  assert.equal(unavailableErrorOf(Object.assign(new Error('x'), { code: 'P2002' })), undefined, 'a Prisma code is not a SQLSTATE');
});
