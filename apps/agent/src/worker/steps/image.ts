/**
 * ImageStep: a task's image on this host, before its container is created:
 * pulled when absent (with the task's pull credentials, which serve the
 * pull only and never reach the disk: withoutCredentials is what of a spec
 * may be stored), its layers, config and user resolved against its own
 * /etc/passwd and /etc/group. The task's run options override the config's
 * User, WorkingDir, Entrypoint and StopSignal (withRunOptions). The image
 * store is images/ (ImageStore).
 */
import type { RunOptions, TaskSpec } from '#libs/proto/messages.js';
import type { ImageConfig } from '../../images/oci.js';
import type { ImageStore, LocalImage } from '../../images/image-store.js';
import { imageUser, type ImageUser } from '../../images/image-user.js';

export interface PreparedImage {
  image: LocalImage;
  /** The image's config as the container runs it: with the task's run options applied. */
  config: ImageConfig;
  user: ImageUser;
  /** The image's VOLUMEs (paths), which become anonymous volumes. */
  volumes: string[];
}

/**
 * withRunOptions: an image config as docker run's -u, -w, --entrypoint and
 * --stop-signal change it. As with Docker, a new entrypoint also drops the
 * image's Cmd (the task's command, if any, follows it).
 */
export function withRunOptions(image: ImageConfig, o: RunOptions | null): ImageConfig {
  if (!o) return image;
  const c = { ...image.config };
  if (o.user) c.User = o.user;
  if (o.workdir) c.WorkingDir = o.workdir;
  if (o.entrypointSet) {
    c.Entrypoint = o.entrypoint;
    c.Cmd = [];
  }
  if (o.stopSignal) c.StopSignal = o.stopSignal;
  return { ...image, config: c };
}

/** containerHostname: the name a task's container calls itself (--hostname, else its id's first 12 characters). */
export function containerHostname(spec: TaskSpec): string {
  return spec.options?.hostname || spec.id.slice(0, 12);
}

/** withoutCredentials: what of a spec may be stored — never its pull credentials. */
export function withoutCredentials(spec: TaskSpec): TaskSpec {
  return { ...spec, pullAuth: null };
}

export class ImageStep {
  constructor(private readonly images: ImageStore) {}

  async prepare(spec: TaskSpec): Promise<PreparedImage> {
    const image = await this.images.ensure(spec.image, { auth: spec.pullAuth ?? undefined });
    const config = withRunOptions(image.config, spec.options);
    return { image, config, user: await imageUser({ ...image, config }), volumes: Object.keys(image.config.config?.Volumes ?? {}) };
  }
}
