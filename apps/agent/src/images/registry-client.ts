/**
 * RegistryClient: the pull side of the OCI Distribution API. Resolves a
 * reference to a linux/amd64 image manifest (through an index when there is
 * one) and streams blobs. Answers an anonymous Bearer challenge so public
 * repositories of token-auth registries work.
 */
import { Readable } from 'node:stream';
import {
  MANIFEST_ACCEPT, parseManifest, selectPlatform, digestOf, type ImageManifest, type ImageRef,
} from './oci.js';
import { ImageNotFoundError } from '../runtime/errors.js';

/** REQUEST_TIMEOUT_MS bounds each registry round trip (not a whole blob download). */
const REQUEST_TIMEOUT_MS = 30_000;

/** Distribution error codes that mean the repository or the tag does not exist. */
const NOT_FOUND_CODES = new Set(['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);

export class PullError extends Error {}

/** errorCodes reads the `errors[].code` list of a Distribution error body, [] when there is none. */
async function errorCodes(res: Response): Promise<string[]> {
  try {
    const body = (await res.json()) as { errors?: Array<{ code?: unknown }> };
    return (body.errors ?? []).map((e) => String(e.code ?? '')).filter(Boolean);
  } catch {
    return [];
  }
}

export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(private readonly insecure: string[]) {}

  private base(ref: ImageRef): string {
    return `${this.insecure.includes(ref.registry) ? 'http' : 'https'}://${ref.registry}`;
  }

  private async get(ref: ImageRef, urlPath: string, accept?: string): Promise<Response> {
    const url = `${this.base(ref)}${urlPath}`;
    const send = async () => {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      const tok = this.tokens.get(`${ref.registry}/${ref.repository}`);
      if (tok) headers.authorization = `Bearer ${tok}`;
      try {
        return await fetch(url, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      } catch (err) {
        throw new PullError(`cannot reach registry ${ref.registry}: ${String((err as Error).cause ?? (err as Error).message)}`);
      }
    };
    let res = await send();
    if (res.status === 401) {
      await res.body?.cancel().catch(() => {});
      await this.authenticate(ref, res.headers.get('www-authenticate') ?? '');
      res = await send();
    }
    return res;
  }

  private async authenticate(ref: ImageRef, challenge: string): Promise<void> {
    const m = /^Bearer\s+(.*)$/i.exec(challenge);
    if (!m) throw new PullError(`registry ${ref.registry} requires credentials`);
    const params = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (!params.realm) throw new PullError(`registry ${ref.registry} sent a Bearer challenge without realm`);
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    u.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
    const res = await fetch(u, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((e) => {
      throw new PullError(`token endpoint ${u.host}: ${(e as Error).message}`);
    });
    if (!res.ok) throw new PullError(`registry ${ref.registry} refused anonymous pull (HTTP ${res.status})`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    this.tokens.set(`${ref.registry}/${ref.repository}`, body.token ?? body.access_token ?? '');
  }

  /** resolve returns the platform manifest, its digest and raw bytes. */
  async resolve(ref: ImageRef, display: string): Promise<{ digest: string; manifest: ImageManifest; bytes: Buffer }> {
    let reference = ref.digest || ref.tag;
    for (let depth = 0; depth < 2; depth++) {
      const res = await this.get(ref, `/v2/${ref.repository}/manifests/${reference}`, MANIFEST_ACCEPT);
      if (!res.ok) {
        const codes = await errorCodes(res);
        if (res.status === 404 || codes.some((c) => NOT_FOUND_CODES.has(c))) throw new ImageNotFoundError(display);
        throw new PullError(`registry ${ref.registry}: manifest ${display}: HTTP ${res.status}${codes.length ? ` (${codes.join(', ')})` : ''}`);
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      const digest = digestOf(bytes);
      if (reference.startsWith('sha256:') && digest !== reference) throw new PullError(`manifest digest mismatch for ${display}`);
      const parsed = parseManifest(bytes, res.headers.get('content-type') ?? '');
      if (parsed.kind === 'manifest') return { digest, manifest: parsed.manifest, bytes };
      const d = selectPlatform(parsed.index);
      if (!d) throw new PullError(`${display} has no linux/amd64 image`);
      reference = d.digest;
    }
    throw new PullError(`${display}: nested image index`);
  }

  async blob(ref: ImageRef, digest: string): Promise<Readable> {
    const res = await this.get(ref, `/v2/${ref.repository}/blobs/${digest}`);
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new PullError(`registry ${ref.registry}: blob ${digest}: HTTP ${res.status}`);
    }
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  }
}
