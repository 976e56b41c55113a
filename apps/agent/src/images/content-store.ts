/**
 * ContentStore: blobs by digest under <stateDir>/content/blobs/sha256/.
 * A blob is streamed to a temp file, its size and sha256 checked, then
 * renamed into place, so a present file is always complete and verified.
 * Every digest is validated (libs/oci digestPath) before it names a file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestPath, validateDigest } from './oci.js';

export class DigestMismatchError extends Error {}

export class ContentStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'content', 'blobs', 'sha256');
  }

  /** path names a blob's file; throws InvalidDigestError for anything but a valid digest. */
  path(digest: string): string {
    return digestPath(this.dir, digest, 'blob digest');
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(
      () => true,
      () => false,
    );
  }

  read(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  readBytes(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /**
   * store streams `data` to a temp file, hashing it; `accept` sees digest and
   * size and may throw; then the file becomes the blob. Never a partial blob.
   */
  private async store(data: Readable, accept: (digest: string, size: number) => void, onBytes?: (total: number) => void): Promise<{ digest: string; size: number }> {
    await mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.ingest-${randomUUID()}`);
    const h = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        data,
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            h.update(chunk);
            size += chunk.length;
            onBytes?.(size);
            cb(null, chunk);
          },
        }),
        createWriteStream(tmp),
      );
      const digest = `sha256:${h.digest('hex')}`;
      accept(digest, size);
      await rename(tmp, this.path(digest));
      return { digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** put stores a stream whose digest is not known beforehand; returns digest and size. */
  put(data: Readable): Promise<{ digest: string; size: number }> {
    return this.store(data, () => {});
  }

  /** ingest writes `data` as blob `digest`, verifying digest and (when >= 0) size; onBytes sees the running total. */
  async ingest(digest: string, expectedSize: number, data: Readable, onBytes?: (total: number) => void): Promise<void> {
    try {
      validateDigest(digest, 'blob digest');
    } catch (err) {
      data.destroy();
      throw err;
    }
    await this.store(
      data,
      (actual, size) => {
        if (actual !== digest) throw new DigestMismatchError(`blob ${digest}: content digest is ${actual}`);
        if (expectedSize >= 0 && size !== expectedSize) throw new DigestMismatchError(`blob ${digest}: size ${size}, manifest says ${expectedSize}`);
      },
      onBytes,
    );
  }
}
