/** sha256 digests in the `sha256:<hex>` form the specs use. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isValidDigest(d: string): boolean {
  return DIGEST_RE.test(d);
}

export function digestOf(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** digestFile streams a file through sha256 and returns its digest and size. */
export async function digestFile(path: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}
