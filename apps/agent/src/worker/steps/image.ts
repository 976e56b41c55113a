/**
 * ImageStep: a task's image on this host, before its container is created:
 * pulled when absent (with the task's pull credentials, which serve the
 * pull only and never reach the disk: withoutCredentials is what of a spec
 * may be stored), its layers, config and user resolved against its own
 * /etc/passwd and /etc/group. The image store is images/ (ImageStore).
 */
import type { TaskSpec } from '#libs/proto/messages.js';
import type { ImageStore, LocalImage } from '../../images/image-store.js';
import { imageUser, type ImageUser } from '../../images/image-user.js';

export interface PreparedImage {
  image: LocalImage;
  user: ImageUser;
  /** The image's VOLUMEs (paths), which become anonymous volumes. */
  volumes: string[];
}

/** withoutCredentials: what of a spec may be stored — never its pull credentials. */
export function withoutCredentials(spec: TaskSpec): TaskSpec {
  return { ...spec, pullAuth: null };
}

export class ImageStep {
  constructor(private readonly images: ImageStore) {}

  async prepare(spec: TaskSpec): Promise<PreparedImage> {
    const image = await this.images.ensure(spec.image, { auth: spec.pullAuth ?? undefined });
    return { image, user: await imageUser(image), volumes: Object.keys(image.config.config?.Volumes ?? {}) };
  }
}
