/**
 * ImageGc: removes what no container needs — image records not used by any
 * container on this host, then layer directories and content blobs no
 * remaining image or build-cache entry refers to. Runs on request (`berth
 * image prune`) and by itself when the state dir's filesystem runs short of
 * space. "Used" means by any task this agent manages, running or not (as
 * Docker counts stopped containers); a task gets its manager before its
 * image is pulled, so a starting container's image is never taken away.
 * Records on disk are read as untrusted: only valid digests keep anything,
 * and only entries named by a digest's hex are removed as layers or blobs.
 */
import { readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { ImageService, type LocalImage } from './image-service.js';
import { isValidDigest } from './oci.js';

/** hexIfValid: a digest's hex when it is a valid digest, else undefined (keeps nothing). */
const hexIfValid = (d: unknown): string | undefined => (isValidDigest(d) ? d.slice('sha256:'.length) : undefined);
const HEX_RE = /^[0-9a-f]{64}$/;

export interface PruneResult {
  removedImages: string[];
  bytesFreed: number;
}

async function du(p: string): Promise<number> {
  const st = await stat(p).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of await readdir(p).catch(() => [] as string[])) n += await du(path.join(p, e)).catch(() => 0);
  return n;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export class ImageGc {
  private running?: Promise<PruneResult>;

  constructor(
    private readonly images: ImageService,
    private readonly inUse: () => Promise<string[]>,
    private readonly log: (m: string) => void = () => {},
  ) {}

  prune(): Promise<PruneResult> {
    this.running ??= this.collect().finally(() => (this.running = undefined));
    return this.running;
  }

  /** pruneIfLow prunes when less than `lowPercent` of the state dir's filesystem is free. */
  async pruneIfLow(lowPercent: number): Promise<PruneResult | undefined> {
    const fs = await statfs(this.images.stateDir);
    const free = (fs.bavail / fs.blocks) * 100;
    if (free >= lowPercent) return undefined;
    const r = await this.prune();
    this.log(`disk ${free.toFixed(1)}% free (< ${lowPercent}%): removed ${r.removedImages.length} unused images, ${(r.bytesFreed / 1e6).toFixed(1)} MB`);
    return r;
  }

  private async collect(): Promise<PruneResult> {
    await this.images.pulling();
    const keep = new Set(
      (await this.inUse()).flatMap((i) => {
        try {
          return [ImageService.canonical(i)];
        } catch {
          return [];
        }
      }),
    );
    const dir = (...p: string[]) => path.join(this.images.stateDir, ...p);
    const keepDirs = new Set<string>();
    const keepBlobs = new Set<string>();
    const removedImages: string[] = [];
    let bytesFreed = 0;
    const add = (set: Set<string>, hex: string | undefined) => hex && set.add(hex);
    for (const f of await readdir(dir('images')).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      const img = (parseJson(await readFile(dir('images', f), 'utf8').catch(() => '{}')) as Partial<LocalImage> | undefined) ?? {};
      if (typeof img.reference === 'string' && keep.has(img.reference)) {
        for (const l of Array.isArray(img.layers) ? img.layers : []) {
          add(keepDirs, hexIfValid(l?.diffId));
          add(keepBlobs, hexIfValid(l?.digest));
        }
        // Records of older agents name their layer dirs only.
        for (const d of Array.isArray(img.layerDirs) ? img.layerDirs : []) if (typeof d === 'string' && HEX_RE.test(path.basename(d))) keepDirs.add(path.basename(d));
        continue;
      }
      await rm(dir('images', f), { force: true });
      if (img.reference) removedImages.push(img.reference);
    }
    // The build cache keeps its layers: `berth build` reuses them.
    for (const f of await readdir(dir('build-cache')).catch(() => [] as string[])) {
      const l = parseJson(await readFile(dir('build-cache', f), 'utf8').catch(() => 'null')) as { diffId?: unknown; digest?: unknown } | null | undefined;
      if (l && typeof l === 'object') {
        add(keepDirs, hexIfValid(l.diffId));
        add(keepBlobs, hexIfValid(l.digest));
      }
    }
    // A layer is its directory <hex> and its marker <hex>.verified; `.tmp-` entries belong to unpacks under way.
    const layerHexes = new Set<string>();
    for (const d of await readdir(dir('layers')).catch(() => [] as string[])) {
      const hex = d.slice(0, 64);
      if (d.startsWith('.tmp-') || !HEX_RE.test(hex) || keepDirs.has(hex)) continue;
      layerHexes.add(hex);
    }
    for (const hex of layerHexes) {
      bytesFreed += await du(dir('layers', hex));
      await this.images.layers.remove(hex);
    }
    for (const b of await readdir(dir('content', 'blobs', 'sha256')).catch(() => [] as string[])) {
      if (keepBlobs.has(b) || !HEX_RE.test(b)) continue;
      bytesFreed += await du(dir('content', 'blobs', 'sha256', b));
      await rm(dir('content', 'blobs', 'sha256', b), { force: true });
    }
    return { removedImages: removedImages.sort(), bytesFreed };
  }
}
