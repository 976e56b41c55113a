/**
 * Digests: the one validator every digest from outside (manifests, indexes,
 * image configs, URLs, query strings, build requests, records on disk) goes
 * through before it is used, and the only way a digest becomes a file path.
 * Berth accepts `sha256:` followed by exactly 64 lowercase hex characters;
 * everything else is refused, naming the field and the value (the OCI
 * grammar allows other algorithms, but content is only ever hashed with
 * sha256 here, so another algorithm could never be verified).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** The OCI digest grammar (algorithm ":" encoded), used only to word the error. */
const OCI_GRAMMAR_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** InvalidDigestError: a value that is not a digest Berth accepts; names the field it came from. */
export class InvalidDigestError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
  ) {
    super(`${field}: ${describe(value)} is not a valid digest (${why(value)})`);
  }
}

/** describe quotes a value for an error message, escaped and cut short so a hostile value cannot flood a log. */
function describe(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'missing value' : `${value === null ? 'null' : typeof value} value`;
  const s = JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  return s;
}

function why(value: unknown): string {
  if (typeof value !== 'string') return 'must be a string "sha256:<64 lowercase hex>"';
  if (OCI_GRAMMAR_RE.test(value) && !value.startsWith('sha256:')) return `unsupported algorithm "${value.slice(0, value.indexOf(':'))}"; only sha256 is accepted`;
  return 'must be "sha256:" followed by 64 lowercase hex characters';
}

export function isValidDigest(d: unknown): d is string {
  return typeof d === 'string' && DIGEST_RE.test(d);
}

/** validateDigest returns `value` when it is a valid digest, else throws InvalidDigestError naming `field`. */
export function validateDigest(value: unknown, field: string): string {
  if (!isValidDigest(value)) throw new InvalidDigestError(field, value);
  return value;
}

/** digestHex validates a digest and returns its hex part (what files are named after). */
export function digestHex(digest: unknown, field = 'digest'): string {
  return validateDigest(digest, field).slice('sha256:'.length);
}

/**
 * digestPath is the one way to name a file after a digest: `<dir>/<hex>`
 * (plus `suffix`), after validation, so the result can never leave `dir`.
 */
export function digestPath(dir: string, digest: unknown, field = 'digest', suffix = ''): string {
  return path.join(dir, `${digestHex(digest, field)}${suffix}`);
}

export function digestOf(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** digestFile streams a file through sha256 and returns its digest and size. */
export async function digestFile(file: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}
