/**
 * ImageStore: what the worker needs of images — one present on this host,
 * its layers unpacked and verified, pulled from its registry when absent
 * (with the task's pull credentials, which are used for the pull only).
 * Throws ImageNotFoundError when the registry has no such image.
 * ImageService (image-service.ts) is the implementation.
 */
import type { PullCredentials } from './registry-client.js';
import type { ImageConfig } from './oci.js';

/** PullProgress: one layer's state during a pull (bytes for downloads). */
export interface PullProgress {
  layer: string;
  phase: 'waiting' | 'downloading' | 'extracting' | 'done' | 'exists';
  current: number;
  total: number;
}

export interface EnsureOptions {
  auth?: PullCredentials;
  onProgress?: (p: PullProgress) => void;
}

export interface LocalImage {
  reference: string;
  manifestDigest: string;
  config: ImageConfig;
  /** Layer directories, bottom layer first. */
  layerDirs: string[];
  /** The manifest's layer blobs, bottom first (what a build on top of this image pushes). */
  layers: Array<{ digest: string; size: number; mediaType: string; diffId: string }>;
}

export interface ImageStore {
  ensure(image: string, opts?: EnsureOptions): Promise<LocalImage>;
}
