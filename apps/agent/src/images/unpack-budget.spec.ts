// The unpacked-size cap (issue 13): an image whose files add up to more than the agent's
// --image-max-unpacked-bytes, in one layer or summed over several, fails its pull while
// unpacking, naming the image and the limit, and leaves no partial layer directory behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImageService } from './image-service.js';
import { ImageTooLargeError } from './unpack-budget.js';
import { digestOf, MediaType } from './oci.js';
import { TestRegistry, makeLayer } from '../../../../test/fixtures/registry-server.js';

const LIMIT = 1000;
const reg = new TestRegistry();
let sandbox: string;

before(async () => {
  await reg.start();
  sandbox = await mkdtemp(path.join(tmpdir(), 'unpack-budget-'));
});

after(async () => {
  await reg.stop();
  await rm(sandbox, { recursive: true, force: true });
});

let n = 0;
const fresh = async () => {
  const dir = path.join(sandbox, `state-${n++}`);
  await mkdir(dir);
  return new ImageService(dir, [reg.host], LIMIT);
};
const ref = (r: string) => `${reg.host}/${r}`;
const layerEntries = async (images: ImageService) => readdir(images.layers.root).catch(() => [] as string[]);

/** addTwoLayerImage serves an image whose second layer holds `second` on top of `first`. */
async function addTwoLayerImage(repo: string, first: Record<string, string>, second: Record<string, string>): Promise<void> {
  const top = await makeLayer(second);
  reg.putBlob(top.gz);
  await reg.addCustomImage(repo, 'v1', first, {
    config: (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [...c.rootfs.diff_ids, digestOf(top.tar)] } }),
    manifest: (m) => ({ ...m, layers: [...m.layers, { mediaType: MediaType.OciLayerGzip, digest: digestOf(top.gz), size: top.gz.length }] }),
  });
}

async function assertRefused(images: ImageService, repo: string): Promise<void> {
  const reference = ImageService.canonical(ref(`${repo}:v1`));
  await assert.rejects(images.ensure(reference), (e: Error) => {
    assert.ok(e instanceof ImageTooLargeError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.message, `image ${reference} unpacks to more than ${LIMIT} bytes (--image-max-unpacked-bytes)`);
    return true;
  });
  assert.deepEqual(
    (await layerEntries(images)).filter((e) => e.startsWith('.tmp-')),
    [],
    'no partial layer directory',
  );
  await assert.rejects(stat(images.recordPath(reference)), /ENOENT/, 'no image recorded');
}

test('an image within the limit unpacks', async () => {
  await reg.addImage('ok/small', 'v1', { a: 'x'.repeat(LIMIT) });
  const img = await (await fresh()).ensure(ref('ok/small:v1'));
  assert.equal((await stat(path.join(img.layerDirs[0], 'a'))).size, LIMIT);
});

test('one layer whose files add up to more than the limit is stopped while unpacking', async () => {
  // 600 + 600 bytes: the second file takes the image over, its gzip blob stays far below the limit.
  await reg.addImage('evil/bomb', 'v1', { a: 'x'.repeat(600), b: 'y'.repeat(600) });
  const images = await fresh();
  await assertRefused(images, 'evil/bomb');
  assert.deepEqual(await layerEntries(images), [], 'nothing committed');
});

test('layers each within the limit but over it together are refused', async () => {
  await addTwoLayerImage('evil/sum', { a: 'x'.repeat(600) }, { b: 'y'.repeat(600) });
  const images = await fresh();
  await assertRefused(images, 'evil/sum');
});

test('a layer blob declaring more bytes than the limit is refused before it is fetched', async () => {
  // 2000 hex digits of random bytes gzip to about 1000 bytes: four times a limit of LIMIT / 4.
  const img = await reg.addImage('evil/declared', 'v1', { a: randomBytes(LIMIT).toString('hex') });
  const images = new ImageService(path.join(sandbox, `state-${n++}`), [reg.host], LIMIT / 4);
  await assert.rejects(images.ensure(ref('evil/declared:v1')), (e: Error) => e instanceof ImageTooLargeError && e.message.includes(`layer ${img.layerDigest} declares`));
  assert.equal(reg.hits.get(`/v2/evil/declared/blobs/${img.layerDigest}`) ?? 0, 0, 'not fetched');
});
