/**
 * RegistryClient: the pull side of the OCI Distribution API. Resolves a
 * reference to a linux/amd64 image manifest (through an index when there is
 * one) and streams blobs. Authenticates as the registry asks: a bearer token
 * handed over with the task is used as is; a Bearer challenge is answered
 * at its realm (with the task's user name and password as Basic credentials,
 * or anonymously); a Basic challenge with the credentials. Credentials live
 * in memory only, for the pull that brought them. Every digest (the
 * reference's, an index's children, blobs asked for) is validated before it
 * goes into a URL, and a manifest must hash to the digest it was asked by.
 */
import { Readable, Transform } from 'node:stream';
import { MANIFEST_ACCEPT, parseManifest, selectPlatform, digestOf, validateDigest, ManifestInvalidError, type ImageManifest, type ImageRef } from './oci.js';
import { ImageNotFoundError } from '../errors.js';

/** REQUEST_TIMEOUT_MS bounds the wait for each registry answer's headers (not a whole blob download). */
const REQUEST_TIMEOUT_MS = 30_000;

/** BLOB_STALL_MS: how long a blob download may go without a byte. */
const BLOB_STALL_MS = 60_000;

/** MAX_MANIFEST_BYTES: a manifest or index bigger than this is refused unread (registries cap them at 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Distribution error codes that mean the repository or the tag does not exist. */
const NOT_FOUND_CODES = new Set(['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);

export class PullError extends Error {}

/** PullCredentials: what a task brings for its image's registry (all empty: anonymous). */
export interface PullCredentials {
  username: string;
  password: string;
  bearerToken: string;
}

/** errorCodes reads the `errors[].code` list of a Distribution error body, [] when there is none. */
async function errorCodes(res: Response): Promise<string[]> {
  try {
    const body = (await res.json()) as { errors?: Array<{ code?: unknown }> };
    return (body.errors ?? []).map((e) => (typeof e.code === 'string' ? e.code : '')).filter(Boolean);
  } catch {
    return [];
  }
}

/** readLimited reads a response body, refusing one over `limit` bytes without buffering the rest. */
async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? -1);
  if (declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new PullError(`${what} is ${declared} bytes, more than the ${limit} a manifest may have`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > limit) {
      await res.body?.cancel().catch(() => {});
      throw new PullError(`${what} is more than the ${limit} bytes a manifest may have`);
    }
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(private readonly insecure: string[]) {}

  private base(ref: ImageRef): string {
    return `${this.insecure.includes(ref.registry) ? 'http' : 'https'}://${ref.registry}`;
  }

  private async get(ref: ImageRef, urlPath: string, accept?: string, creds?: PullCredentials): Promise<Response> {
    const url = `${this.base(ref)}${urlPath}`;
    const key = `${ref.registry}/${ref.repository}`;
    if (creds?.bearerToken) this.tokens.set(key, `Bearer ${creds.bearerToken}`);
    const send = async () => {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      const auth = this.tokens.get(key);
      if (auth) headers.authorization = auth;
      try {
        // The deadline covers the answer's headers only: a large layer may take longer to stream.
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
        try {
          return await fetch(url, { headers, signal: ctl.signal });
        } finally {
          clearTimeout(timer);
        }
      } catch (err) {
        throw new PullError(`cannot reach registry ${ref.registry}: ${(err as Error).cause instanceof Error ? String((err as Error).cause) : (err as Error).message}`);
      }
    };
    let res = await send();
    if (res.status === 401) {
      await res.body?.cancel().catch(() => {});
      await this.authenticate(ref, res.headers.get('www-authenticate') ?? '', creds);
      res = await send();
      if (res.status === 401 || res.status === 403) {
        const codes = await errorCodes(res);
        throw new PullError(
          `registry ${ref.registry} denied pulling ${ref.repository}${creds?.username || creds?.bearerToken ? ' with the credentials given' : ' anonymously (private repository? store credentials with `berth login`)'}${codes.length ? ` (${codes.join(', ')})` : ''}`,
        );
      }
    }
    return res;
  }

  private async authenticate(ref: ImageRef, challenge: string, creds?: PullCredentials): Promise<void> {
    const key = `${ref.registry}/${ref.repository}`;
    const basic = creds?.username ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    if (/^Basic\b/i.test(challenge)) {
      if (!basic) throw new PullError(`registry ${ref.registry} requires credentials (store them with \`berth login ${ref.registry}\`)`);
      this.tokens.set(key, basic);
      return;
    }
    const m = /^Bearer\s+(.*)$/i.exec(challenge);
    if (!m) throw new PullError(`registry ${ref.registry} requires credentials`);
    const params = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (!params.realm) throw new PullError(`registry ${ref.registry} sent a Bearer challenge without realm`);
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    u.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
    const res = await fetch(u, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((e) => {
      throw new PullError(`token endpoint ${u.host}: ${(e as Error).message}`);
    });
    if (!res.ok) throw new PullError(`registry ${ref.registry}: the token endpoint refused ${basic ? 'the credentials' : 'an anonymous pull'} (HTTP ${res.status})`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    this.tokens.set(key, `Bearer ${body.token ?? body.access_token ?? ''}`);
  }

  /** resolve returns the platform manifest, its digest and raw bytes. */
  async resolve(ref: ImageRef, display: string, creds?: PullCredentials): Promise<{ digest: string; manifest: ImageManifest; bytes: Buffer }> {
    let reference = ref.digest ? validateDigest(ref.digest, `${display}: reference digest`) : ref.tag;
    let byDigest = Boolean(ref.digest);
    for (let depth = 0; depth < 2; depth++) {
      const res = await this.get(ref, `/v2/${ref.repository}/manifests/${reference}`, MANIFEST_ACCEPT, creds);
      if (!res.ok) {
        const codes = await errorCodes(res);
        if (res.status === 404 || codes.some((c) => NOT_FOUND_CODES.has(c))) throw new ImageNotFoundError(display);
        throw new PullError(`registry ${ref.registry}: manifest ${display}: HTTP ${res.status}${codes.length ? ` (${codes.join(', ')})` : ''}`);
      }
      const bytes = await readLimited(res, MAX_MANIFEST_BYTES, `manifest ${display}`);
      const digest = digestOf(bytes);
      if (byDigest && digest !== reference) throw new PullError(`manifest digest mismatch for ${display}: asked for ${reference}, got ${digest}`);
      let parsed;
      try {
        parsed = parseManifest(bytes, res.headers.get('content-type') ?? '');
      } catch (err) {
        if (err instanceof ManifestInvalidError) throw new ManifestInvalidError(`${display}: invalid ${depth ? 'platform manifest' : 'manifest'}: ${err.message}`);
        throw err;
      }
      if (parsed.kind === 'manifest') return { digest, manifest: parsed.manifest, bytes };
      const d = selectPlatform(parsed.index);
      if (!d) {
        const have = parsed.index.manifests.map((x) => (x.platform ? `${x.platform.os}/${x.platform.architecture}${x.platform.variant ? `/${x.platform.variant}` : ''}` : 'unknown')).join(', ');
        throw new PullError(`${display} has no linux/amd64 image (it has: ${have || 'none'})`);
      }
      // parseManifest validated every child digest; validate again where it becomes a URL.
      reference = validateDigest(d.digest, `${display}: index manifest digest`);
      byDigest = true;
    }
    throw new PullError(`${display}: nested image index`);
  }

  async blob(ref: ImageRef, digest: string, creds?: PullCredentials): Promise<Readable> {
    validateDigest(digest, 'blob digest');
    const res = await this.get(ref, `/v2/${ref.repository}/blobs/${digest}`, undefined, creds);
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new PullError(`registry ${ref.registry}: blob ${digest}: HTTP ${res.status}`);
    }
    const body = Readable.fromWeb(res.body);
    // A download may be long, but never silent for long: a stalled one fails instead of hanging.
    let timer: NodeJS.Timeout | undefined;
    const guard = new Transform({
      transform(chunk, _e, cb) {
        arm();
        cb(null, chunk);
      },
      flush(cb) {
        clearTimeout(timer);
        cb();
      },
    });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const err = new PullError(`registry ${ref.registry}: blob ${digest} stalled for ${BLOB_STALL_MS / 1000} s`);
        body.destroy(err);
        guard.destroy(err);
      }, BLOB_STALL_MS);
    };
    arm();
    body.on('error', (err) => guard.destroy(err));
    // A reader that stops early (a blob past its declared size) closes the connection too.
    guard.on('close', () => {
      clearTimeout(timer);
      body.destroy();
    });
    return body.pipe(guard);
  }
}
