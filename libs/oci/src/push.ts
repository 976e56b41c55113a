/**
 * pushImage uploads a built image to an OCI Distribution registry: blobs the
 * registry already has are skipped (HEAD), others go up as monolithic
 * uploads (POST then PUT ?digest=, streamed from disk), then the manifest.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { BuiltImage } from './build.js';
import { validateDigest } from './digest.js';

export class PushError extends Error {}

export interface PushOptions {
  insecure?: boolean;
  /** token: a registry bearer token with push and pull on the repository. */
  token?: string;
}

function base(registry: string, opts: PushOptions): string {
  return /^https?:\/\//.test(registry) ? registry.replace(/\/$/, '') : `${opts.insecure === false ? 'https' : 'http'}://${registry}`;
}

async function explain(res: Response, what: string): Promise<PushError> {
  const body = await res.text().catch(() => '');
  let msg = body.slice(0, 300);
  try {
    const e = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (e) msg = `${e.code}: ${e.message}`;
  } catch {
    /* not JSON */
  }
  return new PushError(`${what} failed: HTTP ${res.status}${msg ? ` (${msg})` : ''}`);
}

async function call(url: string, init: RequestInit, what: string, token?: string): Promise<Response> {
  try {
    return await fetch(url, token ? { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } } : init);
  } catch (err) {
    throw new PushError(`${what}: cannot reach registry at ${new URL(url).host}: ${String(((err as Error).cause as Error | undefined) ?? (err as Error).message)}`);
  }
}

/** pushBlob uploads one blob unless the registry has it; `registry` is HOST:PORT or a URL. */
export async function pushBlob(registry: string, repo: string, digest: string, size: number, body: () => NonNullable<RequestInit['body']>, opts: PushOptions = {}): Promise<void> {
  validateDigest(digest, 'blob digest');
  const root = base(registry, opts);
  const token = opts.token;
  const head = await call(`${root}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' }, 'blob check', token);
  if (head.ok) return;
  const start = await call(`${root}/v2/${repo}/blobs/uploads/`, { method: 'POST' }, 'upload start', token);
  if (start.status !== 202) throw await explain(start, 'upload start');
  const loc = start.headers.get('location');
  if (!loc) throw new PushError('registry sent no upload Location');
  const url = new URL(loc, root);
  url.searchParams.set('digest', digest);
  const put = await call(
    url.toString(),
    {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: body(),
      duplex: 'half',
    },
    'blob upload',
    token,
  );
  if (put.status !== 201) throw await explain(put, `upload of ${digest}`);
}

/** fileBody streams a file as a fetch request body. */
export function fileBody(file: string): NonNullable<RequestInit['body']> {
  return Readable.toWeb(createReadStream(file));
}

export async function pushImage(registry: string, repository: string, tag: string, image: BuiltImage, opts: PushOptions = {}): Promise<string> {
  const root = base(registry, opts);
  await pushBlob(root, repository, image.layer.digest, image.layer.size, () => fileBody(image.layer.path), opts);
  await pushBlob(root, repository, image.config.digest, image.config.bytes.length, () => image.config.bytes, opts);
  const res = await call(
    `${root}/v2/${repository}/manifests/${tag}`,
    {
      method: 'PUT',
      headers: { 'content-type': image.manifest.mediaType },
      body: image.manifest.bytes,
    },
    'manifest upload',
    opts.token,
  );
  if (res.status !== 201) throw await explain(res, 'manifest upload');
  return image.manifest.digest;
}
