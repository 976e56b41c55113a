// Pull specs against a local Distribution server: index → linux/amd64, anonymous Bearer
// tokens, not-found mapping, verified content store, unpack once, no refetch of present blobs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImageService, LayerMismatchError } from './image-service.js';
import { RegistryClient, PullError } from './registry-client.js';
import { DigestMismatchError } from './content-store.js';
import { digestOf, parseImageRef } from './oci.js';
import { ImageNotFoundError } from '../errors.js';
import { TestRegistry, type TestImage } from '../../../../test/fixtures/registry-server.js';

const reg = new TestRegistry();
let img: TestImage;
let dir: string;

before(async () => {
  await reg.start();
  img = await reg.addImage('lib/img', 'v1', { 'bin/hello': 'hi there' });
  dir = await mkdtemp(path.join(tmpdir(), 'images-'));
});

after(async () => {
  await reg.stop();
  await rm(dir, { recursive: true, force: true });
});

const ref = (r: string) => `${reg.host}/${r}`;
const fresh = async () => new ImageService(await mkdtemp(path.join(dir, 's-')), [reg.host]);

test('an index resolves to its linux/amd64 manifest', async () => {
  const client = new RegistryClient([reg.host]);
  const r = await client.resolve(parseImageRef(ref('lib/img:v1'), ''), 'x');
  assert.equal(r.digest, img.manifestDigest);
  assert.equal(r.manifest.layers[0].digest, img.layerDigest);
  const byDigest = await client.resolve(parseImageRef(`${ref('lib/img')}@${img.indexDigest}`, ''), 'x');
  assert.equal(byDigest.digest, img.manifestDigest);
});

test('unknown repositories and tags are ImageNotFoundError; server errors are not', async () => {
  const client = new RegistryClient([reg.host]);
  await assert.rejects(client.resolve(parseImageRef(ref('lib/img:nope'), ''), 'tag'), ImageNotFoundError);
  await assert.rejects(client.resolve(parseImageRef(ref('lib/none:v1'), ''), 'repo'), ImageNotFoundError);
  await assert.rejects(client.resolve(parseImageRef(ref('broken:v1'), ''), 'broken'), (e: Error) => e instanceof PullError && /HTTP 500/.test(e.message));
});

test('a Bearer challenge is answered anonymously through the token endpoint', async () => {
  reg.token = 'anon-token';
  try {
    const before = reg.hits.get('/token') ?? 0;
    const images = await fresh();
    const got = await images.ensure(ref('lib/img:v1'));
    assert.equal(got.manifestDigest, img.manifestDigest);
    assert.ok((reg.hits.get('/token') ?? 0) > before);
  } finally {
    reg.token = '';
  }
});

test('ensure pulls and unpacks once; concurrent ensures share the pull; a second ensure stays local', async () => {
  const images = await fresh();
  const layerPath = `/v2/lib/img/blobs/${img.layerDigest}`;
  const tagPath = '/v2/lib/img/manifests/v1';
  const before = { layer: reg.hits.get(layerPath) ?? 0, tag: reg.hits.get(tagPath) ?? 0 };
  const [a, b] = await Promise.all([images.ensure(ref('lib/img:v1')), images.ensure(ref('lib/img:v1'))]);
  assert.deepEqual(a.layerDirs, b.layerDirs);
  assert.equal(path.basename(a.layerDirs[0]), img.diffId.slice(7));
  assert.equal(await readFile(path.join(a.layerDirs[0], 'bin/hello'), 'utf8'), 'hi there');
  assert.deepEqual(a.config.config?.Cmd, ['sh']);
  await images.ensure(ref('lib/img:v1'));
  assert.equal(reg.hits.get(layerPath), before.layer + 1, 'layer fetched once');
  assert.equal(reg.hits.get(tagPath), before.tag + 1, 'tag resolved once');
});

test('blobs already in the content store are not fetched again', async () => {
  const images = await fresh();
  await images.ensure(ref('lib/img:v1'));
  const stateDir = path.dirname(path.dirname(images.layerDir(img.diffId)));
  await rm(path.join(stateDir, 'images'), { recursive: true });
  const layerPath = `/v2/lib/img/blobs/${img.layerDigest}`;
  const n = reg.hits.get(layerPath);
  const again = new ImageService(stateDir, [reg.host]);
  await again.ensure(ref('lib/img:v1'));
  assert.equal(reg.hits.get(layerPath), n);
});

test('a blob whose bytes do not match its digest is refused and not stored', async () => {
  const bad = await reg.addImage('lib/bad', 'v1', { f: 'original' });
  reg.blobs.set(bad.layerDigest, Buffer.from('tampered'));
  const images = await fresh();
  await assert.rejects(images.ensure(ref('lib/bad:v1')), DigestMismatchError);
  const stateDir = path.dirname(path.dirname(images.layerDir(bad.diffId)));
  const stored = await readdir(path.join(stateDir, 'content/blobs/sha256'));
  assert.ok(!stored.includes(bad.layerDigest.slice(7)), 'no tampered blob');
  assert.ok(
    stored.every((f) => !f.includes('.ingest-')),
    'no temp files',
  );
});

test('a layer that does not match the config diff_id is refused and leaves no layer dir', async () => {
  const other = await reg.addImage('lib/mix', 'v1', { f: 'one' });
  const second = await reg.addImage('lib/mix2', 'v1', { f: 'two' });
  // Serve mix's layer under its own digest but make mix2's layer the one the config expects.
  const cfgDigest = other.configDigest;
  const cfg = JSON.parse(reg.blobs.get(cfgDigest)!.toString());
  cfg.rootfs.diff_ids = [second.diffId];
  const cfgBytes = Buffer.from(JSON.stringify(cfg));
  reg.blobs.set(digestOf(cfgBytes), cfgBytes);
  const man = JSON.parse(reg.manifests.get('lib/mix')!.get(other.manifestDigest)![1].toString());
  man.config = { ...man.config, digest: digestOf(cfgBytes), size: cfgBytes.length };
  const manBytes = Buffer.from(JSON.stringify(man));
  reg.manifests.get('lib/mix')!.set('v2', ['application/vnd.oci.image.manifest.v1+json', manBytes]);
  const images = await fresh();
  await assert.rejects(images.ensure(ref('lib/mix:v2')), LayerMismatchError);
  const layers = await readdir(path.dirname(images.layerDir(second.diffId))).catch(() => [] as string[]);
  assert.deepEqual(layers, []);
});

test('image GC removes images no task uses, with their layers and blobs, and keeps the rest', async () => {
  const { ImageGc } = await import('./image-gc.js');
  const images = await fresh();
  const used = await images.ensure(ref('lib/img:v1'));
  const other = await reg.addImage('lib/other', 'v1', { 'bin/other': 'other content' });
  await images.ensure(ref('lib/other:v1'));
  let inUse = [ref('lib/img:v1')];
  const gc = new ImageGc(images, async () => inUse);
  assert.equal(await gc.pruneIfLow(0), undefined, '0%: never');
  const r = await gc.prune();
  assert.deepEqual(r.removedImages, [ref('lib/other:v1')]);
  assert.ok(r.bytesFreed > 0);
  const layerEntries = async () => (await readdir(path.join(images.stateDir, 'layers'))).filter((e) => !e.endsWith('.verified'));
  assert.deepEqual(
    await layerEntries(),
    used.layerDirs.map((d) => path.basename(d)),
  );
  assert.ok(!(await images.content.has(other.layerDigest)), 'its blob went too');
  assert.equal((await images.ensure(ref('lib/img:v1'))).manifestDigest, used.manifestDigest, 'the used image is still local');
  inUse = [];
  const low = await gc.pruneIfLow(100);
  assert.deepEqual(low?.removedImages, [ref('lib/img:v1')], 'under disk pressure (100%: always) unused images go');
  assert.deepEqual(await readdir(path.join(images.stateDir, 'layers')), [], 'layer dirs and their markers are gone');
});
