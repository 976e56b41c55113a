/**
 * GarbageCollector: mark and sweep over the blob store. Marks every manifest
 * revision any repository keeps (tagged or not) and what it references
 * (config, layers, subject, an index's manifests); sweeps blobs nobody
 * marked whose last use (upload, link, or a HEAD/mount by a pushing client)
 * is older than the grace period, and expires abandoned uploads. Safe while
 * pushes run: anything a push is about to reference was used moments ago.
 * One collection runs at a time.
 */
import { parseManifest, referencedDigests } from '#libs/oci';
import type { CollectableStore } from './blob-store.js';

export interface GcResult {
  blobsRemoved: number;
  bytesFreed: number;
  blobsKept: number;
  uploadsExpired: number;
  durationMs: number;
}

export class GarbageCollector {
  private running?: Promise<GcResult>;

  constructor(
    private readonly store: CollectableStore,
    private readonly graceMs: number,
    private readonly uploadMaxIdleMs: number,
    private readonly log: (m: string) => void = () => {},
  ) {}

  run(): Promise<GcResult> {
    this.running ??= this.collect().finally(() => (this.running = undefined));
    return this.running;
  }

  private async mark(): Promise<Set<string>> {
    const marked = new Set<string>();
    for (const repo of await this.store.listRepositories()) {
      const queue = await this.store.revisions(repo);
      while (queue.length) {
        const digest = queue.pop()!;
        if (marked.has(digest)) continue;
        marked.add(digest);
        const m = await this.store.getManifest(repo, digest);
        if (!m) continue;
        try {
          const parsed = parseManifest(m.bytes, m.mediaType);
          for (const d of referencedDigests(parsed)) {
            if (parsed.kind === 'index') queue.push(d);
            else marked.add(d);
          }
          if (parsed.kind === 'manifest' && parsed.manifest.subject) marked.add(parsed.manifest.subject.digest);
        } catch {
          /* a stored manifest that no longer parses keeps only itself */
        }
      }
    }
    return marked;
  }

  private async collect(): Promise<GcResult> {
    const t0 = Date.now();
    const marked = await this.mark();
    const cutoff = Date.now() - this.graceMs;
    const r: GcResult = { blobsRemoved: 0, bytesFreed: 0, blobsKept: 0, uploadsExpired: 0, durationMs: 0 };
    for await (const b of this.store.blobs()) {
      if (marked.has(b.digest) || b.lastUsedMs > cutoff) {
        r.blobsKept++;
        continue;
      }
      await this.store.deleteBlob(b.digest);
      r.blobsRemoved++;
      r.bytesFreed += b.size;
    }
    r.uploadsExpired = await this.store.expireUploads(this.uploadMaxIdleMs);
    r.durationMs = Date.now() - t0;
    this.log(`gc: removed ${r.blobsRemoved} blobs (${r.bytesFreed} bytes), kept ${r.blobsKept}, expired ${r.uploadsExpired} uploads in ${r.durationMs} ms`);
    return r;
  }
}
