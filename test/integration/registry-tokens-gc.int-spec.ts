// The registry process with token auth on (keys served by a JWKS endpoint in this test, tokens
// signed here as the controller would), and its garbage collection, over real HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startProcess, stopProcess, tail, type LabProcess } from '../lab/proc.js';
import { waitFor } from '../lab/sh.js';
import { REPO } from '../lab/lab.js';
import { newSigningKey, signToken, toJwk, type Access } from '#libs/regauth';

const PORT = 16000 + Math.floor(Math.random() * 90);
const base = `http://127.0.0.1:${PORT}`;
let dir: string;
let proc: LabProcess;
let jwks: Server;
let jwksUp = true;
let key: Awaited<ReturnType<typeof newSigningKey>>;
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function token(access: Access[], opts: { iss?: string; ttlS?: number } = {}): Promise<string> {
  return (await signToken(key.privateKey, key.kid, { iss: opts.iss ?? 'test-controller', sub: 'tester', aud: 'test-registry', ttlS: opts.ttlS ?? 300, access })).token;
}
const repo = (name: string, ...actions: string[]): Access => ({ type: 'repository', name, actions });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const errCode = async (r: Response) => ((await r.json()) as { errors: Array<{ code: string }> }).errors[0].code;

before(async () => {
  key = await newSigningKey();
  const body = JSON.stringify({ keys: [await toJwk(key.publicKey)] });
  jwks = createServer((_req, res) => {
    if (!jwksUp) return void res.writeHead(500).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`;
  dir = await mkdtemp(path.join(tmpdir(), 'registry-auth-'));
  proc = startProcess(
    'registry',
    'node',
    [
      path.join(REPO, 'dist/apps/registry/src/main.js'),
      '--listen',
      `127.0.0.1:${PORT}`,
      '--root',
      path.join(dir, 'root'),
      '--gc-grace',
      '2',
      '--auth-realm',
      'http://127.0.0.1:1/token',
      '--auth-service',
      'test-registry',
      '--auth-issuer',
      'test-controller',
      '--auth-jwks',
      jwksUrl,
    ],
    path.join(dir, 'log'),
  );
  await waitFor('registry', async () => (await fetch(`${base}/v2/`)).status === 401, 10_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${tail(proc)}`);
  });
});

after(async () => {
  await stopProcess(proc);
  jwks?.close();
  await rm(dir, { recursive: true, force: true });
});

test('no token: 401 with the challenge naming realm, service and the scope needed', async () => {
  const root = await fetch(`${base}/v2/`);
  assert.equal(root.status, 401);
  assert.equal(root.headers.get('www-authenticate'), 'Bearer realm="http://127.0.0.1:1/token",service="test-registry"');
  assert.equal(await errCode(root), 'UNAUTHORIZED');
  const pull = await fetch(`${base}/v2/team/app/manifests/v1`);
  assert.equal(pull.status, 401);
  assert.match(pull.headers.get('www-authenticate')!, /scope="repository:team\/app:pull"$/);
  const push = await fetch(`${base}/v2/team/app/blobs/uploads/`, { method: 'POST' });
  assert.match(push.headers.get('www-authenticate')!, /scope="repository:team\/app:pull,push"$/);
  const cat = await fetch(`${base}/v2/_catalog`);
  assert.match(cat.headers.get('www-authenticate')!, /scope="registry:catalog:\*"$/);
  assert.equal((await fetch(`${base}/v2/`, { headers: bearer(await token([])) })).status, 200);
});

test('bad tokens are refused: forged, expired, other issuer, garbage', async () => {
  const good = await token([repo('team/app', 'pull')]);
  const [h, b] = good.split('.');
  for (const t of [`${h}.${b}.AAAA`, await token([repo('team/app', 'pull')], { ttlS: -300 }), await token([repo('team/app', 'pull')], { iss: 'someone-else' }), 'not-a-token']) {
    const r = await fetch(`${base}/v2/team/app/tags/list`, { headers: bearer(t) });
    assert.equal(r.status, 401, t.slice(0, 20));
    assert.match(r.headers.get('www-authenticate')!, /error="invalid_token"/);
  }
});

test('a pull token cannot push; a push token can; mount needs pull on the source', async () => {
  const data = Buffer.from('auth blob');
  const pullOnly = await token([repo('team/app', 'pull')]);
  const denied = await fetch(`${base}/v2/team/app/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data, headers: bearer(pullOnly) });
  assert.equal(denied.status, 401);
  assert.equal(await errCode(denied), 'DENIED');
  assert.match(denied.headers.get('www-authenticate')!, /error="insufficient_scope"/);
  const push = await token([repo('team/app', 'pull', 'push')]);
  const ok = await fetch(`${base}/v2/team/app/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data, headers: bearer(push) });
  assert.equal(ok.status, 201);
  assert.equal((await fetch(`${base}/v2/team/app/blobs/${sha(data)}`, { method: 'HEAD', headers: bearer(pullOnly) })).status, 200);
  const other = await token([repo('other/app', 'pull', 'push')]);
  const noRead = await fetch(`${base}/v2/other/app/blobs/uploads/?mount=${sha(data)}&from=team/app`, { method: 'POST', headers: bearer(other) });
  assert.equal(noRead.status, 202, 'no pull on the source: a plain upload instead of a mount');
  const both = await token([repo('other/app', 'pull', 'push'), repo('team/app', 'pull')]);
  const mounted = await fetch(`${base}/v2/other/app/blobs/uploads/?mount=${sha(data)}&from=team/app`, { method: 'POST', headers: bearer(both) });
  assert.equal(mounted.status, 201);
});

test('manifests: OCI-Subject on push, delete by tag untags, by digest deletes', async () => {
  const t = await token([repo('sub/app', 'pull', 'push', 'delete')]);
  const cfg = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  await fetch(`${base}/v2/sub/app/blobs/uploads/?digest=${sha(cfg)}`, { method: 'POST', body: cfg, headers: bearer(t) });
  const manifest = (extra: object) =>
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(cfg), size: cfg.length },
      layers: [],
      ...extra,
    });
  const base1 = manifest({});
  const put = (ref: string, body: string) =>
    fetch(`${base}/v2/sub/app/manifests/${ref}`, { method: 'PUT', body, headers: { ...bearer(t), 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal((await put('v1', base1)).status, 201);
  const sig = manifest({ subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(base1), size: base1.length } });
  const r = await put(sha(sig), sig);
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('oci-subject'), sha(base1));
  assert.equal((await fetch(`${base}/v2/sub/app/manifests/v1`, { method: 'DELETE', headers: bearer(t) })).status, 202);
  assert.equal((await fetch(`${base}/v2/sub/app/manifests/v1`, { headers: bearer(t) })).status, 404, 'the tag is gone');
  assert.equal((await fetch(`${base}/v2/sub/app/manifests/${sha(base1)}`, { headers: bearer(t) })).status, 200, 'the manifest stays');
  assert.equal((await fetch(`${base}/v2/sub/app/manifests/${sha(base1)}`, { method: 'DELETE', headers: bearer(t) })).status, 202);
  assert.equal((await fetch(`${base}/v2/sub/app/manifests/${sha(base1)}`, { headers: bearer(t) })).status, 404);
  assert.equal((await fetch(`${base}/v2/sub/app/manifests/v9`, { method: 'DELETE', headers: bearer(t) })).status, 404);
});

test('gc removes unreferenced blobs after the grace period, keeps referenced and recently used ones', async () => {
  const t = await token([repo('gc/app', 'pull', 'push')]);
  const upload = async (b: Buffer) => assert.equal((await fetch(`${base}/v2/gc/app/blobs/uploads/?digest=${sha(b)}`, { method: 'POST', body: b, headers: bearer(t) })).status, 201);
  const kept = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const orphan = Buffer.from('orphan layer');
  const touched = Buffer.from('still being pushed');
  for (const b of [kept, orphan, touched]) await upload(b);
  const m = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(kept), size: kept.length },
    layers: [],
  });
  assert.equal((await fetch(`${base}/v2/gc/app/manifests/v1`, { method: 'PUT', body: m, headers: { ...bearer(t), 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);
  const gc = await token([{ type: 'registry', name: 'gc', actions: ['*'] }]);
  assert.equal((await fetch(`${base}/admin/gc`, { method: 'POST', headers: bearer(t) })).status, 401, 'gc needs registry:gc');
  const early = (await (await fetch(`${base}/admin/gc`, { method: 'POST', headers: bearer(gc) })).json()) as { blobsRemoved: number };
  assert.equal(early.blobsRemoved, 0, 'everything is within its grace period');
  await new Promise((r) => setTimeout(r, 2_200));
  // A pushing client checks the blob it is about to reference: that use renews its grace.
  assert.equal((await fetch(`${base}/v2/gc/app/blobs/${sha(touched)}`, { method: 'HEAD', headers: bearer(t) })).status, 200);
  const res = await fetch(`${base}/admin/gc`, { method: 'POST', headers: bearer(gc) });
  assert.equal(res.status, 200);
  const out = (await res.json()) as { blobsRemoved: number; bytesFreed: number };
  assert.ok(out.blobsRemoved >= 1);
  assert.ok(out.bytesFreed >= orphan.length);
  assert.equal((await fetch(`${base}/v2/gc/app/blobs/${sha(orphan)}`, { method: 'HEAD', headers: bearer(t) })).status, 404);
  assert.equal((await fetch(`${base}/v2/gc/app/blobs/${sha(kept)}`, { method: 'HEAD', headers: bearer(t) })).status, 200);
  assert.equal((await fetch(`${base}/v2/gc/app/blobs/${sha(touched)}`, { method: 'HEAD', headers: bearer(t) })).status, 200);
  assert.equal((await fetch(`${base}/v2/gc/app/manifests/v1`, { headers: bearer(t) })).status, 200);
});

test('when the token keys cannot be fetched: 503 with a clear message, and it recovers', async () => {
  // A key id this registry has not seen forces a JWKS fetch.
  const stranger = await newSigningKey();
  const t = (await signToken(stranger.privateKey, stranger.kid, { iss: 'test-controller', sub: 'x', aud: 'test-registry', ttlS: 60, access: [] })).token;
  jwksUp = false;
  await new Promise((r) => setTimeout(r, 10_100));
  const r = await fetch(`${base}/v2/`, { headers: bearer(t) });
  assert.equal(r.status, 503);
  assert.match(JSON.stringify(await r.json()), /cannot fetch the token keys/);
  jwksUp = true;
  assert.equal((await fetch(`${base}/v2/`, { headers: bearer(await token([])) })).status, 200);
});
