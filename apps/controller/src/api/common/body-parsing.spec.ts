// bodyProblem: the check every parsed body passes before any route: depth, value count, text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyProblem, MAX_BODY_DEPTH } from './body-parsing.js';

test('ordinary bodies pass', () => {
  assert.equal(bodyProblem(undefined), undefined);
  assert.equal(bodyProblem({ name: 'web', env: ['A=1', 'B=line\nnext'], networks: [{ name: 'n', aliases: ['a'] }], labels: { ü: '名前 😀' } }), undefined);
});

test('deep nesting is found without recursion, at any depth', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  assert.deepEqual(bodyProblem(deep)?.[1], `nests deeper than ${MAX_BODY_DEPTH} levels`);
  let ok: unknown = 1;
  for (let i = 0; i < MAX_BODY_DEPTH; i++) ok = { a: ok };
  assert.equal(bodyProblem(ok), undefined, `${MAX_BODY_DEPTH} levels are allowed`);
  const path = bodyProblem({ a: { b: JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`) } })![0];
  assert.ok(path.startsWith('body.a.b[0]') && path.length < 200, path);
});

test('too many values, NUL, unpaired surrogates and control characters in keys are named', () => {
  assert.deepEqual(bodyProblem({ command: Array.from({ length: 20_000 }, () => 'x') }), ['body', 'holds more than 10000 values']);
  assert.deepEqual(bodyProblem({ env: ['A=1', 'B=\0'] }), ['body.env[1]', 'contains a NUL character']);
  assert.deepEqual(bodyProblem({ name: 'a\ud800' }), ['body.name', 'is not valid Unicode (an unpaired surrogate)']);
  assert.deepEqual(bodyProblem({ labels: { 'a\nb': 'x' } }), ['body.labels.a\nb', 'has a key that contains a control character (U+000A)']);
  assert.equal(bodyProblem({ name: '\ud83d\ude00' }), undefined, 'a surrogate pair is fine');
});
