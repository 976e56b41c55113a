/**
 * ContentStore: blobs by digest under <stateDir>/content/blobs/sha256/.
 * A blob is streamed to a temp file, its size and sha256 checked, then
 * renamed into place, so a present file is always complete and verified.
 * A download with a declared size is cut off at the first chunk past it,
 * never stored whole and checked after. Every digest is validated (libs/oci
 * digestPath) before it names a file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestPath, validateDigest } from './oci.js';

export class DigestMismatchError extends Error {}

/** StoreChecks: what `store` asks while a blob streams in and once it is all there. */
interface StoreChecks {
  /** refuse returns an error to stop at this running size, before the chunk is written. */
  refuse?: (size: number) => Error | undefined;
  /** accept sees the finished blob's digest and size and throws to drop it. */
  accept?: (digest: string, size: number) => void;
  onBytes?: (total: number) => void;
}

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
   * store streams `data` to a temp file, hashing it; `refuse` may stop it at
   * a running size before that chunk is written (the source is torn down);
   * `accept` sees digest and size and may throw; then the file becomes the
   * blob. Never a partial blob.
   */
  private async store(data: Readable, check: StoreChecks = {}): Promise<{ digest: string; size: number }> {
    await mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.ingest-${randomUUID()}`);
    const h = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        data,
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            size += chunk.length;
            const refused = check.refuse?.(size);
            if (refused) return cb(refused);
            h.update(chunk);
            check.onBytes?.(size);
            cb(null, chunk);
          },
        }),
        createWriteStream(tmp),
      );
      const digest = `sha256:${h.digest('hex')}`;
      check.accept?.(digest, size);
      await rename(tmp, this.path(digest));
      return { digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** put stores a stream whose digest is not known beforehand; returns digest and size. */
  put(data: Readable): Promise<{ digest: string; size: number }> {
    return this.store(data);
  }

  /**
   * ingest writes `data` as blob `digest`, verifying digest and size; with
   * `expectedSize` -1 (unknown) only the digest. A stream that runs past
   * the size is stopped there. onBytes sees the running total.
   */
  async ingest(digest: string, expectedSize: number, data: Readable, onBytes?: (total: number) => void): Promise<void> {
    try {
      validateDigest(digest, 'blob digest');
      if (expectedSize !== -1 && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) throw new DigestMismatchError(`blob ${digest}: declared size ${expectedSize} is not a byte count`);
    } catch (err) {
      data.destroy();
      throw err;
    }
    const known = expectedSize >= 0;
    await this.store(data, {
      refuse: (size) =>
        known && size > expectedSize ? new DigestMismatchError(`blob ${digest}: download stopped at ${size} bytes, more than the ${expectedSize} its descriptor declares`) : undefined,
      accept: (actual, size) => {
        if (actual !== digest) throw new DigestMismatchError(`blob ${digest}: content digest is ${actual}`);
        if (known && size !== expectedSize) throw new DigestMismatchError(`blob ${digest}: size ${size}, manifest says ${expectedSize}`);
      },
      onBytes,
    });
  }
}
