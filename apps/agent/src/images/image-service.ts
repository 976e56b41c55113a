/**
 * ImageService: makes an image present on this host. Local first: a
 * reference pulled before is served from <stateDir>/images without asking
 * the registry; else the manifest is resolved, config and layers are fetched
 * concurrently into the content store, and every layer is unpacked once into
 * the LayerStore (<stateDir>/layers/<diff_id hex>, verified against its
 * diff_id before it is committed), so containers share layers through
 * overlayfs. Every digest from the registry (manifest, config's diff_ids)
 * or from a record on disk is validated before it names anything.
 * Sizes are bounded: a blob is cut off past its declared size, and an image
 * whose files add up to more than maxUnpackedBytes stops unpacking there.
 * Concurrent ensures of the same image share one pull.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ContentStore } from './content-store.js';
import { RegistryClient } from './registry-client.js';
import { unpackLayer } from './unpack.js';
import { LayerStore } from './layer-store.js';
import { DEFAULT_MAX_IMAGE_UNPACKED_BYTES, ImageTooLargeError, UnpackBudget } from './unpack-budget.js';
import { parseImageRef, formatImageRef, parseImageConfig, validateDigest, InvalidDigestError, ManifestInvalidError, type ImageManifest } from './oci.js';
import { ImageNotFoundError } from '../errors.js';
import type { EnsureOptions, ImageStore, LocalImage } from './image-store.js';

export type { EnsureOptions, LocalImage, PullProgress } from './image-store.js';

/** LayerMismatchError: an image whose layers do not match its config's diff_ids. */
export class LayerMismatchError extends Error {}

/** FETCH_CONCURRENCY: blobs downloaded at once per pull. */
const FETCH_CONCURRENCY = 3;
/** PROGRESS_EVERY_MS: the least time between two download progress reports of a layer. */
const PROGRESS_EVERY_MS = 100;
/** MAX_CONFIG_BYTES: an image config is read whole into memory; real ones are kilobytes, so this is generous. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** eachLimited runs fn over items, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

export class ImageService implements ImageStore {
  readonly content: ContentStore;
  readonly layers: LayerStore;
  private readonly client: RegistryClient;
  private readonly inflight = new Map<string, Promise<LocalImage>>();
  private readonly unpacking = new Map<string, Promise<string>>();

  constructor(
    readonly stateDir: string,
    insecureRegistries: string[],
    private readonly maxUnpackedBytes = DEFAULT_MAX_IMAGE_UNPACKED_BYTES,
  ) {
    this.content = new ContentStore(stateDir);
    this.layers = new LayerStore(stateDir);
    this.client = new RegistryClient(insecureRegistries);
  }

  /** canonical is the form a reference is recorded under. */
  static canonical(image: string): string {
    return formatImageRef(parseImageRef(image, ''));
  }

  /** pulling resolves once no pull is in flight (GC waits for it). */
  async pulling(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
  }

  recordPath(reference: string): string {
    return path.join(this.stateDir, 'images', `${createHash('sha256').update(reference).digest('hex')}.json`);
  }

  /** layerDir names a layer's directory (validating diffId). */
  layerDir(diffId: string): string {
    return this.layers.dir(diffId);
  }

  async ensure(image: string, opts: EnsureOptions = {}): Promise<LocalImage> {
    // A malformed reference throws InvalidImageRefError naming what is wrong.
    const ref = parseImageRef(image, '');
    if (!ref.registry) throw new ImageNotFoundError(image);
    const reference = formatImageRef(ref);
    const local = await this.local(reference);
    if (local) {
      for (const l of local.layers) opts.onProgress?.({ layer: l.digest, phase: 'exists', current: l.size, total: l.size });
      return local;
    }
    let p = this.inflight.get(reference);
    if (!p) {
      p = this.pull(reference, opts).finally(() => this.inflight.delete(reference));
      this.inflight.set(reference, p);
    }
    return p;
  }

  /**
   * local reads the record of a reference pulled before. Its layer dirs are
   * derived from the validated diff_ids, never taken from the file; a record
   * that does not check out, or a layer not (verified) present, means: pull again.
   */
  private async local(reference: string): Promise<LocalImage | undefined> {
    const raw = await readFile(this.recordPath(reference), 'utf8').catch(() => undefined);
    if (!raw) return undefined;
    try {
      const img = JSON.parse(raw) as LocalImage;
      if (!Array.isArray(img.layers)) return undefined; // recorded by an older agent
      validateDigest(img.manifestDigest, 'recorded manifest digest');
      const layerDirs = img.layers.map((l, i) => {
        validateDigest(l.digest, `recorded layers[${i}].digest`);
        return this.layers.dir(l.diffId);
      });
      for (const l of img.layers) if (!(await this.layers.has(l.diffId))) return undefined;
      return { ...img, layerDirs };
    } catch (err) {
      if (err instanceof SyntaxError || err instanceof InvalidDigestError || err instanceof TypeError) return undefined;
      throw err;
    }
  }

  private async pull(reference: string, opts: EnsureOptions): Promise<LocalImage> {
    const ref = parseImageRef(reference, '');
    const { digest, manifest } = await this.client.resolve(ref, reference, opts.auth);
    this.checkSizes(reference, manifest);
    const report = opts.onProgress ?? (() => {});
    const isLayer = new Set(manifest.layers.map((l) => l.digest));
    for (const l of manifest.layers) report({ layer: l.digest, phase: 'waiting', current: 0, total: l.size });
    const fetchBlob = async ({ digest: d, size }: { digest: string; size: number }) => {
      if (await this.content.has(d)) return;
      let last = 0;
      const onBytes = isLayer.has(d)
        ? (n: number) => {
            if (Date.now() - last < PROGRESS_EVERY_MS && n < size) return;
            last = Date.now();
            report({ layer: d, phase: 'downloading', current: n, total: size });
          }
        : undefined;
      await this.content.ingest(d, size, await this.client.blob(ref, d, opts.auth), onBytes);
    };
    await eachLimited([manifest.config, ...manifest.layers], FETCH_CONCURRENCY, fetchBlob);
    // parseImageConfig validates every diff_id: they name layer directories.
    const config = parseImageConfig(await this.content.readBytes(manifest.config.digest), `${reference}: image config`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) throw new LayerMismatchError(`${reference}: config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`);
    const budget = new UnpackBudget(reference, this.maxUnpackedBytes);
    // Every unpack settles before the pull fails: none is left writing once the task has its error.
    const unpacked = await Promise.allSettled(
      manifest.layers.map(async (l, i) => {
        report({ layer: l.digest, phase: 'extracting', current: l.size, total: l.size });
        const dir = await this.unpackOnce(l.digest, diffIds[i], budget);
        report({ layer: l.digest, phase: 'done', current: l.size, total: l.size });
        return dir;
      }),
    );
    const failed = unpacked.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const layerDirs = unpacked.map((r) => (r as PromiseFulfilledResult<string>).value);
    const layers = manifest.layers.map((l, i) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: diffIds[i] }));
    const img: LocalImage = { reference, manifestDigest: digest, config, layerDirs, layers };
    const rec = this.recordPath(reference);
    await mkdir(path.dirname(rec), { recursive: true });
    await writeFile(`${rec}.tmp`, JSON.stringify(img));
    await rename(`${rec}.tmp`, rec);
    return img;
  }

  /** checkSizes refuses, before any download, a config too big to read or a layer blob bigger than the image may unpack to. */
  private checkSizes(reference: string, manifest: ImageManifest): void {
    if (manifest.config.size > MAX_CONFIG_BYTES)
      throw new ManifestInvalidError(`${reference}: config.size is ${manifest.config.size} bytes, more than the ${MAX_CONFIG_BYTES} an image config may have`);
    for (const l of manifest.layers)
      if (l.size > this.maxUnpackedBytes)
        throw new ImageTooLargeError(`image ${reference}: layer ${l.digest} declares ${l.size} bytes, more than the ${this.maxUnpackedBytes} the image may unpack to (--image-max-unpacked-bytes)`);
  }

  /** unpackOnce shares one unpack of a layer between concurrent pulls; the first pull's budget counts it. */
  private unpackOnce(blobDigest: string, diffId: string, budget: UnpackBudget): Promise<string> {
    let p = this.unpacking.get(diffId);
    if (!p) {
      p = this.unpack(blobDigest, diffId, budget).finally(() => this.unpacking.delete(diffId));
      this.unpacking.set(diffId, p);
    }
    return p;
  }

  /** unpack makes layer diffId present: a verified layer is reused; else blobDigest is unpacked, checked against diffId, committed. */
  private async unpack(blobDigest: string, diffId: string, budget: UnpackBudget): Promise<string> {
    if (await this.layers.has(diffId)) return this.layers.dir(diffId);
    const tmp = this.layers.tempDir();
    try {
      const actual = await unpackLayer(this.content.read(blobDigest), tmp, { layerRoot: true, budget });
      if (actual !== diffId) throw new LayerMismatchError(`layer ${blobDigest}: uncompressed digest ${actual} does not match diff_id ${diffId}`);
      return await this.layers.commit(tmp, diffId);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
