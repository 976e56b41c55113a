// Hostile REST input (issue 11, finding 6) on the real Postgres: deeply nested, oversized and
// NUL-carrying bodies, NUL / control / overlong path parameters and query values, null for
// optional fields, and the registry token endpoint without a form: each is a 4xx in the API's
// error shape naming the field and the reason, never a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { controllerApp } from '../fixtures/controller-app.js';

const ctl = controllerApp('api-input-token-0123456789');

function assertError(r: request.Response, status: number, field: string, reason: RegExp, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.error?.code, 'string', what);
  assert.ok(Array.isArray(r.body.error.details), what);
  if (field) assert.equal(r.body.error.details[0]?.field, field, `${what}: ${JSON.stringify(r.body)}`);
  assert.match(r.body.error.message, reason, what);
}

test('a deeply nested body is a 400 on every route that takes one', async () => {
  const deepArray = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
  const deepObject = `{"name":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
  for (const [method, path] of [
    ['post', '/services'],
    ['post', '/volumes'],
    ['patch', '/services/x'],
    ['put', '/registry/credentials'],
    ['post', '/registry/token'],
  ] as const) {
    for (const body of [deepArray, deepObject]) {
      const r = await request(ctl.server)[method](`/api${path}`).set(ctl.auth).set('content-type', 'application/json').send(body);
      assertError(r, 400, '', /nests deeper than 32 levels/, `${method} ${path}`);
    }
  }
});

test('bodies too large, too many values, with NUL or unpaired surrogates are 4xx naming the field', async () => {
  const big = await request(ctl.server)
    .post('/api/volumes')
    .set(ctl.auth)
    .set('content-type', 'application/json')
    .send(`{"name":"${'x'.repeat(1_100_000)}"}`);
  assertError(big, 413, '', /larger than 1mb/, 'over the size limit');
  const many = await request(ctl.server)
    .post('/api/services')
    .set(ctl.auth)
    .send({ name: 'web', image: 'busybox', replicas: 1, command: Array.from({ length: 20_000 }, (_, i) => String(i)) });
  assertError(many, 400, 'body', /more than 10000 values/, 'too many values');
  const nul = await request(ctl.server)
    .post('/api/services')
    .set(ctl.auth)
    .send({ name: 'web', image: 'busybox', replicas: 1, env: ['A=1', 'B=\u0000'] });
  assertError(nul, 400, 'env[1]', /NUL/, 'NUL in a string');
  const key = await request(ctl.server)
    .post('/api/volumes')
    .set(ctl.auth)
    .send({ name: 'v', labels: { 'a\u0000': 'x' } });
  assertError(key, 400, 'labels.a\u0000', /key that contains a NUL/, 'NUL in a key');
  const surrogate = await request(ctl.server).post('/api/volumes').set(ctl.auth).set('content-type', 'application/json').send('{"name":"a\\ud800"}');
  assertError(surrogate, 400, 'name', /unpaired surrogate/, 'unpaired surrogate');
});

test('path parameters and query values with NUL, control characters or overlong are 400 naming them', async () => {
  const cases: Array<['get' | 'delete', string, string, RegExp]> = [
    ['get', '/volumes/%00', 'name', /NUL/],
    ['get', '/networks/%00', 'ref', /NUL/],
    ['delete', '/registry/credentials/%00', 'registry', /NUL/],
    ['delete', '/registry/users/a%00', 'name', /NUL/],
    ['get', '/volumes/a%0Ab', 'name', /control character \(U\+000A\)/],
    ['get', '/networks/%C2%85', 'ref', /control character \(U\+0085\)/],
    ['get', `/volumes/${'a'.repeat(600)}`, 'name', /longer than 512/],
    ['get', '/tasks?service=%00', 'service', /NUL/],
    ['get', '/tasks?node=a&node=b', 'node', /given once/],
    ['get', '/containers?all=1&all=0', 'all', /given once/],
  ];
  for (const [method, path, field, reason] of cases) assertError(await request(ctl.server)[method](`/api${path}`).set(ctl.auth), 400, field, reason, `${method} ${path}`);
  assert.equal((await request(ctl.server).get('/api/volumes/%E2%82').set(ctl.auth)).status, 400, 'invalid UTF-8 in a path');
  assert.equal((await request(ctl.server).get('/api/volumes/nope').set(ctl.auth)).status, 404, 'a plain name still reaches the route');
});

test('null for an optional field is refused, not passed on', async () => {
  for (const field of ['volumesFrom', 'mounts', 'command', 'env', 'networks']) {
    const r = await request(ctl.server)
      .post('/api/containers')
      .set(ctl.auth)
      .send({ image: 'busybox', name: 'c1', [field]: null });
    assertError(r, 400, field, new RegExp(field), `${field}: null`);
  }
});

test('the registry token endpoint answers 400 to an empty, non-form or repeated-field body', async () => {
  const empty = await request(ctl.server).post('/api/registry/token');
  assertError(empty, 400, 'body', /must be a form/, 'no body');
  const text = await request(ctl.server).post('/api/registry/token').set('content-type', 'text/plain').send('grant_type=password');
  assertError(text, 400, 'body', /must be a form/, 'text/plain');
  const list = await request(ctl.server).post('/api/registry/token').set('content-type', 'application/json').send('[1]');
  assertError(list, 400, 'body', /must be a form/, 'a JSON array');
  const twice = await request(ctl.server).post('/api/registry/token').type('form').send('grant_type=password&username=a&username=b&password=x');
  assertError(twice, 400, 'username', /given once/, 'a repeated field');
  const nested = await request(ctl.server).post('/api/registry/token').type('form').send('grant_type=password&username[a]=b&password=x');
  assertError(nested, 400, 'username', /required/, 'forms are flat: username[a] is not username');
  const noUser = await request(ctl.server).post('/api/registry/token').type('form').send('grant_type=password&password=x');
  assertError(noUser, 400, 'username', /required/, 'no username');
  const bad = await request(ctl.server).post('/api/registry/token').type('form').send('grant_type=password&username=nobody&password=wrong-password');
  assert.equal(bad.status, 401, 'wrong credentials stay a 401');
});

test("a container's bad run options are a 400 naming the option, and good ones come back on the container", async () => {
  for (const [options, reason] of [
    [{ memory: 10 }, /options\.memory must be at least 6m/],
    [{ capAdd: ['NOPE'] }, /options\.capAdd: "NOPE" is not a capability/],
    [{ privileged: true }, /options\.privileged is not an option/],
    ['all', /options must be an object/],
  ] as const) {
    const r = await request(ctl.server).post('/api/containers').set(ctl.auth).send({ image: 'busybox', options });
    assertError(r, 400, 'options', reason, JSON.stringify(options));
  }
  const ok = await request(ctl.server)
    .post('/api/containers')
    .set(ctl.auth)
    .send({ image: 'busybox', name: 'with-options', options: { user: 'nobody', capDrop: ['net_raw'], labels: { tier: 'web' }, memory: 64 << 20 } })
    .expect(201);
  const want = { user: 'nobody', capDrop: ['CAP_NET_RAW'], labels: { tier: 'web' }, memory: 64 << 20 };
  assert.deepEqual([ok.body.options, ok.body.labels], [want, { tier: 'web' }]);
  const read = await request(ctl.server).get('/api/containers/with-options').set(ctl.auth).expect(200);
  assert.deepEqual(read.body.options, want);
});

test('name servers are refused on a user-defined network, whose own resolver answers', async () => {
  await request(ctl.server).post('/api/networks').set(ctl.auth).send({ name: 'dnsnet' }).expect(201);
  const r = await request(ctl.server)
    .post('/api/containers')
    .set(ctl.auth)
    .send({ image: 'busybox', networks: [{ name: 'dnsnet' }], options: { dns: ['10.53.0.1'] } });
  assertError(r, 400, 'options', /options\.dns: name servers are for the built-in networks/, 'dns on a user network');
  await request(ctl.server)
    .post('/api/containers')
    .set(ctl.auth)
    .send({ image: 'busybox', options: { dns: ['10.53.0.1'], extraHosts: ['db:10.0.0.5'], init: true, ulimits: [{ name: 'nofile', soft: 10, hard: 20 }] } })
    .expect(201);
});
