/**
 * Image references as Docker spells them: [registry/]repository[:tag][@digest].
 * A reference without a registry host resolves against the cluster registry,
 * and a bare name such as "busybox" becomes "library/busybox" like Docker Hub's.
 */
import { isValidDigest } from '#libs/oci';

export interface ImageRef {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export class InvalidImageRefError extends Error {}

function looksLikeHost(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost';
}

/** parseImageRef parses and validates a reference; `defaultRegistry` fills a missing host. */
export function parseImageRef(ref: string, defaultRegistry: string): ImageRef {
  if (!ref || ref.length > 255) throw new InvalidImageRefError(`invalid image reference "${ref}"`);
  let rest = ref;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isValidDigest(digest)) throw new InvalidImageRefError(`invalid digest in image reference "${ref}"`);
  }
  let tag = '';
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidImageRefError(`invalid tag "${tag}" in image reference "${ref}"`);
  }
  const parts = rest.split('/');
  let registry = defaultRegistry;
  if (parts.length > 1 && looksLikeHost(parts[0])) registry = parts.shift()!;
  if (parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!COMPONENT.test(p)) throw new InvalidImageRefError(`invalid repository name "${parts.join('/')}" in image reference "${ref}"`);
  }
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: parts.join('/'), tag, digest };
}

/** formatImageRef renders a reference in its canonical, fully qualified form. */
export function formatImageRef(r: ImageRef): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** REPOSITORY_NAME: a repository path as the OCI distribution spec allows it (lower case components joined by '/'). */
export const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
