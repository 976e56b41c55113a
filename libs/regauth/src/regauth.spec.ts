import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allows, formatScope, parseScope, parseScopes } from './scope.js';
import { exportSigningKey, fromJwk, importSigningKey, newSigningKey, signToken, toJwk, TokenError, verifyToken } from './token.js';

test('scopes parse as clients send them', () => {
  assert.deepEqual(parseScope('repository:library/busybox:pull,push'), { type: 'repository', name: 'library/busybox', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('repository(plugin):a/b:pull'), { type: 'repository', name: 'a/b', actions: ['pull'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('repository:nope'), undefined);
  assert.equal(parseScope('repository::pull'), undefined);
  assert.deepEqual(parseScopes(['repository:a:pull repository:b:push', 'bad']).map(formatScope), ['repository:a:pull', 'repository:b:push']);
  const granted = [
    { type: 'repository', name: 'a', actions: ['pull'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ];
  assert.ok(allows(granted, 'repository', 'a', 'pull'));
  assert.ok(!allows(granted, 'repository', 'a', 'push'));
  assert.ok(!allows(granted, 'repository', 'b', 'pull'));
  assert.ok(allows(granted, 'registry', 'catalog', 'list'));
  const any = [{ type: 'repository', name: '*', actions: ['pull'] }];
  assert.ok(allows(any, 'repository', 'whatever/repo', 'pull'));
  assert.ok(!allows(any, 'repository', 'whatever/repo', 'push'));
  assert.ok(!allows(any, 'registry', 'catalog', 'pull'));
});

test('tokens verify with the public key and carry their access', async () => {
  const k = await newSigningKey();
  const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];
  const { token } = await signToken(k.privateKey, k.kid, { iss: 'berth', sub: 'alice', aud: 'registry', ttlS: 300, access });
  const pub = await fromJwk(await toJwk(k.publicKey));
  const keyFor = async (kid: string) => (kid === k.kid ? pub : undefined);
  const claims = await verifyToken(token, keyFor, { iss: 'berth', aud: 'registry' });
  assert.equal(claims.sub, 'alice');
  assert.deepEqual(claims.access, access);
  await assert.rejects(verifyToken(token, keyFor, { iss: 'other', aud: 'registry' }), TokenError);
  await assert.rejects(verifyToken(token, keyFor, { iss: 'berth', aud: 'other' }), TokenError);
  const [h, b, s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims, access: [{ type: 'repository', name: 'team/app', actions: ['push'] }] })).toString('base64url');
  await assert.rejects(verifyToken(`${h}.${forged}.${s}`, keyFor, { iss: 'berth', aud: 'registry' }), /bad token signature/);
  await assert.rejects(verifyToken(`${h}.${b}`, keyFor, { iss: 'berth', aud: 'registry' }), /malformed/);
  const other = await newSigningKey();
  const { token: foreign } = await signToken(other.privateKey, other.kid, { iss: 'berth', sub: 'x', aud: 'registry', ttlS: 300, access });
  await assert.rejects(verifyToken(foreign, keyFor, { iss: 'berth', aud: 'registry' }), /unknown signing key/);
  const { token: old } = await signToken(k.privateKey, k.kid, { iss: 'berth', sub: 'alice', aud: 'registry', ttlS: -120, access });
  await assert.rejects(verifyToken(old, keyFor, { iss: 'berth', aud: 'registry' }), /expired/);
});

test('a stored signing key comes back with the same kid and still signs', async () => {
  const k = await newSigningKey();
  const back = await importSigningKey(await exportSigningKey(k.privateKey));
  assert.equal(back.kid, k.kid);
  const { token } = await signToken(back.privateKey, back.kid, { iss: 'i', sub: 's', aud: 'a', ttlS: 60, access: [] });
  assert.equal((await verifyToken(token, async () => k.publicKey, { iss: 'i', aud: 'a' })).sub, 's');
});
