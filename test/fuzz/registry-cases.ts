/**
 * RegistryCases: the registry fuzzer's request generator. Each `next()` is
 * one hostile request against the OCI Distribution API: blob and manifest
 * reads with bad digests, names and Range headers; manifest pushes with
 * malformed, oversized, deeply nested or inconsistent documents and media
 * types; uploads started, chunked out of order, overlapping, with wrong or
 * malformed Content-Range, finished with right and wrong digests, on
 * unknown or foreign upload ids; mounts; listings; odd methods and paths.
 * It learns upload locations from the answers (onAnswer), so chunks hit
 * live uploads. Pure apart from that feedback: no IO.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { MediaType } from '#libs/oci';
import { CANARY, contentRange, digest, name, nested, range, sha256, tag, type Rng } from './hostile-values.js';

export interface FuzzRequest {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A Buffer goes with Content-Length; an array of Buffers goes chunked (no length). */
  body?: Buffer | Buffer[];
  onAnswer?: (status: number, headers: IncomingHttpHeaders) => void;
}

/** FuzzFixture: a valid image pushed before fuzzing, so known digests and tags exist. */
export interface FuzzFixture {
  repo: string;
  tag: string;
  layer: string;
  config: string;
  manifest: { digest: string; bytes: Buffer };
}

interface LiveUpload {
  loc: string;
  data: Buffer[];
  size: number;
}

/** MAX_LIVE_UPLOADS bounds the uploads the generator keeps chunking into. */
const MAX_LIVE_UPLOADS = 16;

export class RegistryCases {
  private readonly uploads: LiveUpload[] = [];
  private readonly names: string[];
  private readonly digests: string[];

  constructor(
    private readonly r: Rng,
    private readonly fx: FuzzFixture,
  ) {
    this.names = [fx.repo, 'fuzz/other', 'fuzz/mounted'];
    this.digests = [fx.layer, fx.config, fx.manifest.digest];
  }

  next(): FuzzRequest {
    const r = this.r;
    const kinds: Array<[number, () => FuzzRequest]> = [
      [10, () => this.blobRead()],
      [5, () => this.rangeRead()],
      [8, () => this.manifestRead()],
      [16, () => this.manifestPush()],
      [10, () => this.uploadStart()],
      [18, () => this.uploadChunk()],
      [8, () => this.uploadFinish()],
      [5, () => this.uploadStatus()],
      [5, () => this.listing()],
      [5, () => this.oddRequest()],
    ];
    let x = r.int(kinds.reduce((a, [w]) => a + w, 0));
    for (const [w, make] of kinds) {
      if (x < w) return make();
      x -= w;
    }
    return this.oddRequest();
  }

  private blobRead(): FuzzRequest {
    const method = this.r.pick(['GET', 'HEAD', 'DELETE']);
    return { label: `blob ${method}`, method, path: `/v2/${name(this.r, this.names)}/blobs/${digest(this.r, this.digests)}`, headers: this.r.chance(0.3) ? { range: range(this.r) } : {} };
  }

  private rangeRead(): FuzzRequest {
    const method = this.r.pick(['GET', 'HEAD']);
    return { label: `blob ${method} with Range`, method, path: `/v2/${this.fx.repo}/blobs/${this.r.pick([this.fx.layer, this.fx.config])}`, headers: { range: range(this.r) } };
  }

  private reference(): string {
    return this.r.chance(0.5) ? digest(this.r, this.digests) : tag(this.r, [this.fx.tag]);
  }

  private manifestRead(): FuzzRequest {
    const method = this.r.pick(['GET', 'HEAD', 'GET', 'DELETE']);
    const accept = this.r.pick([MediaType.OciManifest, `${MediaType.OciIndex}, ${MediaType.DockerManifest}`, '*/*', 'text/html', '']);
    return { label: `manifest ${method}`, method, path: `/v2/${name(this.r, this.names)}/manifests/${this.reference()}`, headers: accept ? { accept } : {} };
  }

  /** manifestDoc: the fixture's manifest with one hostile change, or an index, or raw junk. */
  private manifestBody(): { body: Buffer; mediaType: string } {
    const r = this.r;
    const doc = JSON.parse(this.fx.manifest.bytes.toString()) as Record<string, any>;
    const layer = doc.layers[0];
    const bad = () => (r.chance(0.5) ? digest(r, this.digests) : r.pick([null, 7, {}, [], true, 'x']));
    const mutations: Array<() => unknown> = [
      () => doc,
      () => ({ ...doc, config: { ...doc.config, digest: bad() } }),
      () => ({ ...doc, layers: [{ ...layer, digest: bad() }] }),
      () => ({ ...doc, layers: [{ ...layer, size: r.pick([-1, 1e300, '1', null, 2 ** 53, 0.5]) }] }),
      () => ({ ...doc, layers: Array.from({ length: r.pick([100, 5000]) }, () => layer) }),
      () => ({ ...doc, layers: Array.from({ length: 200 }, () => ({ ...layer, digest: sha256(r.hex(8)) })) }),
      () => ({ ...doc, layers: r.pick([{}, 'x', null, [null], [[]]]) }),
      () => ({ ...doc, config: undefined }),
      () => ({ ...doc, schemaVersion: r.pick([1, '2', 3, null]) }),
      () => ({ ...doc, mediaType: r.pick([MediaType.OciIndex, MediaType.DockerManifest, 'text/plain', '', 5, 'application/vnd.oci.image.manifest.v1+json\r\nx: y']) }),
      () => ({ ...doc, subject: { mediaType: MediaType.OciManifest, digest: bad(), size: 1 } }),
      () => ({ ...doc, annotations: JSON.parse(nested(r.pick([50, 500]), 'object')) }),
      () => ({ ...doc, annotations: { big: 'x'.repeat(r.pick([1000, 100_000])) } }),
      () => ({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } }, ...doc }),
      () => ({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [{ mediaType: MediaType.OciManifest, digest: this.fx.manifest.digest, size: this.fx.manifest.bytes.length, platform: { os: 'linux', architecture: 'amd64' } }],
      }),
      () => ({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: bad(), size: 10, platform: r.pick([null, 'x', { os: 7 }]) }] }),
      () => ({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: r.pick([null, {}, 'x', Array.from({ length: 1000 }, () => ({ mediaType: MediaType.OciManifest, digest: sha256(r.hex(4)), size: 1 }))]),
      }),
    ];
    const raw: Array<() => Buffer> = [
      () => Buffer.alloc(0),
      () => Buffer.from(r.pick(['null', '[]', '{', '"x"', '1e999', '{"schemaVersion":2}'])),
      () => Buffer.from(nested(r.pick([1000, 100_000]), r.pick(['array', 'object'] as const))),
      () => r.bytes(r.pick([10, 1000])),
      () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), this.fx.manifest.bytes]),
      () => Buffer.from(this.fx.manifest.bytes.toString().replace('"schemaVersion"', '"schemaVersion":2,"schemaVersion"')),
      () => Buffer.from(`{"a":"${'\\ud800'.repeat(10)}"}`),
    ];
    const body = r.chance(0.75) ? Buffer.from(JSON.stringify(r.pick(mutations)()) ?? 'null') : r.pick(raw)();
    if (r.chance(0.01)) return { body: Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), mediaType: MediaType.OciManifest };
    const mediaType = r.pick([
      MediaType.OciManifest,
      MediaType.OciManifest,
      MediaType.OciIndex,
      MediaType.DockerManifest,
      MediaType.DockerManifestList,
      'application/json',
      '',
      'text/plain; charset=utf-8',
      `${MediaType.OciManifest}; charset=utf-8`,
      'x/'.repeat(500),
    ]);
    return { body, mediaType };
  }

  private manifestPush(): FuzzRequest {
    const { body, mediaType } = this.manifestBody();
    const ref = this.r.pick([() => tag(this.r, [this.fx.tag, 'fuzzed']), () => sha256(body), () => digest(this.r, this.digests)])();
    const headers: Record<string, string> = mediaType ? { 'content-type': mediaType } : {};
    return {
      label: `manifest PUT (${body.length} bytes, ${mediaType.slice(0, 60) || 'no type'})`,
      method: 'PUT',
      path: `/v2/${name(this.r, this.names)}/manifests/${ref}`,
      headers,
      body: this.r.chance(0.1) ? chunks(body) : body,
    };
  }

  private remember(status: number, headers: IncomingHttpHeaders): void {
    const loc = headers.location;
    if (status !== 202 || typeof loc !== 'string' || !loc.includes('/blobs/uploads/')) return;
    this.uploads.push({ loc, data: [], size: 0 });
    if (this.uploads.length > MAX_LIVE_UPLOADS) this.uploads.shift();
  }

  private uploadStart(): FuzzRequest {
    const r = this.r;
    const repo = name(r, this.names);
    const data = r.bytes(r.pick([0, 10, 1000]));
    const variant = r.int(5);
    if (variant === 0) return { label: 'upload start', method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: {}, onAnswer: (s, h) => this.remember(s, h) };
    if (variant === 1) return { label: 'monolithic upload, right digest', method: 'POST', path: `/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, headers: {}, body: data };
    if (variant === 2) return { label: 'monolithic upload, hostile digest', method: 'POST', path: `/v2/${repo}/blobs/uploads/?digest=${digest(r, this.digests)}`, headers: {}, body: data };
    const mount = r.chance(0.7) ? `mount=${digest(r, this.digests)}` : '';
    const from = r.chance(0.7) ? `from=${name(r, this.names)}` : '';
    return { label: 'mount', method: 'POST', path: `/v2/${repo}/blobs/uploads/?${[mount, from].filter(Boolean).join('&')}`, headers: {}, onAnswer: (s, h) => this.remember(s, h) };
  }

  /** uploadPath: a live upload's location, or one that is unknown, malformed or in another repository. */
  private uploadPath(): { path: string; up?: LiveUpload } {
    const r = this.r;
    const up = this.uploads.length && r.chance(0.8) ? r.pick(this.uploads) : undefined;
    if (up && r.chance(0.9)) return { path: up.loc, up };
    const id = r.pick([`${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`, '..', '%2e%2e%2f%2e%2e%2f' + CANARY, 'x'.repeat(300), '%00', '', up ? up.loc.split('/').pop()! : 'none']);
    return { path: `/v2/${name(r, this.names)}/blobs/uploads/${id}` };
  }

  private uploadChunk(): FuzzRequest {
    const r = this.r;
    const { path, up } = this.uploadPath();
    const chunk = r.bytes(r.pick([0, 1, 100, 4096, 65536, r.chance(0.05) ? 2 * 1024 * 1024 : 10]));
    const cr = contentRange(r, up?.size ?? 0, chunk.length);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...(cr ? { 'content-range': cr } : {}) };
    const chunked = r.chance(0.15);
    return {
      label: `chunk ${chunk.length} bytes, Content-Range ${cr ?? 'none'}${chunked ? ', chunked encoding' : ''}${up ? '' : ', foreign upload'}`,
      method: 'PATCH',
      path,
      headers,
      body: chunked ? chunks(chunk) : chunk,
      onAnswer: (s) => {
        if (up && s === 202) {
          up.data.push(chunk);
          up.size += chunk.length;
        }
      },
    };
  }

  private uploadFinish(): FuzzRequest {
    const r = this.r;
    const { path, up } = this.uploadPath();
    const last = r.chance(0.5) ? r.bytes(r.pick([1, 500])) : undefined;
    const right = up ? sha256(Buffer.concat([...up.data, ...(last ? [last] : [])])) : undefined;
    const d = right && r.chance(0.6) ? right : r.chance(0.2) ? '' : digest(r, this.digests);
    const query = r.chance(0.05) ? '' : `${path.includes('?') ? '&' : '?'}digest=${d}`;
    return {
      label: `upload finish${last ? ` with ${last.length} bytes` : ''}, ${d === right ? 'right' : 'hostile'} digest`,
      method: 'PUT',
      path: `${path}${query}`,
      headers: last ? { 'content-range': `${up?.size ?? 0}-${(up?.size ?? 0) + last.length - 1}` } : {},
      body: last,
      onAnswer: (s) => {
        if (up && (s === 201 || s === 404)) this.uploads.splice(this.uploads.indexOf(up), 1);
      },
    };
  }

  private uploadStatus(): FuzzRequest {
    const method = this.r.pick(['GET', 'DELETE', 'HEAD', 'POST']);
    const { path, up } = this.uploadPath();
    return { label: `upload ${method}`, method, path, headers: {}, onAnswer: (s) => up && method === 'DELETE' && s === 204 && this.uploads.splice(this.uploads.indexOf(up), 1) };
  }

  private listing(): FuzzRequest {
    const r = this.r;
    const q = [
      r.chance(0.5) ? `n=${r.pick(['-1', '0', '1', '1e10', 'abc', '99999999999999999999', ''])}` : '',
      r.chance(0.5) ? `last=${r.pick(['', '%00', 'zzz', tag(r, []), name(r, this.names)])}` : '',
    ]
      .filter(Boolean)
      .join('&');
    const p = r.chance(0.5) ? `/v2/${name(r, this.names)}/tags/list` : '/v2/_catalog';
    return { label: 'listing', method: r.pick(['GET', 'GET', 'HEAD', 'POST']), path: q ? `${p}?${q}` : p, headers: {} };
  }

  private oddRequest(): FuzzRequest {
    const r = this.r;
    const path = r.pick([
      '/',
      '/v2',
      '/v2/',
      '/v2/../../../../etc/passwd',
      `/v2/%2e%2e/%2e%2e/${CANARY}`,
      '/v2/%00',
      '/v2/a/b/c',
      '/v2/a/blobs/',
      '/v2/a/manifests/',
      '/v2/a/blobs/uploads',
      `/v2/${'x/'.repeat(2000)}tags/list`,
      '/admin/gc',
      '/v2/a/tags/list/extra',
      `/v2/a/blobs/${sha256('x')}/extra`,
      '/favicon.ico',
      '//v2//',
    ]);
    const method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'HEAD']);
    // POST /admin/gc runs a collection: allowed, but rarely, as a client would.
    if (path === '/admin/gc' && method === 'POST' && r.chance(0.8)) return this.listing();
    return {
      label: `odd ${method}`,
      method,
      path,
      headers: r.chance(0.3) ? { 'content-type': r.pick(['', 'x', 'multipart/form-data; boundary=-', 'application/json']) } : {},
      body: r.chance(0.3) ? r.bytes(50) : undefined,
    };
  }
}

/** chunks splits a body for chunked transfer encoding. */
function chunks(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 1000) out.push(b.subarray(i, i + 1000));
  return out.length ? out : [Buffer.alloc(0)];
}
