// The registry as a real process: the OCI Distribution endpoints, their errors, and skopeo against it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startProcess, stopProcess, type LabProcess } from '../lab/proc.js';
import { sh, waitFor } from '../lab/sh.js';
import { REPO } from '../lab/lab.js';
import { buildSingleLayerImage, pushImage } from '#libs/oci';

const PORT = 15900 + Math.floor(Math.random() * 90);
const base = `http://127.0.0.1:${PORT}`;
let dir: string;
let proc: LabProcess;
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'registry-'));
  proc = startProcess('registry', 'node', [path.join(REPO, 'dist/apps/registry/src/main.js'), '--listen', `127.0.0.1:${PORT}`, '--root', path.join(dir, 'root')], path.join(dir, 'log'));
  await waitFor('registry', async () => (await fetch(`${base}/v2/`)).ok, 10_000);
});

after(async () => {
  await stopProcess(proc);
  await rm(dir, { recursive: true, force: true });
});

test('monolithic and chunked uploads, with the digest verified', async () => {
  const data = Buffer.from('hello blob');
  const mono = await fetch(`${base}/v2/a/b/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data });
  assert.equal(mono.status, 201);
  assert.equal(mono.headers.get('docker-content-digest'), sha(data));
  const start = await fetch(`${base}/v2/a/b/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const loc = new URL(start.headers.get('location')!, base);
  const p1 = await fetch(loc, { method: 'PATCH', body: 'chunk-1|', headers: { 'content-range': '0-7' } });
  assert.equal(p1.status, 202);
  assert.equal(p1.headers.get('range'), '0-7');
  const bad = await fetch(loc, { method: 'PATCH', body: 'x', headers: { 'content-range': '3-3' } });
  assert.equal(bad.status, 416, 'out-of-order chunk');
  const whole = Buffer.from('chunk-1|chunk-2');
  const put = await fetch(`${loc}?digest=${sha(whole)}`, { method: 'PUT', body: 'chunk-2' });
  assert.equal(put.status, 201);
  const get = await fetch(`${base}/v2/a/b/blobs/${sha(whole)}`, { headers: { range: 'bytes=8-' } });
  assert.equal(get.status, 206);
  assert.equal(await get.text(), 'chunk-2');
});

test('a wrong digest is refused and leaves no blob', async () => {
  const wrong = sha('something else');
  const r = await fetch(`${base}/v2/a/b/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: 'data' });
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'DIGEST_INVALID');
  assert.equal((await fetch(`${base}/v2/a/b/blobs/${wrong}`, { method: 'HEAD' })).status, 404);
});

test('manifests need their blobs; tags and catalog list what was pushed', async () => {
  const cfg = sha('nope');
  const m = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: 4 },
    layers: [],
  });
  const r = await fetch(`${base}/v2/x/manifests/v1`, { method: 'PUT', body: m, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
  const invalid = await fetch(`${base}/v2/x/manifests/v1`, { method: 'PUT', body: '{"schemaVersion":1}', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(((await invalid.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'MANIFEST_INVALID');
  assert.equal((await fetch(`${base}/v2/x/tags/list`)).status, 404);
  assert.equal((await fetch(`${base}/v2/Bad_Name/tags/list`)).status, 400);
});

test('an image pushed by berth is read by skopeo, and skopeo copies it', async () => {
  await sh('bash', [path.join(REPO, 'deploy/busybox-rootfs.sh'), path.join(dir, 'bb.tar')]);
  const img = await buildSingleLayerImage(path.join(dir, 'bb.tar'));
  const digest = await pushImage(`127.0.0.1:${PORT}`, 'library/busybox', 'latest', img).finally(() => rm(path.dirname(img.layer.path), { recursive: true, force: true }));
  const inspect = JSON.parse((await sh('skopeo', ['inspect', '--tls-verify=false', `docker://127.0.0.1:${PORT}/library/busybox:latest`])).stdout);
  assert.equal(inspect.Digest, digest);
  assert.deepEqual(inspect.Layers, [img.layer.digest]);
  await sh('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://127.0.0.1:${PORT}/library/busybox:latest`, `docker://127.0.0.1:${PORT}/copies/bb:v2`], {
    timeoutMs: 60_000,
  });
  const tags = (await (await fetch(`${base}/v2/copies/bb/tags/list`)).json()) as { tags: string[] };
  assert.deepEqual(tags.tags, ['v2']);
  const cat = (await (await fetch(`${base}/v2/_catalog?n=1`)).json()) as { repositories: string[] };
  assert.equal(cat.repositories.length, 1);
});

test('indexes and Docker manifest lists are stored with their media type; children must exist; pagination and catalog', async () => {
  const cfg = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  await fetch(`${base}/v2/multi/app/blobs/uploads/?digest=${sha(cfg)}`, { method: 'POST', body: cfg });
  const child = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(cfg), size: cfg.length },
    layers: [],
  });
  const put = (ref: string, body: string, type: string) => fetch(`${base}/v2/multi/app/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': type } });
  assert.equal((await put('amd64', child, 'application/vnd.docker.distribution.manifest.v2+json')).status, 201);
  const list = (digest: string) =>
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size: child.length, platform: { os: 'linux', architecture: 'amd64' } }],
    });
  const missing = await put('broken', list(sha('no such manifest')), 'application/vnd.docker.distribution.manifest.list.v2+json');
  assert.equal(missing.status, 400);
  assert.equal(((await missing.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
  assert.equal((await put('multi', list(sha(child)), 'application/vnd.docker.distribution.manifest.list.v2+json')).status, 201);
  const got = await fetch(`${base}/v2/multi/app/manifests/multi`);
  assert.equal(got.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.list.v2+json');
  assert.equal(got.headers.get('docker-content-digest'), sha(list(sha(child))));
  const odd = await put('odd', JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-unknown', config: {} }), 'application/x-unknown');
  assert.equal(((await odd.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'MANIFEST_INVALID');
  for (const t of ['b', 'c', 'd']) assert.equal((await put(t, child, 'application/vnd.docker.distribution.manifest.v2+json')).status, 201);
  const page1 = await fetch(`${base}/v2/multi/app/tags/list?n=2`);
  assert.deepEqual(((await page1.json()) as { tags: string[] }).tags, ['amd64', 'b']);
  assert.equal(page1.headers.get('link'), '</v2/multi/app/tags/list?last=b&n=2>; rel="next"');
  const page2 = (await (await fetch(`${base}/v2/multi/app/tags/list?n=2&last=b`)).json()) as { tags: string[] };
  assert.deepEqual(page2.tags, ['c', 'd']);
  const cat = (await (await fetch(`${base}/v2/_catalog`)).json()) as { repositories: string[] };
  assert.ok(cat.repositories.includes('multi/app'));
});
