// The hostile-image corpus for pulls (issue 11, finding 3): digests from a registry's manifests,
// indexes and image configs, and from records on disk, are validated before they name anything;
// a layer directory is used only once verified. Every refusal names the field and the value,
// and nothing outside the agent's state dir is read as a layer or written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import path from 'node:path';
import { ImageService } from './image-service.js';
import { ImageGc } from './image-gc.js';
import { RegistryClient } from './registry-client.js';
import { ConfigInvalidError, InvalidDigestError, ManifestInvalidError, MediaType, digestOf, parseImageRef } from './oci.js';
import { TestRegistry } from '../../../../test/fixtures/registry-server.js';

const HEX = 'a'.repeat(64);
const reg = new TestRegistry();
let sandbox: string;
let outside: string;

before(async () => {
  await reg.start();
  sandbox = await mkdtemp(path.join(tmpdir(), 'hostile-'));
  outside = path.join(sandbox, 'outside');
  await mkdir(path.join(outside, 'etc'), { recursive: true });
  await writeFile(path.join(outside, 'etc', 'secret'), 'host secret');
});

after(async () => {
  await reg.stop();
  await rm(sandbox, { recursive: true, force: true });
});

const ref = (r: string) => `${reg.host}/${r}`;
let n = 0;
/** fresh: an ImageService whose state dir is sandbox/state-N, next to `outside`. */
const fresh = async () => {
  const dir = path.join(sandbox, `state-${n++}`);
  await mkdir(dir);
  return new ImageService(dir, [reg.host]);
};

/** tree lists every path under dir with a hash of its content: what "nothing touched" compares. */
async function tree(dir: string, skip: (p: string) => boolean = () => false): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (skip(p)) continue;
    if (e.isDirectory()) out.push(`${p}/`, ...(await tree(p, skip)));
    else
      out.push(
        `${p} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`,
      );
  }
  return out.sort();
}

/** committedLayers: layer entries other than unpacks under way. */
const committedLayers = async (images: ImageService) => (await readdir(images.layers.root).catch(() => [] as string[])).filter((e) => !e.startsWith('.tmp-'));

test('a config diff_id with path traversal is refused before it names a directory (the host-rootfs exploit)', async () => {
  const before = await tree(sandbox, (p) => path.basename(p).startsWith('state-'));
  for (const bad of ['sha256:../../../../../../../../..', 'sha256:../../outside', `sha256:${HEX}/../../../outside`]) {
    const repo = `evil/traversal${n}`;
    await reg.addCustomImage(repo, 'v1', { 'bin/sh': 'x' }, { config: (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [bad] } }) });
    const images = await fresh();
    await assert.rejects(images.ensure(ref(`${repo}:v1`)), (e: Error) => {
      assert.ok(e instanceof ConfigInvalidError, `${bad}: ${e.constructor.name}: ${e.message}`);
      assert.match(e.message, /rootfs\.diff_ids\[0\]/);
      assert.ok(e.message.includes(JSON.stringify(bad)), `names the value: ${e.message}`);
      return true;
    });
    assert.deepEqual(await committedLayers(images), [], `${bad}: no layer committed`);
    await assert.rejects(stat(images.recordPath(ImageService.canonical(ref(`${repo}:v1`)))), /ENOENT/, `${bad}: no image recorded`);
  }
  assert.deepEqual(await tree(sandbox, (p) => path.basename(p).startsWith('state-')), before, 'nothing outside the state dirs changed');
});

test('malformed diff_ids and config shapes are refused, naming the field', async () => {
  const cases: Array<[string, (c: Record<string, any>) => unknown, RegExp]> = [
    ['uppercase hex', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [`sha256:${'A'.repeat(64)}`] } }), /rootfs\.diff_ids\[0\].*64 lowercase hex/],
    ['63 hex', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(63)}`] } }), /rootfs\.diff_ids\[0\]/],
    ['65 hex', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(65)}`] } }), /rootfs\.diff_ids\[0\]/],
    ['trailing newline', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [`sha256:${HEX}\n`] } }), /rootfs\.diff_ids\[0\]/],
    ['sha512', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [`sha512:${'a'.repeat(128)}`] } }), /unsupported algorithm "sha512"/],
    ['no algorithm', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [HEX] } }), /rootfs\.diff_ids\[0\]/],
    ['a number', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [42] } }), /rootfs\.diff_ids\[0\]: number value/],
    ['null', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [null] } }), /rootfs\.diff_ids\[0\]: null value/],
    ['no rootfs', (c) => ({ ...c, rootfs: undefined }), /rootfs must be an object/],
    ['rootfs type', (c) => ({ ...c, rootfs: { type: 'tar', diff_ids: [] } }), /rootfs\.type must be "layers"/],
    ['diff_ids not an array', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: 'sha256:x' } }), /rootfs\.diff_ids must be an array/],
    ['config is an array', () => [], /must be a JSON object/],
  ];
  for (const [what, config, re] of cases) {
    const repo = `evil/config${n}`;
    await reg.addCustomImage(repo, 'v1', { f: 'x' }, { config });
    const images = await fresh();
    await assert.rejects(images.ensure(ref(`${repo}:v1`)), (e: Error) => e instanceof ConfigInvalidError && re.test(e.message), what);
    assert.deepEqual(await committedLayers(images), [], `${what}: no layer committed`);
  }
});

test('manifests with bad layer, config or subject digests are refused before any blob is fetched', async () => {
  const cases: Array<[string, (m: Record<string, any>) => unknown, RegExp]> = [
    ['layer traversal', (m) => ({ ...m, layers: [{ ...m.layers[0], digest: 'sha256:../../outside' }] }), /layers\[0\]\.digest: "sha256:\.\.\/\.\.\/outside"/],
    ['layer uppercase', (m) => ({ ...m, layers: [{ ...m.layers[0], digest: `sha256:${'F'.repeat(64)}` }] }), /layers\[0\]\.digest/],
    ['layer digest missing', (m) => ({ ...m, layers: [{ ...m.layers[0], digest: undefined }] }), /layers\[0\]\.digest: missing value/],
    ['config traversal', (m) => ({ ...m, config: { ...m.config, digest: 'sha256:../../../etc/passwd' } }), /config\.digest/],
    ['config md5', (m) => ({ ...m, config: { ...m.config, digest: `md5:${'0'.repeat(32)}` } }), /config\.digest.*unsupported algorithm "md5"/],
    ['subject', (m) => ({ ...m, subject: { mediaType: MediaType.OciManifest, digest: 'sha256:..', size: 1 } }), /subject\.digest/],
  ];
  for (const [what, manifest, re] of cases) {
    const repo = `evil/manifest${n}`;
    const img = await reg.addCustomImage(repo, 'v1', { f: 'x' }, { manifest });
    const images = await fresh();
    await assert.rejects(images.ensure(ref(`${repo}:v1`)), (e: Error) => e instanceof ManifestInvalidError && re.test(e.message), what);
    assert.equal(reg.hits.get(`/v2/${repo}/blobs/${img.configDigest}`) ?? 0, 0, `${what}: config not fetched`);
    assert.equal(reg.hits.get(`/v2/${repo}/blobs/${img.layerDigest}`) ?? 0, 0, `${what}: layer not fetched`);
  }
});

test('an index with a bad child digest is refused; a child that does not hash to its digest too', async () => {
  for (const bad of ['sha256:../../../v2/other/manifests/latest', `sha256:${HEX.slice(1)}`, '']) {
    const repo = `evil/index${n++}`;
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: bad, size: 10, platform: { os: 'linux', architecture: 'amd64' } }] }),
    );
    reg.putManifest(repo, 'v1', MediaType.OciIndex, index);
    await assert.rejects((await fresh()).ensure(ref(`${repo}:v1`)), (e: Error) => e instanceof ManifestInvalidError && /manifests\[0\]\.digest/.test(e.message), JSON.stringify(bad));
  }
  const img = await reg.addImage('evil/swapped', 'v1', { f: 'x' });
  reg.manifests.get('evil/swapped')!.set(img.manifestDigest, [MediaType.OciManifest, Buffer.from('{"schemaVersion":2,"config":{}}')]);
  await assert.rejects((await fresh()).ensure(ref('evil/swapped:v1')), /manifest digest mismatch/);
});

test("a directory at a layer's place that was never verified is replaced, not used", async () => {
  const img = await reg.addImage('evil/planted', 'v1', { 'bin/hello': 'real content' });
  const images = await fresh();
  const planted = images.layerDir(img.diffId);
  await mkdir(path.join(planted, 'bin'), { recursive: true });
  await writeFile(path.join(planted, 'bin', 'hello'), 'planted');
  await writeFile(path.join(planted, 'bin', 'extra'), 'planted');
  const got = await images.ensure(ref('evil/planted:v1'));
  assert.equal(got.layerDirs[0], planted);
  assert.equal(await readFile(path.join(planted, 'bin', 'hello'), 'utf8'), 'real content');
  await assert.rejects(stat(path.join(planted, 'bin', 'extra')), /ENOENT/, 'the planted tree is gone');
});

test('image records on disk are not trusted for layer paths', async () => {
  const img = await reg.addImage('evil/record', 'v1', { 'bin/hello': 'hi' });
  const images = await fresh();
  const reference = ImageService.canonical(ref('evil/record:v1'));
  await images.ensure(reference);
  const rec = JSON.parse(await readFile(images.recordPath(reference), 'utf8'));
  await writeFile(images.recordPath(reference), JSON.stringify({ ...rec, layerDirs: [outside] }));
  assert.deepEqual((await images.ensure(reference)).layerDirs, [images.layerDir(img.diffId)], 'dirs come from the diff_ids');
  await writeFile(images.recordPath(reference), JSON.stringify({ ...rec, layers: [{ ...rec.layers[0], diffId: 'sha256:../../outside' }] }));
  assert.deepEqual((await images.ensure(reference)).layerDirs, [images.layerDir(img.diffId)], 'a bad record is pulled again');
  await writeFile(images.recordPath(reference), '{not json');
  assert.deepEqual((await images.ensure(reference)).layerDirs, [images.layerDir(img.diffId)], 'an unreadable record is pulled again');
});

test('the content store, the registry client and the layer store refuse bad digests without touching anything', async () => {
  const images = await fresh();
  const bad = ['sha256:../../outside/etc/secret', `sha256:${HEX}/x`, 'sha256:', `SHA256:${HEX}`];
  for (const d of bad) {
    assert.throws(() => images.content.path(d), InvalidDigestError, d);
    assert.throws(
      () => images.layerDir(d),
      (e: Error) => e instanceof InvalidDigestError && /^diff_id: /.test(e.message),
      d,
    );
    await assert.rejects(images.content.ingest(d, -1, Readable.from([Buffer.from('x')])), InvalidDigestError, d);
  }
  const client = new RegistryClient([reg.host]);
  const hits = [...reg.hits.values()].reduce((a, b) => a + b, 0);
  await assert.rejects(client.blob(parseImageRef(ref('lib/x:v1'), ''), 'sha256:../../../token'), InvalidDigestError);
  await assert.rejects(client.resolve({ ...parseImageRef(ref('lib/x:v1'), ''), digest: 'sha512:00' }, 'x'), InvalidDigestError);
  assert.equal(
    [...reg.hits.values()].reduce((a, b) => a + b, 0),
    hits,
    'no request was sent',
  );
  assert.deepEqual(await tree(images.stateDir), [], 'nothing written');
});

test('image GC reads records and build-cache entries as untrusted: bad ones keep nothing and break nothing', async () => {
  const img = await reg.addImage('evil/gc', 'v1', { f: 'gc' });
  const images = await fresh();
  const reference = ImageService.canonical(ref('evil/gc:v1'));
  await images.ensure(reference);
  const dir = (...p: string[]) => path.join(images.stateDir, ...p);
  await mkdir(dir('build-cache'), { recursive: true });
  await writeFile(dir('build-cache', 'a.json'), JSON.stringify({ dir: outside, digest: 42, diffId: 'sha256:../../outside' }));
  await writeFile(dir('build-cache', 'b.json'), '{oops');
  await writeFile(dir('images', 'junk.json'), '[1,');
  const gc = new ImageGc(images, async () => []);
  const r = await gc.prune();
  assert.deepEqual(r.removedImages, [reference]);
  assert.deepEqual(await committedLayers(images), []);
  assert.ok(!(await images.content.has(img.layerDigest)));
  assert.equal(await readFile(path.join(outside, 'etc', 'secret'), 'utf8'), 'host secret');
  assert.equal(digestOf(await readFile(path.join(outside, 'etc', 'secret'))), digestOf('host secret'));
});
