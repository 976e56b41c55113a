/**
 * A small OCI Distribution server on 127.0.0.1 for the image specs: serves
 * blobs and manifests from memory, optionally behind an anonymous Bearer
 * token, counts requests by path, and answers unknown names the way
 * registries do (404 with NAME_UNKNOWN / MANIFEST_UNKNOWN bodies).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { digestOf, MediaType } from './oci.js';

export interface TestImage {
  manifestDigest: string;
  indexDigest: string;
  configDigest: string;
  layerDigest: string;
  diffId: string;
}

export class TestRegistry {
  readonly blobs = new Map<string, Buffer>();
  /** repository → reference (tag or digest) → [content type, bytes] */
  readonly manifests = new Map<string, Map<string, [string, Buffer]>>();
  readonly hits = new Map<string, number>();
  /** When set, /v2/ requests need `Bearer <token>` from the /token endpoint. */
  token = '';
  private server?: Server;
  host = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.hits.set(url.pathname, (this.hits.get(url.pathname) ?? 0) + 1);
      const send = (status: number, body: Buffer | string, type = 'application/json', extra: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': type, ...extra });
        res.end(body);
      };
      const err = (status: number, code: string) => send(status, JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] }));
      if (url.pathname === '/token') {
        return send(200, JSON.stringify({ token: url.searchParams.get('scope')?.startsWith('repository:') ? this.token : 'wrong' }));
      }
      if (this.token && req.headers.authorization !== `Bearer ${this.token}`) {
        res.setHeader('www-authenticate', `Bearer realm="http://${this.host}/token",service="test-registry"`);
        return err(401, 'UNAUTHORIZED');
      }
      const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
      if (!m) return err(404, 'NOT_FOUND');
      const [, repo, kind, ref] = m as unknown as [string, string, string, string];
      if (repo.endsWith('broken')) return err(500, 'UNKNOWN');
      const mans = this.manifests.get(repo);
      if (!mans) return err(404, 'NAME_UNKNOWN');
      if (kind === 'manifests') {
        const hit = mans.get(ref);
        return hit ? send(200, hit[1], hit[0]) : err(404, 'MANIFEST_UNKNOWN');
      }
      const blob = this.blobs.get(ref);
      return blob ? send(200, blob, 'application/octet-stream') : err(404, 'BLOB_UNKNOWN');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** addImage stores a one-layer image under repo:tag, reachable through a two-platform index. */
  async addImage(repo: string, tag: string, files: Record<string, string>, cmd = ['sh']): Promise<TestImage> {
    const pack = tar.pack();
    for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o755, mtime: new Date(0) }, body);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
    const layerTar = Buffer.concat(chunks);
    const layer = gzipSync(layerTar);
    const diffId = digestOf(layerTar);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: cmd }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
    const desc = (mediaType: string, b: Buffer) => ({ mediaType, digest: digestOf(b), size: b.length });
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc(MediaType.OciConfig, config), layers: [desc(MediaType.OciLayerGzip, layer)] }));
    const other = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc(MediaType.OciConfig, config), layers: [] }));
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [
        { ...desc(MediaType.OciManifest, other), platform: { os: 'linux', architecture: 'arm64' } },
        { ...desc(MediaType.OciManifest, manifest), platform: { os: 'linux', architecture: 'amd64' } },
      ],
    }));
    for (const b of [config, layer]) this.blobs.set(digestOf(b), b);
    const mans = this.manifests.get(repo) ?? new Map<string, [string, Buffer]>();
    for (const b of [manifest, other]) mans.set(digestOf(b), [MediaType.OciManifest, b]);
    mans.set(digestOf(index), [MediaType.OciIndex, index]);
    mans.set(tag, [MediaType.OciIndex, index]);
    this.manifests.set(repo, mans);
    return { manifestDigest: digestOf(manifest), indexDigest: digestOf(index), configDigest: digestOf(config), layerDigest: digestOf(layer), diffId };
  }
}
