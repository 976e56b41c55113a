/**
 * The registry's storage contract. Blobs are content-addressed and shared by
 * all repositories; a repository sees a blob only through its own link
 * (pushed to it or mounted into it). Manifests are blobs too, linked as
 * revisions with their media type; tags point at manifest digests.
 * Every write is atomic: a reader never sees a partial blob or manifest.
 */
import type { Readable } from 'node:stream';

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface UploadInfo {
  id: string;
  repository: string;
  size: number;
}

export interface BlobStore {
  statBlob(repo: string, digest: string): Promise<BlobInfo | undefined>;
  /** readBlob opens a blob, optionally a byte range [start, end] inclusive. */
  readBlob(digest: string, range?: { start: number; end: number }): Readable;
  linkBlob(repo: string, digest: string): Promise<void>;
  unlinkBlob(repo: string, digest: string): Promise<boolean>;

  startUpload(repo: string): Promise<UploadInfo>;
  getUpload(repo: string, id: string): Promise<UploadInfo | undefined>;
  /** appendUpload streams data onto an upload; `offset` must equal its current size. */
  appendUpload(repo: string, id: string, data: Readable, offset?: number): Promise<UploadInfo>;
  /** commitUpload verifies the digest and moves the data into the blob store. */
  commitUpload(repo: string, id: string, digest: string): Promise<BlobInfo>;
  cancelUpload(repo: string, id: string): Promise<boolean>;

  /** touchBlob marks a repository's use of a blob as recent (GC spares it for its grace period). */
  touchBlob(repo: string, digest: string): Promise<void>;

  putManifest(repo: string, digest: string, mediaType: string, bytes: Buffer, tag?: string): Promise<void>;
  getManifest(repo: string, reference: string): Promise<{ digest: string; mediaType: string; bytes: Buffer } | undefined>;
  deleteManifest(repo: string, digest: string): Promise<boolean>;
  /** untag removes a tag, keeping the manifest; false when the tag does not exist. */
  untag(repo: string, tag: string): Promise<boolean>;
  /** revisions lists the manifest digests a repository keeps (tagged or not). */
  revisions(repo: string): Promise<string[]>;
  listTags(repo: string): Promise<string[] | undefined>;
  listRepositories(): Promise<string[]>;
}

/** StoredBlob: a blob with the newest time any repository used it (for GC's grace period). */
export interface StoredBlob {
  digest: string;
  size: number;
  lastUsedMs: number;
}

/** Garbage collection needs to see and remove blobs, and to expire abandoned uploads. */
export interface CollectableStore extends BlobStore {
  blobs(): AsyncIterable<StoredBlob>;
  /** deleteBlob removes a blob and every repository's link to it. */
  deleteBlob(digest: string): Promise<void>;
  /** expireUploads cancels uploads idle for longer than maxIdleMs; returns how many. */
  expireUploads(maxIdleMs: number): Promise<number>;
}

export class UploadOffsetError extends Error {}
/** UploadUnknownError: the upload is gone (cancelled, committed or expired meanwhile). */
export class UploadUnknownError extends Error {}
export class DigestMismatchError extends Error {}
