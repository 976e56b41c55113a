/**
 * buildSingleLayerImage turns a rootfs tarball into a one-layer OCI image:
 * the tar is gzipped to a temp file in one streaming pass that also hashes
 * the uncompressed (diff_id) and compressed (digest) bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MediaType } from './media-types.js';
import { digestOf } from './digest.js';
import type { ImageConfig, ImageManifest } from './manifest.js';

export interface BuiltImage {
  layer: { path: string; digest: string; size: number; diffId: string };
  config: { bytes: Buffer; digest: string };
  manifest: { bytes: Buffer; digest: string; mediaType: string };
}

export interface BuildOptions {
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  stopSignal?: string;
  volumes?: string[];
  /** The image's USER (user[:group], names or ids). */
  user?: string;
}

/** DEFAULT_PATH is the PATH Docker puts in images that set none. */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function hashing(h: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      cb(null, chunk);
    },
  });
}

export async function buildSingleLayerImage(rootfsTar: string, opts: BuildOptions = {}): Promise<BuiltImage> {
  const st = await stat(rootfsTar).catch(() => undefined);
  if (!st?.isFile()) throw new Error(`${rootfsTar}: no such file`);
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-image-'));
  const layerPath = path.join(dir, 'layer.tar.gz');
  const raw = createHash('sha256');
  const gz = createHash('sha256');
  let size = 0;
  await pipeline(
    createReadStream(rootfsTar),
    hashing(raw),
    createGzip({ level: 6 }),
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        gz.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    }),
    createWriteStream(layerPath),
  );
  const diffId = `sha256:${raw.digest('hex')}`;
  const digest = `sha256:${gz.digest('hex')}`;
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: {
      Env: opts.env?.length ? opts.env : [DEFAULT_PATH],
      ...(opts.cmd ? { Cmd: opts.cmd } : { Cmd: ['sh'] }),
      ...(opts.entrypoint ? { Entrypoint: opts.entrypoint } : {}),
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      ...(opts.stopSignal ? { StopSignal: opts.stopSignal } : {}),
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.volumes?.length ? { Volumes: Object.fromEntries(opts.volumes.map((v) => [v, {}])) } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: 'berth image import', created: new Date(st.mtimeMs).toISOString() }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = digestOf(configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length },
    layers: [{ mediaType: MediaType.OciLayerGzip, digest, size }],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    layer: { path: layerPath, digest, size, diffId },
    config: { bytes: configBytes, digest: configDigest },
    manifest: { bytes: manifestBytes, digest: digestOf(manifestBytes), mediaType: MediaType.OciManifest },
  };
}
