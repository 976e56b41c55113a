/**
 * ImageService: makes an image present on this host. Local first: a
 * reference pulled before is served from <stateDir>/images without asking
 * the registry; else the manifest is resolved, config and layers are fetched
 * concurrently into the content store, and every layer is unpacked once into
 * <stateDir>/layers/<diff_id hex> (in a temp dir, renamed when complete), so
 * containers share layers through overlayfs. Concurrent ensures of the same
 * image share one pull.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { ContentStore } from './content-store.js';
import { RegistryClient, type PullCredentials } from './registry-client.js';
import { unpackLayer } from './unpack.js';
import { parseImageRef, formatImageRef, type ImageConfig } from './oci.js';
import { ImageNotFoundError } from '../runtime/errors.js';

/** LayerMismatchError: an image whose layers do not match its config's diff_ids. */
export class LayerMismatchError extends Error {}

/** PullProgress: one layer's state during a pull (bytes for downloads). */
export interface PullProgress {
  layer: string;
  phase: 'waiting' | 'downloading' | 'extracting' | 'done' | 'exists';
  current: number;
  total: number;
}

export interface EnsureOptions {
  auth?: PullCredentials;
  onProgress?: (p: PullProgress) => void;
}

/** FETCH_CONCURRENCY: blobs downloaded at once per pull. */
const FETCH_CONCURRENCY = 3;
/** PROGRESS_EVERY_MS: the least time between two download progress reports of a layer. */
const PROGRESS_EVERY_MS = 100;

/** eachLimited runs fn over items, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export interface LocalImage {
  reference: string;
  manifestDigest: string;
  config: ImageConfig;
  /** Layer directories, bottom layer first. */
  layerDirs: string[];
  /** The manifest's layer blobs, bottom first (what a build on top of this image pushes). */
  layers: Array<{ digest: string; size: number; mediaType: string; diffId: string }>;
}

export class ImageService {
  readonly content: ContentStore;
  private readonly client: RegistryClient;
  private readonly inflight = new Map<string, Promise<LocalImage>>();
  private readonly unpacking = new Map<string, Promise<string>>();

  constructor(readonly stateDir: string, insecureRegistries: string[]) {
    this.content = new ContentStore(stateDir);
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

  layerDir(diffId: string): string {
    return path.join(this.stateDir, 'layers', diffId.slice('sha256:'.length));
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

  private async local(reference: string): Promise<LocalImage | undefined> {
    const raw = await readFile(this.recordPath(reference), 'utf8').catch(() => undefined);
    if (!raw) return undefined;
    const img = JSON.parse(raw) as LocalImage;
    if (!Array.isArray(img.layers)) return undefined; // recorded by an older agent: pull again
    for (const d of img.layerDirs) if (!(await stat(d).catch(() => undefined))) return undefined;
    return img;
  }

  private async pull(reference: string, opts: EnsureOptions): Promise<LocalImage> {
    const ref = parseImageRef(reference, '');
    const { digest, manifest } = await this.client.resolve(ref, reference, opts.auth);
    const report = opts.onProgress ?? (() => {});
    const isLayer = new Set(manifest.layers.map((l) => l.digest));
    for (const l of manifest.layers) report({ layer: l.digest, phase: 'waiting', current: 0, total: l.size });
    const fetchBlob = async ({ digest: d, size }: { digest: string; size: number }) => {
      if (await this.content.has(d)) return;
      let last = 0;
      const onBytes = isLayer.has(d) ? (n: number) => {
        if (Date.now() - last < PROGRESS_EVERY_MS && n < size) return;
        last = Date.now();
        report({ layer: d, phase: 'downloading', current: n, total: size });
      } : undefined;
      await this.content.ingest(d, size, await this.client.blob(ref, d, opts.auth), onBytes);
    };
    await eachLimited([manifest.config, ...manifest.layers], FETCH_CONCURRENCY, fetchBlob);
    const config = JSON.parse((await this.content.readBytes(manifest.config.digest)).toString('utf8')) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) throw new LayerMismatchError(`${reference}: config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`);
    const layerDirs = await Promise.all(manifest.layers.map(async (l, i) => {
      report({ layer: l.digest, phase: 'extracting', current: l.size, total: l.size });
      const dir = await this.unpackOnce(l.digest, diffIds[i]!);
      report({ layer: l.digest, phase: 'done', current: l.size, total: l.size });
      return dir;
    }));
    const layers = manifest.layers.map((l, i) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: diffIds[i]! }));
    const img: LocalImage = { reference, manifestDigest: digest, config, layerDirs, layers };
    const rec = this.recordPath(reference);
    await mkdir(path.dirname(rec), { recursive: true });
    await writeFile(`${rec}.tmp`, JSON.stringify(img));
    await rename(`${rec}.tmp`, rec);
    return img;
  }

  private unpackOnce(blobDigest: string, diffId: string): Promise<string> {
    let p = this.unpacking.get(diffId);
    if (!p) {
      p = this.unpack(blobDigest, diffId).finally(() => this.unpacking.delete(diffId));
      this.unpacking.set(diffId, p);
    }
    return p;
  }

  private async unpack(blobDigest: string, diffId: string): Promise<string> {
    const dest = this.layerDir(diffId);
    if (await stat(dest).catch(() => undefined)) return dest;
    const tmp = path.join(this.stateDir, 'layers', `.tmp-${randomUUID()}`);
    try {
      const actual = await unpackLayer(this.content.read(blobDigest), tmp, { layerRoot: true });
      if (actual !== diffId) throw new LayerMismatchError(`layer ${blobDigest}: uncompressed digest ${actual} does not match diff_id ${diffId}`);
      await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
        // Another agent process sharing this state dir finished the same layer first.
        if ((err.code === 'ENOTEMPTY' || err.code === 'EEXIST') && (await stat(dest).catch(() => undefined))) return;
        throw err;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dest;
  }
}
