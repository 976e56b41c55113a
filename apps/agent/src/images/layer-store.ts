/**
 * LayerStore: unpacked layers under <stateDir>/layers/<diff_id hex>, shared
 * by containers (overlayfs lower dirs) and builds. A layer counts as present
 * only when its directory AND its marker <hex>.verified exist: the marker is
 * written by `commit`, which callers reach only after checking that the
 * layer's uncompressed content hashes to the diff_id (a pull's unpack) or
 * after computing the diff_id from the content (a build step). A directory
 * on its own — left by a crash, an older agent or anyone else — is never
 * trusted: it is replaced by a verified unpack (an older agent's layers
 * are adopted once, see legacy-layers.ts). Every diff_id is validated
 * before it names a path. Owns nothing else in the state dir.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { digestPath } from './oci.js';

const MARKER = '.verified';

export class LayerStore {
  readonly root: string;

  constructor(stateDir: string) {
    this.root = path.join(stateDir, 'layers');
  }

  /** dir names a layer's directory; throws InvalidDigestError unless diffId is a valid digest. */
  dir(diffId: string): string {
    return digestPath(this.root, diffId, 'diff_id');
  }

  private marker(diffId: string): string {
    return digestPath(this.root, diffId, 'diff_id', MARKER);
  }

  /** has: the layer was verified and committed (directory and marker both there). */
  async has(diffId: string): Promise<boolean> {
    const [mark, st] = await Promise.all([readFile(this.marker(diffId), 'utf8').catch(() => undefined), stat(this.dir(diffId)).catch(() => undefined)]);
    return mark === diffId && Boolean(st?.isDirectory());
  }

  /** tempDir: a fresh place to unpack into (same filesystem, so commit is a rename; GC skips `.tmp-`). */
  tempDir(): string {
    return path.join(this.root, `.tmp-${randomUUID()}`);
  }

  /**
   * commit moves a VERIFIED unpack (`tmp`) into place as layer `diffId` and
   * marks it. An unverified leftover at that name is replaced; a layer
   * another agent process committed meanwhile is kept and `tmp` dropped.
   */
  async commit(tmp: string, diffId: string): Promise<string> {
    const dest = this.dir(diffId);
    await mkdir(this.root, { recursive: true });
    try {
      await rename(tmp, dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw err;
      if (await this.has(diffId)) {
        await rm(tmp, { recursive: true, force: true });
        return dest;
      }
      const stale = path.join(this.root, `.tmp-stale-${randomUUID()}`);
      await rename(dest, stale);
      await rename(tmp, dest);
      await rm(stale, { recursive: true, force: true });
    }
    await this.mark(diffId);
    return dest;
  }

  /** mark records layer `diffId` as verified (commit's last step; adoptLegacyLayers for older agents' layers). */
  async mark(diffId: string): Promise<void> {
    const markTmp = path.join(this.root, `.tmp-mark-${randomUUID()}`);
    await writeFile(markTmp, diffId);
    await rename(markTmp, this.marker(diffId));
  }

  /** remove drops a layer: marker first, so a half-removed layer is never taken as present. */
  async remove(hex: string): Promise<void> {
    const diffId = `sha256:${hex}`;
    await rm(this.marker(diffId), { force: true });
    await rm(this.dir(diffId), { recursive: true, force: true });
  }
}
