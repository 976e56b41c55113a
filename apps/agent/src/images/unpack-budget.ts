/**
 * UnpackBudget: how many bytes of regular-file content one image may write
 * while its layers are unpacked, summed over all of them and counted as the
 * bytes stream to disk, so a layer that inflates far past its blob (a gzip
 * bomb) is stopped at the limit instead of filling the host's disk first.
 * One budget per pull; the agent's --image-max-unpacked-bytes sets the limit.
 */
import { Transform } from 'node:stream';

/** DEFAULT_MAX_IMAGE_UNPACKED_BYTES: 20 GiB, above the largest images in common use (CUDA/ML bases are 10 to 15 GiB). */
export const DEFAULT_MAX_IMAGE_UNPACKED_BYTES = 20 * 1024 ** 3;

/** ImageTooLargeError: an image whose files add up to more than the agent allows. */
export class ImageTooLargeError extends Error {}

export class UnpackBudget {
  private used = 0;

  constructor(
    private readonly image: string,
    private readonly limit: number,
  ) {}

  /** meter passes a file's content through, failing at the chunk that takes the image over its limit. */
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _e, cb) => {
        this.used += chunk.length;
        if (this.used > this.limit) return cb(new ImageTooLargeError(`image ${this.image} unpacks to more than ${this.limit} bytes (--image-max-unpacked-bytes)`));
        cb(null, chunk);
      },
    });
  }
}
