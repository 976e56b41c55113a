/**
 * FsBlobStore keeps everything under one root directory:
 *   blobs/sha256/<hex>                       content
 *   uploads/<id>                             data of an upload in progress
 *   repositories/<repo>/_layers/<hex>        blob links
 *   repositories/<repo>/_manifests/revisions/<hex>   manifest media type
 *   repositories/<repo>/_manifests/tags/<tag>        manifest digest
 * Files are written to a temp name in the same filesystem and renamed.
 * Digests name files only through libs/oci's digestPath (validated), and a
 * digest read back from a tag file is validated like one from a request.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { BlobInfo, CollectableStore, DigestMismatchError, StoredBlob, UploadInfo, UploadOffsetError, UploadUnknownError } from './blob-store.js';
import { digestPath, isValidDigest } from '#libs/oci';

/** gone turns ENOENT on an upload's file (cancelled or expired meanwhile) into UploadUnknownError. */
function gone(id: string) {
  return (err: NodeJS.ErrnoException): never => {
    if (err.code === 'ENOENT') throw new UploadUnknownError(`upload ${id} unknown`);
    throw err;
  };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function atomicWrite(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${randomUUID()}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export class FsBlobStore implements CollectableStore {
  constructor(private readonly root: string) {}

  private blobPath(digest: string) {
    return digestPath(path.join(this.root, 'blobs', 'sha256'), digest, 'blob digest');
  }
  private repoDir(repo: string) {
    return path.join(this.root, 'repositories', ...repo.split('/'));
  }
  private linkPath(repo: string, digest: string) {
    return digestPath(path.join(this.repoDir(repo), '_layers'), digest, 'blob digest');
  }
  private revisionPath(repo: string, digest: string) {
    return digestPath(path.join(this.repoDir(repo), '_manifests', 'revisions'), digest, 'manifest digest');
  }
  private uploadPath(id: string) {
    return path.join(this.root, 'uploads', id);
  }
  private uploadMeta(id: string) {
    return path.join(this.root, 'uploads', `${id}.repo`);
  }

  async init(): Promise<void> {
    for (const d of ['blobs/sha256', 'uploads', 'repositories']) await mkdir(path.join(this.root, d), { recursive: true });
  }

  async statBlob(repo: string, digest: string): Promise<BlobInfo | undefined> {
    if (!(await exists(this.linkPath(repo, digest)))) return undefined;
    const st = await stat(this.blobPath(digest)).catch(() => undefined);
    return st ? { digest, size: st.size } : undefined;
  }

  readBlob(digest: string, range?: { start: number; end: number }): Readable {
    // Large reads: a blob download is bound by syscalls per chunk, not by the disk.
    return createReadStream(this.blobPath(digest), { ...range, highWaterMark: 4 << 20 });
  }

  async linkBlob(repo: string, digest: string): Promise<void> {
    await atomicWrite(this.linkPath(repo, digest), digest);
  }

  async touchBlob(repo: string, digest: string): Promise<void> {
    const now = new Date();
    await utimes(this.linkPath(repo, digest), now, now).catch(() => {});
  }

  async unlinkBlob(repo: string, digest: string): Promise<boolean> {
    const p = this.linkPath(repo, digest);
    if (!(await exists(p))) return false;
    await rm(p, { force: true });
    return true;
  }

  async startUpload(repo: string): Promise<UploadInfo> {
    const id = randomUUID();
    await writeFile(this.uploadPath(id), '');
    await writeFile(this.uploadMeta(id), repo);
    return { id, repository: repo, size: 0 };
  }

  async getUpload(repo: string, id: string): Promise<UploadInfo | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const owner = await readFile(this.uploadMeta(id), 'utf8').catch(() => undefined);
    if (owner !== repo) return undefined;
    const st = await stat(this.uploadPath(id)).catch(() => undefined);
    return st ? { id, repository: repo, size: st.size } : undefined;
  }

  async appendUpload(repo: string, id: string, data: Readable, offset?: number): Promise<UploadInfo> {
    const up = await this.getUpload(repo, id);
    if (!up) throw new UploadUnknownError(`upload ${id} unknown`);
    if (offset !== undefined && offset !== up.size) throw new UploadOffsetError(`chunk starts at ${offset} but the upload has ${up.size} bytes`);
    await pipeline(data, createWriteStream(this.uploadPath(id), { flags: 'a' }));
    const st = await stat(this.uploadPath(id)).catch(gone(id));
    return { ...up, size: st.size };
  }

  async commitUpload(repo: string, id: string, digest: string): Promise<BlobInfo> {
    const up = await this.getUpload(repo, id);
    if (!up) throw new UploadUnknownError(`upload ${id} unknown`);
    const h = createHash('sha256');
    await pipeline(
      createReadStream(this.uploadPath(id)),
      new Transform({
        transform(c: Buffer, _e, cb) {
          h.update(c);
          cb();
        },
      }),
    );
    const actual = `sha256:${h.digest('hex')}`;
    if (actual !== digest) {
      await this.cancelUpload(repo, id);
      throw new DigestMismatchError(`content digest is ${actual}, not ${digest}`);
    }
    const dest = this.blobPath(digest);
    if (await exists(dest)) await rm(this.uploadPath(id), { force: true });
    else await rename(this.uploadPath(id), dest).catch(gone(id));
    await rm(this.uploadMeta(id), { force: true });
    await this.linkBlob(repo, digest);
    return { digest, size: up.size };
  }

  async cancelUpload(repo: string, id: string): Promise<boolean> {
    if (!(await this.getUpload(repo, id))) return false;
    await rm(this.uploadPath(id), { force: true });
    await rm(this.uploadMeta(id), { force: true });
    return true;
  }

  async putManifest(repo: string, digest: string, mediaType: string, bytes: Buffer, tag?: string): Promise<void> {
    const dest = this.blobPath(digest);
    if (!(await exists(dest))) await atomicWrite(dest, bytes);
    await atomicWrite(this.revisionPath(repo, digest), mediaType);
    if (tag) await atomicWrite(path.join(this.repoDir(repo), '_manifests', 'tags', tag), digest);
  }

  async getManifest(repo: string, reference: string) {
    let digest = reference;
    if (!reference.includes(':')) {
      const t = await readFile(path.join(this.repoDir(repo), '_manifests', 'tags', reference), 'utf8').catch(() => undefined);
      if (!isValidDigest(t)) return undefined;
      digest = t;
    }
    const mediaType = await readFile(this.revisionPath(repo, digest), 'utf8').catch(() => undefined);
    if (mediaType === undefined) return undefined;
    const bytes = await readFile(this.blobPath(digest)).catch(() => undefined);
    return bytes ? { digest, mediaType, bytes } : undefined;
  }

  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    const rev = this.revisionPath(repo, digest);
    if (!(await exists(rev))) return false;
    const tagsDir = path.join(this.repoDir(repo), '_manifests', 'tags');
    for (const t of await readdir(tagsDir).catch(() => [] as string[])) {
      if ((await readFile(path.join(tagsDir, t), 'utf8').catch(() => '')) === digest) await rm(path.join(tagsDir, t), { force: true });
    }
    await rm(rev, { force: true });
    return true;
  }

  async untag(repo: string, tag: string): Promise<boolean> {
    const p = path.join(this.repoDir(repo), '_manifests', 'tags', tag);
    if (!(await exists(p))) return false;
    await rm(p, { force: true });
    return true;
  }

  async revisions(repo: string): Promise<string[]> {
    const names = await readdir(path.join(this.repoDir(repo), '_manifests', 'revisions')).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async *blobs(): AsyncIterable<StoredBlob> {
    const dir = path.join(this.root, 'blobs', 'sha256');
    const links = new Map<string, number>();
    for (const repo of await this.listRepositoryDirs()) {
      const ld = path.join(this.repoDir(repo), '_layers');
      for (const n of await readdir(ld).catch(() => [] as string[])) {
        const st = await stat(path.join(ld, n)).catch(() => undefined);
        if (st) links.set(n, Math.max(links.get(n) ?? 0, st.mtimeMs));
      }
    }
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}$/.test(n)) continue;
      const st = await stat(path.join(dir, n)).catch(() => undefined);
      if (st) yield { digest: `sha256:${n}`, size: st.size, lastUsedMs: Math.max(st.mtimeMs, links.get(n) ?? 0) };
    }
  }

  async deleteBlob(digest: string): Promise<void> {
    for (const repo of await this.listRepositoryDirs()) await rm(this.linkPath(repo, digest), { force: true });
    await rm(this.blobPath(digest), { force: true });
  }

  async expireUploads(maxIdleMs: number): Promise<number> {
    const dir = path.join(this.root, 'uploads');
    let n = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f-]{36}$/.test(name)) continue;
      const st = await stat(path.join(dir, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > maxIdleMs) {
        await rm(path.join(dir, name), { force: true });
        await rm(path.join(dir, `${name}.repo`), { force: true });
        n++;
      }
    }
    return n;
  }

  /** listRepositoryDirs lists every repository with a directory (with or without manifests). */
  private async listRepositoryDirs(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string[]): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.name === '_layers' || e.name === '_manifests')) out.push(prefix.join('/'));
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('_')) await walk(path.join(dir, e.name), [...prefix, e.name]);
    };
    await walk(path.join(this.root, 'repositories'), []);
    return out;
  }

  async listTags(repo: string): Promise<string[] | undefined> {
    if (!(await exists(this.repoDir(repo)))) return undefined;
    const tags = await readdir(path.join(this.repoDir(repo), '_manifests', 'tags')).catch(() => [] as string[]);
    return tags.filter((t) => !t.includes('.tmp-')).sort();
  }

  async listRepositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string[]): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name === '_manifests') out.push(prefix.join('/'));
        else if (!e.name.startsWith('_')) await walk(path.join(dir, e.name), [...prefix, e.name]);
      }
    };
    await walk(path.join(this.root, 'repositories'), []);
    return out.sort();
  }
}
