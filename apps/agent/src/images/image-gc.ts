/**
 * ImageGc: removes what no container needs — image records not used by any
 * container on this host, then layer directories and content blobs no
 * remaining image or build-cache entry refers to. Runs on request (`berth
 * image prune`) and by itself when the state dir's filesystem runs short of
 * space. "Used" means by any task this agent manages, running or not (as
 * Docker counts stopped containers); a task gets its manager before its
 * image is pulled, so a starting container's image is never taken away.
 */
import { readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { ImageService, type LocalImage } from './image-service.js';

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

export class ImageGc {
  private running?: Promise<PruneResult>;

  constructor(private readonly images: ImageService, private readonly inUse: () => Promise<string[]>, private readonly log: (m: string) => void = () => {}) {}

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
    const keep = new Set((await this.inUse()).flatMap((i) => {
      try {
        return [ImageService.canonical(i)];
      } catch {
        return [];
      }
    }));
    const dir = (...p: string[]) => path.join(this.images.stateDir, ...p);
    const keepDirs = new Set<string>();
    const keepBlobs = new Set<string>();
    const removedImages: string[] = [];
    let bytesFreed = 0;
    for (const f of await readdir(dir('images')).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      const img = JSON.parse(await readFile(dir('images', f), 'utf8').catch(() => '{}')) as Partial<LocalImage>;
      if (img.reference && keep.has(img.reference)) {
        for (const d of img.layerDirs ?? []) keepDirs.add(path.basename(d));
        for (const l of img.layers ?? []) keepBlobs.add(l.digest.slice(7));
        continue;
      }
      await rm(dir('images', f), { force: true });
      if (img.reference) removedImages.push(img.reference);
    }
    // The build cache keeps its layers: `berth build` reuses them.
    for (const f of await readdir(dir('build-cache')).catch(() => [] as string[])) {
      const l = JSON.parse(await readFile(dir('build-cache', f), 'utf8').catch(() => 'null')) as { dir: string; digest: string } | null;
      if (l) {
        keepDirs.add(path.basename(l.dir));
        keepBlobs.add(l.digest.slice(7));
      }
    }
    for (const d of await readdir(dir('layers')).catch(() => [] as string[])) {
      if (keepDirs.has(d) || d.startsWith('.tmp-')) continue;
      bytesFreed += await du(dir('layers', d));
      await rm(dir('layers', d), { recursive: true, force: true });
    }
    for (const b of await readdir(dir('content', 'blobs', 'sha256')).catch(() => [] as string[])) {
      if (keepBlobs.has(b) || !/^[0-9a-f]{64}$/.test(b)) continue;
      bytesFreed += await du(dir('content', 'blobs', 'sha256', b));
      await rm(dir('content', 'blobs', 'sha256', b), { force: true });
    }
    return { removedImages: removedImages.sort(), bytesFreed };
  }
}
