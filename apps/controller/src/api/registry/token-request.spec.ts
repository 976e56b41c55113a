// The token endpoint's inputs: the password grant's body and Basic credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnauthorizedException } from '@nestjs/common';
import { basicCredentials, parsePasswordGrant } from './token-request.js';
import { FieldValidationError } from '../common/validation.js';

const field = (body: unknown): string => {
  try {
    parsePasswordGrant(body);
    return '';
  } catch (err) {
    assert.ok(err instanceof FieldValidationError, String(err));
    return err.details[0].message;
  }
};

test('a form or JSON password grant is read, scopes may repeat', () => {
  assert.deepEqual(parsePasswordGrant({ grant_type: 'password', username: 'u', password: 'p', scope: ['repository:a:pull', 'repository:b:pull'], service: 'berth-registry' }), {
    username: 'u',
    password: 'p',
    service: 'berth-registry',
    scopes: ['repository:a:pull', 'repository:b:pull'],
  });
});

test('a missing or non-object body and bad fields are 400s naming the field', () => {
  for (const body of [undefined, null, 'grant_type=password', [1], 42]) assert.match(field(body), /^body: must be a form/);
  assert.match(field({ grant_type: 'refresh_token' }), /^grant_type: must be "password"/);
  assert.equal(field({ grant_type: 'password', password: 'p' }), 'username: is required');
  assert.equal(field({ grant_type: 'password', username: ['a', 'b'], password: 'p' }), 'username: must be given once');
  assert.equal(field({ grant_type: 'password', username: 'u', password: 1 }), 'password: must be a string');
  assert.match(field({ grant_type: 'password', username: 'u', password: 'p', scope: 'repository:a\0:pull' }), /^scope: contains a NUL/);
});

test('Basic credentials: absent is anonymous, malformed is 401', () => {
  assert.equal(basicCredentials(undefined), undefined);
  assert.deepEqual(basicCredentials(`Basic ${Buffer.from('u:p:q').toString('base64')}`), { username: 'u', password: 'p:q' });
  for (const h of ['Bearer x', `Basic ${Buffer.from('nocolon').toString('base64')}`, `Basic ${Buffer.from('a\0:p').toString('base64')}`]) {
    assert.throws(() => basicCredentials(h), UnauthorizedException, h);
  }
});
