/**
 * pushImage uploads the final stage as an OCI image: its layers, the image
 * config, then the manifest under the tag; afterwards this host forgets any
 * older image it held under that tag.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { ImageService } from '../images/image-service.js';
import { MediaType } from '../images/oci.js';
import { fileBody, pushBlob } from '#libs/oci';
import { BuildError, type BuilderDeps, type BuildRequestOptions, type BuildResult, type StageState } from './build-types.js';

export async function pushImage(
  deps: BuilderDeps,
  state: StageState,
  opts: BuildRequestOptions,
  ref: { registry: string; repository: string; tag: string },
  onOutput: (l: string) => void,
): Promise<BuildResult> {
  const config = {
    created: new Date().toISOString(),
    architecture: 'amd64',
    os: 'linux',
    config: state.config,
    rootfs: { type: 'layers', diff_ids: state.layers.map((l) => l.diffId) },
    history: state.history,
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length },
      layers: state.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  const pushOpts = { insecure: deps.insecureRegistries.includes(ref.registry) ? true : false, token: opts.auth?.bearerToken || undefined };
  onOutput(`Pushing ${ref.registry}/${ref.repository}:${ref.tag}`);
  for (const l of state.layers) await pushBlob(ref.registry, ref.repository, l.digest, l.size, () => fileBody(deps.images.content.path(l.digest)), pushOpts);
  await pushBlob(ref.registry, ref.repository, configDigest, configBytes.length, () => configBytes, pushOpts);
  const root = `${pushOpts.insecure ? 'http' : 'https'}://${ref.registry}`;
  const res = await fetch(`${root}/v2/${ref.repository}/manifests/${ref.tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'content-type': MediaType.OciManifest, ...(pushOpts.token ? { authorization: `Bearer ${pushOpts.token}` } : {}) },
  }).catch((err: Error) => {
    throw new BuildError(`cannot reach registry ${ref.registry}: ${err.cause instanceof Error ? String(err.cause) : err.message}`);
  });
  if (res.status !== 201) throw new BuildError(`pushing the manifest of ${ref.repository}:${ref.tag} failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  // This host may hold an older image under the same tag: forget it, so the next run pulls the new one.
  await rm(deps.images.recordPath(ImageService.canonical(`${ref.registry}/${ref.repository}:${ref.tag}`)), { force: true });
  return { manifestDigest, imageId: configDigest, tag: `${ref.registry}/${ref.repository}:${ref.tag}` };
}
