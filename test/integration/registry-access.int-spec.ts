// The controller's registry access API and token endpoint on the real Postgres and Redis:
// users, grants, public repositories, tokens verified with the published JWKS, sealed credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import pg from 'pg';
import { controllerApp } from '../fixtures/controller-app.js';
import { PullAuthResolver } from '../../apps/controller/src/dispatcher/pull-auth.js';
import { fromJwk, verifyToken, type Jwk, type TokenClaims } from '#libs/regauth';

const TOKEN = 'registry-auth-token-0123456789';
const ctl = controllerApp(TOKEN);
const auth = ctl.auth;
const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

/** claimsOf verifies a token with the JWKS the registry would fetch. */
async function claimsOf(token: string): Promise<TokenClaims> {
  const jwks = (await request(ctl.server).get('/api/registry/jwks')).body as { keys: Jwk[] };
  const keys = new Map(await Promise.all(jwks.keys.map(async (k) => [k.kid, await fromJwk(k)] as const)));
  return verifyToken(token, async (kid) => keys.get(kid), { iss: 'berth-controller', aud: 'berth-registry' });
}

async function tokenFor(headers: Record<string, string>, ...scopes: string[]) {
  const q = new URLSearchParams([['service', 'berth-registry'] as [string, string], ...scopes.map((s): [string, string] => ['scope', s])]);
  return request(ctl.server).get(`/api/registry/token?${q}`).set(headers);
}

test('users: create, list without hashes, bad input names the field, duplicates conflict', async () => {
  assert.equal((await request(ctl.server).post('/api/registry/users').send({ name: 'alice', password: 'wonderland' })).status, 401, 'admin token required');
  const bad = await request(ctl.server).post('/api/registry/users').set(auth).send({ name: 'Alice!', password: 'short' });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), ['name', 'password']);
  assert.equal((await request(ctl.server).post('/api/registry/users').set(auth).send({ name: 'alice', password: 'wonderland' })).status, 201);
  assert.equal((await request(ctl.server).post('/api/registry/users').set(auth).send({ name: 'alice', password: 'wonderland' })).status, 409);
  const ls = await request(ctl.server).get('/api/registry/users').set(auth);
  assert.deepEqual(
    ls.body.map((u: { name: string }) => u.name),
    ['alice'],
  );
  assert.ok(!JSON.stringify(ls.body).includes('scrypt'));
});

test('tokens: anonymous pulls public repositories only; users get their grants; admins everything', async () => {
  const anon = await tokenFor({}, 'repository:team/app:pull');
  assert.equal(anon.status, 200);
  assert.deepEqual((await claimsOf(anon.body.token)).access, [], 'private by default');
  assert.equal((await request(ctl.server).put('/api/registry/repositories/team%2Fapp/visibility').set(auth).send({ visibility: 'public' })).status, 200);
  const anon2 = await tokenFor({}, 'repository:team/app:pull,push');
  assert.deepEqual((await claimsOf(anon2.body.access_token)).access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  assert.equal(anon2.body.expires_in, 300);

  const before = await tokenFor(basic('alice', 'wonderland'), 'repository:team/app:pull,push');
  assert.deepEqual((await claimsOf(before.body.token)).access[0]?.actions, ['pull']);
  assert.equal(
    (
      await request(ctl.server)
        .put('/api/registry/repositories/team%2Fapp/grants/alice')
        .set(auth)
        .send({ actions: ['push', 'pull'] })
    ).status,
    204,
  );
  const granted = await claimsOf((await tokenFor(basic('alice', 'wonderland'), 'repository:team/app:pull,push,delete', 'registry:catalog:*')).body.token);
  assert.equal(granted.sub, 'alice');
  assert.deepEqual(granted.access, [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);

  assert.deepEqual((await claimsOf((await tokenFor(basic('alice', 'wonderland'), 'repository:*:pull')).body.token)).access, [], 'no wildcard for users');
  assert.equal((await tokenFor(basic('alice', 'wrong-password'), 'repository:team/app:pull')).status, 401);
  assert.equal((await tokenFor(basic('nobody', 'wonderland'), 'repository:team/app:pull')).status, 401);
  assert.equal((await request(ctl.server).get('/api/registry/token?service=other')).status, 400);

  const admin = await claimsOf((await tokenFor(basic('admin', TOKEN), 'repository:x/y:push', 'registry:catalog:*')).body.token);
  assert.deepEqual(
    admin.access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`),
    ['repository:x/y:push', 'registry:catalog:*'],
  );

  const oauth = await request(ctl.server)
    .post('/api/registry/token')
    .type('form')
    .send({ grant_type: 'password', username: 'alice', password: 'wonderland', service: 'berth-registry', scope: 'repository:team/app:push' });
  assert.equal(oauth.status, 200);
  assert.equal(oauth.body.scope, 'repository:team/app:push');
  assert.equal((await request(ctl.server).post('/api/registry/token').type('form').send({ grant_type: 'refresh_token' })).status, 400);

  const repos = await request(ctl.server).get('/api/registry/repositories').set(auth);
  assert.deepEqual(repos.body, [{ name: 'team/app', visibility: 'public', grants: [{ user: 'alice', actions: ['push', 'pull'] }] }]);
  assert.equal((await request(ctl.server).put('/api/registry/repositories/Bad%20Name/visibility').set(auth).send({ visibility: 'public' })).status, 400);
  assert.equal((await request(ctl.server).put('/api/registry/repositories/team%2Fapp/visibility').set(auth).send({ visibility: 'open' })).status, 400);
  assert.equal(
    (
      await request(ctl.server)
        .put('/api/registry/repositories/team%2Fapp/grants/bob')
        .set(auth)
        .send({ actions: ['pull'] })
    ).status,
    404,
  );

  assert.equal((await request(ctl.server).delete('/api/registry/repositories/team%2Fapp/grants/alice').set(auth)).status, 204);
  assert.deepEqual((await claimsOf((await tokenFor(basic('alice', 'wonderland'), 'repository:team/app:push')).body.token)).access, []);
  assert.equal((await request(ctl.server).delete('/api/registry/users/alice').set(auth)).status, 204);
  assert.equal((await tokenFor(basic('alice', 'wonderland'), 'repository:team/app:pull')).status, 401, 'a removed user cannot log in');
});

test('credentials for other registries are stored sealed and listed without passwords', async () => {
  const bad = await request(ctl.server).put('/api/registry/credentials').set(auth).send({ registry: 'not a host', username: '', password: 'x' });
  assert.equal(bad.status, 400);
  assert.equal((await request(ctl.server).put('/api/registry/credentials').set(auth).send({ registry: 'registry.example:5000', username: 'bot', password: 'p4ssw0rd-secret' })).status, 204);
  const ls = await request(ctl.server).get('/api/registry/credentials').set(auth);
  assert.equal(ls.body[0].registry, 'registry.example:5000');
  assert.equal(ls.body[0].username, 'bot');
  assert.ok(!JSON.stringify(ls.body).includes('p4ssw0rd'));
  const c = new pg.Client({ connectionString: ctl.db.url });
  await c.connect();
  const rows = (await c.query(`SELECT secret FROM "RegistryCredential"`)).rows as Array<{ secret: string }>;
  await c.end();
  assert.ok(!rows[0].secret.includes('p4ssw0rd'), 'sealed at rest');
  assert.equal((await request(ctl.server).delete('/api/registry/credentials/registry.example:5000').set(auth)).status, 204);
  assert.equal((await request(ctl.server).delete('/api/registry/credentials/registry.example:5000').set(auth)).status, 404);
});

test('agents get a pull token for the cluster registry and stored credentials for others, per image', async () => {
  const resolver = ctl.app.get(PullAuthResolver, { strict: false });
  await request(ctl.server).put('/api/registry/credentials').set(auth).send({ registry: 'other.example', username: 'puller', password: 'pull-secret' }).expect(204);
  const own = '127.0.0.1:1/team/app:1';
  const got = await resolver.forImages([own, 'busybox', 'other.example/x/y:2', 'third.example/z:1', 'NOT A REF']);
  const tokenOwn = got.get(own)!;
  assert.deepEqual((await claimsOf(tokenOwn.bearerToken)).access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  assert.deepEqual((await claimsOf(got.get('busybox')!.bearerToken)).access[0]?.name, 'library/busybox', 'short names are the cluster registry');
  assert.deepEqual(got.get('other.example/x/y:2'), { username: 'puller', password: 'pull-secret', bearerToken: '' });
  assert.equal(got.has('third.example/z:1'), false);
  assert.equal(got.has('NOT A REF'), false);
});

test('builds: bad input is a 400 naming the field; with no ready node, 503', async () => {
  const bad = await request(ctl.server).post('/api/builds').set(auth).send({ context: 'nope', tag: 'a b', target: '-x', noCache: 'yes' });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), ['context', 'noCache', 'tag', 'target']);
  const ctx = `sha256:${'0'.repeat(64)}`;
  const other = await request(ctl.server).post('/api/builds').set(auth).send({ context: ctx, tag: 'elsewhere.example/x:1' });
  assert.equal(other.status, 400);
  assert.match(other.body.error.message, /cluster registry/);
  const args = await request(ctl.server)
    .post('/api/builds')
    .set(auth)
    .send({ context: ctx, tag: 'x:1', buildArgs: { 'BAD-NAME': 'v' } });
  assert.equal(args.status, 400);
  const none = await request(ctl.server).post('/api/builds').set(auth).send({ context: ctx, tag: 'x:1' });
  assert.equal(none.status, 503);
  assert.match(none.body.error.message, /no ready node/);
});
