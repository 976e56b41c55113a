/**
 * ImageRequests: the controller's image requests to this agent — a pull
 * with per-layer progress streamed back in batches (`berth image pull`),
 * and a prune of unused images (`berth image prune`).
 */
import type { LayerProgress, PruneResult, PullProgress, PullRequest } from '#libs/proto/messages.js';
import type { ImageService } from './image-service.js';
import type { ImageGc } from './image-gc.js';

/** PROGRESS_FLUSH_MS: how often progress goes up while a pull runs. */
const PROGRESS_FLUSH_MS = 200;

export class ImageRequests {
  constructor(
    private readonly images: ImageService,
    private readonly gc: ImageGc,
  ) {}

  async pull(req: PullRequest, send: (p: PullProgress) => void): Promise<void> {
    const latest = new Map<string, LayerProgress>();
    const flush = () => {
      if (latest.size) send({ requestId: req.requestId, layers: [...latest.values()], eof: false, error: '', digest: '' });
      latest.clear();
    };
    const timer = setInterval(flush, PROGRESS_FLUSH_MS);
    try {
      const auth = req.auth && (req.auth.username || req.auth.bearerToken) ? req.auth : undefined;
      const img = await this.images.ensure(req.image, { auth, onProgress: (p) => latest.set(p.layer, { layer: p.layer, phase: p.phase, current: p.current, total: p.total }) });
      flush();
      send({ requestId: req.requestId, layers: [], eof: true, error: '', digest: img.manifestDigest });
    } catch (err) {
      flush();
      send({ requestId: req.requestId, layers: [], eof: true, error: (err as Error).message, digest: '' });
    } finally {
      clearInterval(timer);
    }
  }

  async prune(requestId: string, send: (r: PruneResult) => void): Promise<void> {
    try {
      const r = await this.gc.prune();
      send({ requestId, removedImages: r.removedImages, bytesFreed: r.bytesFreed, error: '' });
    } catch (err) {
      send({ requestId, removedImages: [], bytesFreed: 0, error: (err as Error).message });
    }
  }
}
