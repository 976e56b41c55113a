// The registry's side of issue 11, finding 3: every digest from a request (URL, `digest` and
// `mount` query parameters, a pushed manifest's or index's descriptors) is validated first and
// refused with 400 DIGEST_INVALID / MANIFEST_INVALID naming it, never a 500, never a file
// named after it, and a refused request changes nothing (no upload started, no bytes appended).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digestOf, MediaType } from '#libs/oci';
import { FsBlobStore } from '../storage/fs.blob-store.js';
import { Routes } from './routes.js';
import { registryListener } from './server.js';

const HEX = 'b'.repeat(64);
let dir: string;
let server: Server;
let base: string;
const logged: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'registry-digests-'));
  const store = new FsBlobStore(path.join(dir, 'root'));
  await store.init();
  server = createServer(registryListener(new Routes(store), (m) => logged.push(m)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

type Answer = { status: number; code?: string; message?: string; headers: Headers };
async function call(method: string, p: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${p}`, { method, body, headers });
  const text = await res.text();
  const err = text ? (JSON.parse(text) as { errors?: Array<{ code: string; message: string }> }).errors?.[0] : undefined;
  return { status: res.status, code: err?.code, message: err?.message, headers: res.headers };
}

const uploads = async () => (await readdir(path.join(dir, 'root', 'uploads'))).length;

async function pushBlob(repo: string, data: string): Promise<string> {
  const d = digestOf(data);
  assert.equal((await call('POST', `/v2/${repo}/blobs/uploads/?digest=${d}`, data)).status, 201);
  return d;
}

test('bad digests in URLs are 400 DIGEST_INVALID naming the value', async () => {
  const bad = ['sha256:..%2F..%2F..%2Fetc%2Fpasswd', `sha256:${HEX.toUpperCase()}`, `sha256:${HEX}0`, `sha512:${'a'.repeat(128)}`, 'sha256:', `md5:${'0'.repeat(32)}`, `sha256:${HEX}%00`];
  for (const d of bad) {
    for (const [method, p] of [
      ['GET', `/v2/a/b/blobs/${d}`],
      ['DELETE', `/v2/a/b/blobs/${d}`],
      ['GET', `/v2/a/b/manifests/${d}`],
      ['PUT', `/v2/a/b/manifests/${d}`],
      ['DELETE', `/v2/a/b/manifests/${d}`],
    ] as const) {
      const r = await call(method, p, method === 'PUT' ? '{}' : undefined, method === 'PUT' ? { 'content-type': MediaType.OciManifest } : {});
      assert.equal(r.status, 400, `${method} ${p}`);
      assert.equal(r.code, 'DIGEST_INVALID', `${method} ${p}: ${r.message}`);
      assert.match(r.message!, /digest in the URL: ".*" is not a valid digest/, `${method} ${p}`);
    }
  }
  assert.equal((await call('HEAD', `/v2/a/b/blobs/sha256:x`)).status, 400);
});

test('a bad `digest` query parameter starts no upload and appends nothing', async () => {
  const before = await uploads();
  for (const d of ['sha256:../../x', '', `sha256:${HEX}/..`]) {
    const r = await call('POST', `/v2/a/b/blobs/uploads/?digest=${encodeURIComponent(d)}`, 'data');
    assert.equal(r.status, 400, JSON.stringify(d));
    assert.equal(r.code, 'DIGEST_INVALID');
    assert.match(r.message!, /^digest query parameter: /);
  }
  assert.equal(await uploads(), before, 'no upload left behind');
  const start = await call('POST', '/v2/a/b/blobs/uploads/');
  const loc = start.headers.get('location')!;
  assert.equal((await call('PATCH', loc, 'abc')).status, 202);
  const put = await call('PUT', `${loc}?digest=sha256:..`, 'more bytes');
  assert.equal(put.code, 'DIGEST_INVALID');
  assert.equal((await call('GET', loc)).headers.get('range'), '0-2', 'the refused PUT appended nothing');
  assert.equal((await call('PUT', `${loc}?digest=${digestOf('abc')}`)).status, 201, 'the upload still completes');
});

test('mount: a bad digest is DIGEST_INVALID and a bad source name NAME_INVALID, not a silent upload', async () => {
  const d = await pushBlob('src/repo', 'mounted');
  const before = await uploads();
  const bad = await call('POST', `/v2/dst/repo/blobs/uploads/?mount=sha256:../../../blobs&from=src/repo`);
  assert.equal(bad.code, 'DIGEST_INVALID');
  assert.match(bad.message!, /^mount query parameter: /);
  const badFrom = await call('POST', `/v2/dst/repo/blobs/uploads/?mount=${d}&from=../src`);
  assert.equal(badFrom.code, 'NAME_INVALID');
  assert.equal(await uploads(), before);
  assert.equal((await call('POST', `/v2/dst/repo/blobs/uploads/?mount=${d}&from=src/repo`)).status, 201, 'a good mount still works');
});

test('manifests and indexes with bad descriptor digests are 400 MANIFEST_INVALID naming the field', async () => {
  const cfg = await pushBlob('m/r', '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const desc = (digest: unknown) => ({ mediaType: MediaType.OciLayerGzip, digest, size: 1 });
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'layer',
      { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { ...desc(cfg), mediaType: MediaType.OciConfig }, layers: [desc('sha256:../../etc')] },
      /^layers\[0\]\.digest: "sha256:\.\.\/\.\.\/etc"/,
    ],
    ['config', { schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc(`sha256:${HEX}\n`), layers: [] }, /^config\.digest: /],
    ['subject', { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { ...desc(cfg), mediaType: MediaType.OciConfig }, layers: [], subject: desc(7) }, /^subject\.digest: number value/],
    [
      'index child',
      { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...desc(`sha384:${'c'.repeat(96)}`), mediaType: MediaType.OciManifest }] },
      /^manifests\[0\]\.digest: .*unsupported algorithm "sha384"/,
    ],
  ];
  for (const [what, doc, re] of cases) {
    const r = await call('PUT', '/v2/m/r/manifests/t', JSON.stringify(doc), { 'content-type': (doc as { mediaType: string }).mediaType });
    assert.equal(r.status, 400, what);
    assert.equal(r.code, 'MANIFEST_INVALID', what);
    assert.match(r.message!, re, what);
  }
  assert.equal((await call('GET', '/v2/m/r/manifests/t')).code, 'MANIFEST_UNKNOWN', 'nothing was stored');
});

test('a manifest body over the limit gets its 400 SIZE_INVALID (the connection is not just cut)', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/v2/big/r/manifests/t`, { method: 'PUT', headers: { 'content-type': MediaType.OciManifest, 'content-length': 5 * 1024 * 1024 } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end(Buffer.alloc(5 * 1024 * 1024, 0x20));
  });
  assert.equal(status, 400);
});

test('a tag file that does not hold a digest is a missing manifest, not a path', async () => {
  const tags = path.join(dir, 'root', 'repositories', 'corrupt', 'r', '_manifests', 'tags');
  await mkdir(tags, { recursive: true });
  await writeFile(path.join(tags, 'v1'), 'sha256:../../../../../../blobs');
  const r = await call('GET', '/v2/corrupt/r/manifests/v1');
  assert.equal(r.status, 404);
  assert.equal(r.code, 'MANIFEST_UNKNOWN');
});

test('chunks: malformed or inconsistent Content-Range is 416; concurrent chunks and cancels do not interleave', async () => {
  const loc = (await call('POST', '/v2/c/r/blobs/uploads/')).headers.get('location')!;
  for (const cr of ['abc', '5-2', '0-99', '-1-3']) {
    const r = await call('PATCH', loc, 'xyz', { 'content-range': cr });
    assert.equal(r.status, 416, cr);
    assert.equal(r.code, 'RANGE_INVALID', cr);
  }
  assert.equal((await call('GET', loc)).headers.get('range'), '0-0', 'nothing appended');
  // Two chunks at once: one goes in, the other is refused; never both at the same offset.
  const slow = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode('first'));
      setTimeout(() => c.close(), 200);
    },
  });
  const a = fetch(`${base}${loc}`, { method: 'PATCH', body: slow, duplex: 'half' });
  await new Promise((r) => setTimeout(r, 50));
  const b = await call('PATCH', loc, 'second');
  assert.equal(b.status, 400);
  assert.equal(b.code, 'BLOB_UPLOAD_INVALID');
  const cancel = await call('DELETE', loc);
  assert.equal(cancel.code, 'BLOB_UPLOAD_INVALID', 'a cancel does not pull the file from under a chunk being written');
  assert.equal((await a).status, 202);
  assert.equal((await call('PUT', `${loc}?digest=${digestOf('first')}`)).status, 201);
  assert.deepEqual(logged, [], 'no internal error was logged');
});
