/**
 * The OCI Distribution endpoints: route matching and one handler per
 * operation. Handlers talk to a BlobStore only; they never touch files.
 * Everything from the request is validated before use: names, tags, and
 * every digest (in the URL, the `digest` and `mount` query parameters, and
 * each descriptor of a pushed manifest or index) by libs/oci's validator,
 * answering 400 DIGEST_INVALID / NAME_INVALID / MANIFEST_INVALID.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidDigestError, validateDigest, parseManifest, referencedDigests, ManifestInvalidError, digestOf } from '#libs/oci';
import { BlobStore, DigestMismatchError, UploadOffsetError, UploadUnknownError } from '../storage/blob-store.js';
import { RegistryError } from './errors.js';
import { AuthError, type TokenAuth } from '../auth/token-auth.js';
import { allows, type Access } from '#libs/regauth';
import type { GarbageCollector } from '../storage/gc.js';

const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const ROUTE_RE = /^\/v2\/(.+?)\/(?:blobs\/uploads\/([^/]*)|blobs\/([^/]+)|manifests\/([^/]+)|tags\/list)$/;
/** MAX_MANIFEST_BYTES: manifests are small JSON documents; refuse anything bigger. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * readBody reads a body of at most `limit` bytes. Past the limit the rest is
 * drained and discarded (neither buffered nor the connection cut), so a
 * client still writing its body gets its 400 instead of a broken pipe.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const tooBig = () => {
      req.removeListener('data', onData);
      req.resume();
      reject(new RegistryError('SIZE_INVALID', `body larger than ${limit} bytes`));
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > limit) return tooBig();
      chunks.push(c);
    };
    if (declared > limit) return tooBig();
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    // A client that goes away mid-body ends no read: settle (a no-op after 'end').
    req.once('close', () => reject(new RegistryError('MANIFEST_INVALID', 'request body cut short')));
  });
}

/** checkDigest validates a digest from the request; `field` says where it came from. */
function checkDigest(d: string | null | undefined, field: string): string {
  try {
    return validateDigest(d ?? undefined, field);
  } catch (err) {
    if (err instanceof InvalidDigestError) throw new RegistryError('DIGEST_INVALID', err.message, { field });
    throw err;
  }
}

/** actionsFor: what a method needs on a repository (writes need pull too, as Distribution has it). */
function actionsFor(method: string): string[] {
  if (method === 'GET' || method === 'HEAD') return ['pull'];
  if (method === 'DELETE') return ['delete'];
  return ['pull', 'push'];
}

/** quote shows a request value in an error message, escaped and cut short. */
function quote(v: string): string {
  return JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}…` : v);
}

/**
 * chunkOffset reads a chunk's Content-Range (`<start>-<end>`, inclusive):
 * the offset it claims, checked against its Content-Length; undefined
 * when there is none (the chunk goes at the end).
 */
function chunkOffset(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-range'];
  if (raw === undefined) return undefined;
  const m = /^(?:bytes )?(\d{1,15})-(\d{1,15})$/.exec(raw);
  if (!m) throw new RegistryError('RANGE_INVALID', `Content-Range must be <start>-<end>, got ${quote(raw)}`);
  const [start, end] = [Number(m[1]), Number(m[2])];
  if (end < start) throw new RegistryError('RANGE_INVALID', `Content-Range ${quote(raw)} ends before it starts`);
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) !== end - start + 1) {
    throw new RegistryError('RANGE_INVALID', `Content-Range ${quote(raw)} is ${end - start + 1} bytes but Content-Length is ${length}`);
  }
  return start;
}

export class Routes {
  /** Uploads with a write in progress (see exclusive). */
  private readonly writing = new Set<string>();

  constructor(
    private readonly store: BlobStore,
    private readonly auth?: TokenAuth,
    private readonly gc?: GarbageCollector,
  ) {}

  /** authorize checks the token for `needs` when auth is on; returns what the token grants (undefined: auth off). */
  private async authorize(req: IncomingMessage, needs: Access[]): Promise<Access[] | undefined> {
    if (!this.auth) return undefined;
    try {
      return await this.auth.check(req, needs);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      if (err.status === 503) throw new RegistryError('UNKNOWN', err.message, undefined, { status: 503 });
      const denied = /does not grant/.test(err.message);
      throw new RegistryError(denied ? 'DENIED' : 'UNAUTHORIZED', denied ? `requested access to the resource is denied: ${err.message}` : err.message, undefined, {
        status: 401,
        headers: { 'www-authenticate': err.challenge! },
      });
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry');
    const method = req.method ?? 'GET';
    res.setHeader('docker-distribution-api-version', 'registry/2.0');
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      await this.authorize(req, []);
      return this.json(res, 200, {});
    }
    if (url.pathname === '/v2/_catalog' && method === 'GET') {
      await this.authorize(req, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
      return this.catalog(url, res);
    }
    if (url.pathname === '/admin/gc' && method === 'POST' && this.gc) {
      await this.authorize(req, [{ type: 'registry', name: 'gc', actions: ['*'] }]);
      return this.json(res, 200, await this.gc.run());
    }
    const m = ROUTE_RE.exec(url.pathname);
    if (!m) throw new RegistryError('UNSUPPORTED', `no route for ${method} ${url.pathname}`);
    const [, name, uploadId, blobDigest, reference] = m;
    if (name.length > 255 || !NAME_RE.test(name)) throw new RegistryError('NAME_INVALID', `invalid repository name ${quote(name)}`);
    const granted = await this.authorize(req, [{ type: 'repository', name: name, actions: actionsFor(method) }]);
    if (uploadId !== undefined) return this.upload(method, name, uploadId, url, req, res, granted);
    if (blobDigest !== undefined) return this.blob(method, name, blobDigest, req, res);
    if (reference !== undefined) return this.manifest(method, name, reference, req, res);
    if (method !== 'GET') throw new RegistryError('UNSUPPORTED', `${method} not allowed on tags`);
    return this.tags(name, url, res);
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const s = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s), ...headers });
    res.end(s);
  }

  private empty(res: ServerResponse, status: number, headers: Record<string, string | number>): void {
    res.writeHead(status, { 'content-length': 0, ...headers });
    res.end();
  }

  private paginate(items: string[], url: URL): { page: string[]; next?: string } {
    const n = url.searchParams.has('n') ? Math.max(0, Number(url.searchParams.get('n')) | 0) : items.length;
    const last = url.searchParams.get('last');
    const from = last ? items.filter((t) => t > last) : items;
    const page = from.slice(0, n);
    return { page, next: page.length < from.length ? page[page.length - 1] : undefined };
  }

  private async catalog(url: URL, res: ServerResponse): Promise<void> {
    const { page, next } = this.paginate(await this.store.listRepositories(), url);
    this.json(res, 200, { repositories: page }, next ? { link: `</v2/_catalog?last=${next}&n=${page.length}>; rel="next"` } : {});
  }

  private async tags(name: string, url: URL, res: ServerResponse): Promise<void> {
    const tags = await this.store.listTags(name);
    if (!tags) throw new RegistryError('NAME_UNKNOWN', `repository ${name} not known to registry`);
    const { page, next } = this.paginate(tags, url);
    this.json(res, 200, { name, tags: page }, next ? { link: `</v2/${name}/tags/list?last=${next}&n=${page.length}>; rel="next"` } : {});
  }

  private async blob(method: string, name: string, digestRaw: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const digest = checkDigest(digestRaw, 'blob digest in the URL');
    if (method === 'DELETE') {
      if (!(await this.store.unlinkBlob(name, digest))) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} unknown`);
      return this.empty(res, 202, {});
    }
    if (method !== 'GET' && method !== 'HEAD') throw new RegistryError('UNSUPPORTED', `${method} not allowed on blobs`);
    const info = await this.store.statBlob(name, digest);
    if (!info) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} unknown to repository ${name}`);
    // A HEAD is how a pushing client learns it can skip an upload: keep the blob through GC's grace period.
    if (method === 'HEAD') await this.store.touchBlob(name, digest);
    const headers: Record<string, string | number> = { 'docker-content-digest': digest, 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), info.size - 1) : info.size - 1;
      if (start > end) throw new RegistryError('RANGE_INVALID', `range ${req.headers.range} not satisfiable for ${info.size} bytes`);
      res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${info.size}` });
      if (method === 'HEAD') return void res.end();
      return this.send(this.store.readBlob(digest, { start, end }), res);
    }
    res.writeHead(200, { ...headers, 'content-length': info.size });
    if (method === 'HEAD') return void res.end();
    return this.send(this.store.readBlob(digest), res);
  }

  /** send streams a blob; a read failing after the headers went out (blob removed meanwhile) cuts the connection instead of crashing. */
  private async send(blob: Readable, res: ServerResponse): Promise<void> {
    await pipeline(blob, res).catch(() => res.destroy());
  }

  private uploadHeaders(name: string, id: string, size: number): Record<string, string | number> {
    return { location: `/v2/${name}/blobs/uploads/${id}`, range: `0-${Math.max(0, size - 1)}`, 'docker-upload-uuid': id };
  }

  private async upload(method: string, name: string, id: string, url: URL, req: IncomingMessage, res: ServerResponse, granted?: Access[]): Promise<void> {
    if (method === 'POST' && id === '') {
      const mount = url.searchParams.has('mount') ? checkDigest(url.searchParams.get('mount'), 'mount query parameter') : undefined;
      const from = url.searchParams.get('from');
      if (from !== null && (from.length > 255 || !NAME_RE.test(from))) throw new RegistryError('NAME_INVALID', `invalid repository name ${quote(from)} in the from query parameter`);
      // A mount needs pull on the source; without it the client gets a plain upload, as the spec says.
      const mayRead = (repo: string) => !granted || allows(granted, 'repository', repo, 'pull');
      if (mount && from && mayRead(from) && (await this.store.statBlob(from, mount))) {
        await this.store.linkBlob(name, mount);
        return this.empty(res, 201, { location: `/v2/${name}/blobs/${mount}`, 'docker-content-digest': mount });
      }
      const digest = url.searchParams.has('digest') ? checkDigest(url.searchParams.get('digest'), 'digest query parameter') : undefined;
      const up = await this.store.startUpload(name);
      if (digest) {
        await this.append(name, up.id, req);
        const blob = await this.commit(name, up.id, digest);
        return this.empty(res, 201, { location: `/v2/${name}/blobs/${blob}`, 'docker-content-digest': blob });
      }
      return this.empty(res, 202, this.uploadHeaders(name, up.id, 0));
    }
    const up = await this.store.getUpload(name, id);
    if (!up) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} unknown`);
    if (method === 'GET') return this.empty(res, 204, this.uploadHeaders(name, id, up.size));
    if (method === 'DELETE') {
      // Under the same guard as writes: a cancel in the middle of a chunk would leave the chunk writing into nothing.
      await this.exclusive(id, () => this.store.cancelUpload(name, id));
      return this.empty(res, 204, {});
    }
    if (method === 'PATCH' || method === 'PUT') {
      // A PUT's digest is checked before its body is taken: a bad one changes nothing.
      const digest = method === 'PUT' ? checkDigest(url.searchParams.get('digest'), 'digest query parameter') : undefined;
      const offset = chunkOffset(req);
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      let size = up.size;
      if (hasBody || method === 'PATCH') size = (await this.append(name, id, req, offset)).size;
      if (method === 'PATCH') return this.empty(res, 202, this.uploadHeaders(name, id, size));
      const blob = await this.commit(name, id, digest!);
      return this.empty(res, 201, { location: `/v2/${name}/blobs/${blob}`, 'docker-content-digest': blob });
    }
    throw new RegistryError('UNSUPPORTED', `${method} not allowed on uploads`);
  }

  /**
   * exclusive runs one write on an upload at a time (chunk, final PUT or
   * cancel): a second one arriving while one is still being written would
   * interleave bytes or pull the file from under it, so it is refused
   * instead of queued.
   */
  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (this.writing.has(id)) throw new RegistryError('BLOB_UPLOAD_INVALID', `upload ${id} is busy with another chunk; send chunks one after another`);
    this.writing.add(id);
    try {
      return await fn();
    } finally {
      this.writing.delete(id);
    }
  }

  private append(name: string, id: string, req: IncomingMessage, offset?: number) {
    return this.exclusive(id, async () => {
      try {
        return await this.store.appendUpload(name, id, req, offset);
      } catch (err) {
        if (err instanceof UploadOffsetError) throw new RegistryError('RANGE_INVALID', err.message);
        if (err instanceof UploadUnknownError) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', err.message);
        throw err;
      }
    });
  }

  private commit(name: string, id: string, digest: string): Promise<string> {
    return this.exclusive(id, async () => {
      try {
        return (await this.store.commitUpload(name, id, digest)).digest;
      } catch (err) {
        if (err instanceof DigestMismatchError) throw new RegistryError('DIGEST_INVALID', err.message);
        if (err instanceof UploadUnknownError) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', err.message);
        throw err;
      }
    });
  }

  private async manifest(method: string, name: string, reference: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A tag never has a colon; anything with one is meant as a digest and must be one.
    const byDigest = reference.includes(':');
    if (byDigest) checkDigest(reference, 'manifest digest in the URL');
    else if (!TAG_RE.test(reference)) throw new RegistryError('MANIFEST_INVALID', `invalid tag ${quote(reference)}`);
    if (method === 'PUT') {
      const bytes = await readBody(req, MAX_MANIFEST_BYTES);
      let parsed;
      try {
        parsed = parseManifest(bytes, req.headers['content-type'] ?? '');
      } catch (err) {
        if (err instanceof ManifestInvalidError) throw new RegistryError('MANIFEST_INVALID', err.message);
        throw err;
      }
      const digest = digestOf(bytes);
      if (byDigest && digest !== reference) throw new RegistryError('DIGEST_INVALID', `manifest digest is ${digest}, not ${reference}`);
      for (const d of referencedDigests(parsed)) {
        const known = parsed.kind === 'manifest' ? await this.store.statBlob(name, d) : await this.store.getManifest(name, d);
        if (!known) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${d}, which repository ${name} does not have`, { digest: d });
      }
      await this.store.putManifest(name, digest, parsed.mediaType, bytes, byDigest ? undefined : reference);
      const subject = parsed.kind === 'manifest' ? parsed.manifest.subject?.digest : undefined;
      return this.empty(res, 201, { location: `/v2/${name}/manifests/${digest}`, 'docker-content-digest': digest, ...(subject ? { 'oci-subject': subject } : {}) });
    }
    if (method === 'DELETE') {
      const gone = byDigest ? await this.store.deleteManifest(name, reference) : await this.store.untag(name, reference);
      if (!gone) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${name}:${reference} unknown`);
      return this.empty(res, 202, {});
    }
    if (method !== 'GET' && method !== 'HEAD') throw new RegistryError('UNSUPPORTED', `${method} not allowed on manifests`);
    const m = await this.store.getManifest(name, reference);
    if (!m) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${name}:${reference} unknown`);
    res.writeHead(200, { 'content-type': m.mediaType, 'content-length': m.bytes.length, 'docker-content-digest': m.digest });
    res.end(method === 'HEAD' ? undefined : m.bytes);
  }
}
