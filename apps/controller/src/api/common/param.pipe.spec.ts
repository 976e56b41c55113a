// RequestTextPipe: one check of every path parameter and named query value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestTextPipe } from './param.pipe.js';
import { FieldValidationError } from './validation.js';

const pipe = new RequestTextPipe();
const reason = (value: unknown, type: 'param' | 'query', data = 'name'): string | undefined => {
  try {
    pipe.transform(value, { type, data });
    return undefined;
  } catch (err) {
    assert.ok(err instanceof FieldValidationError);
    assert.equal(err.details[0].field, data);
    return err.details[0].message;
  }
};

test('plain names, unicode and repository paths pass', () => {
  for (const v of ['web', 'library/busybox', 'ünï-名前-😀', '..', 'a'.repeat(512)]) assert.equal(reason(v, 'param'), undefined, v);
  assert.equal(reason(undefined, 'query'), undefined, 'an absent query value');
  assert.deepEqual(pipe.transform({ a: '\0' }, { type: 'body' }), { a: '\0' }, 'bodies are checked by the body parsing, not here');
});

test('NUL, control characters, unpaired surrogates, overlong and repeated values are refused', () => {
  assert.equal(reason('a\0b', 'param'), 'name: contains a NUL character');
  assert.equal(reason('a\tb', 'param'), 'name: contains a control character (U+0009)');
  assert.equal(reason('\u009b', 'param'), 'name: contains a control character (U+009B)');
  assert.equal(reason('\udc00', 'param'), 'name: is not valid Unicode (an unpaired surrogate)');
  assert.equal(reason('a'.repeat(513), 'param'), 'name: is longer than 512 characters');
  assert.equal(reason('x'.repeat(1025), 'query', 'service'), 'service: is longer than 1024 characters');
  assert.equal(reason(['1', '2'], 'query', 'all'), 'all: must be given once, as a plain value');
});
