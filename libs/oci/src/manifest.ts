/**
 * Image manifest, index and config shapes, with validation of what a client
 * or the registry relies on. Unknown fields are kept, never rejected.
 */
import { isIndexMediaType, isManifestMediaType } from './media-types.js';
import { InvalidDigestError, validateDigest } from './digest.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  architecture: string;
  os: string;
  config?: {
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, object>;
    Volumes?: Record<string, object>;
    StopSignal?: string;
    Labels?: Record<string, string>;
    Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
    Shell?: string[];
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<Record<string, unknown>>;
}

export class ManifestInvalidError extends Error {}

export type ParsedManifest = { kind: 'manifest'; mediaType: string; manifest: ImageManifest } | { kind: 'index'; mediaType: string; index: ImageIndex };

function checkDescriptor(d: unknown, where: string): Descriptor {
  const x = d as Descriptor;
  if (!x || typeof x !== 'object') throw new ManifestInvalidError(`${where}: descriptor must be an object`);
  if (typeof x.mediaType !== 'string' || !x.mediaType) throw new ManifestInvalidError(`${where}.mediaType is required`);
  try {
    validateDigest(x.digest, `${where}.digest`);
  } catch (err) {
    if (err instanceof InvalidDigestError) throw new ManifestInvalidError(err.message);
    throw err;
  }
  if (!Number.isSafeInteger(x.size) || x.size < 0) throw new ManifestInvalidError(`${where}.size must be a non-negative integer`);
  return x;
}

/**
 * parseManifest validates manifest or index bytes. The media type comes from
 * the document's own mediaType field, else from the Content-Type it arrived with.
 */
export function parseManifest(bytes: Buffer, contentType = ''): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ManifestInvalidError('manifest is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ManifestInvalidError('manifest must be a JSON object');
  if (doc.schemaVersion !== 2) throw new ManifestInvalidError('schemaVersion must be 2');
  const mediaType = (typeof doc.mediaType === 'string' && doc.mediaType) || contentType.split(';')[0].trim();
  if (contentType && doc.mediaType && contentType.split(';')[0].trim() !== doc.mediaType) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the document's value is echoed whatever its shape
    throw new ManifestInvalidError(`mediaType ${String(doc.mediaType)} does not match Content-Type ${contentType}`);
  }
  if (isIndexMediaType(mediaType) || (!mediaType && Array.isArray(doc.manifests))) {
    if (!Array.isArray(doc.manifests)) throw new ManifestInvalidError('manifests must be an array');
    doc.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`));
    return { kind: 'index', mediaType: mediaType || 'application/vnd.oci.image.index.v1+json', index: doc as unknown as ImageIndex };
  }
  if (isManifestMediaType(mediaType) || (!mediaType && doc.config)) {
    checkDescriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw new ManifestInvalidError('layers must be an array');
    doc.layers.forEach((l, i) => checkDescriptor(l, `layers[${i}]`));
    if (doc.subject !== undefined) checkDescriptor(doc.subject, 'subject');
    return { kind: 'manifest', mediaType: mediaType || 'application/vnd.oci.image.manifest.v1+json', manifest: doc as unknown as ImageManifest };
  }
  throw new ManifestInvalidError(`unsupported manifest media type "${mediaType}"`);
}

/** referencedDigests lists, once each, the digests a manifest needs present (config + layers), or an index's manifests. */
export function referencedDigests(p: ParsedManifest): string[] {
  return [...new Set(p.kind === 'manifest' ? [p.manifest.config.digest, ...p.manifest.layers.map((l) => l.digest)] : p.index.manifests.map((m) => m.digest))];
}

/** selectPlatform picks the manifest for a platform from an index, or undefined. */
export function selectPlatform(index: ImageIndex, want = { os: 'linux', architecture: 'amd64' }): Descriptor | undefined {
  return index.manifests.find((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture);
}
