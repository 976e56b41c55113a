/** ImagesController: /api/images, read from the cluster registry's catalog. */
import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BerthConfig } from '../../config/berth-config.js';
import { MANIFEST_ACCEPT } from '../../../../../libs/oci/src/index.js';

/** REGISTRY_TIMEOUT_MS bounds each call to the registry. */
const REGISTRY_TIMEOUT_MS = 5_000;

export class RegistryUnavailableError extends Error {
  readonly status = 503;
}

@Injectable()
export class ImagesService {
  constructor(private readonly config: BerthConfig) {}

  private async get(path: string, method = 'GET'): Promise<Response> {
    try {
      return await fetch(`http://${this.config.registry}${path}`, { method, headers: { accept: MANIFEST_ACCEPT }, signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS) });
    } catch (err) {
      throw new RegistryUnavailableError(`registry ${this.config.registry} unreachable: ${String((err as Error).cause ?? (err as Error).message)}`);
    }
  }

  async list() {
    const cat = await this.get('/v2/_catalog');
    if (!cat.ok) throw new RegistryUnavailableError(`registry catalog: HTTP ${cat.status}`);
    const repos = ((await cat.json()) as { repositories?: string[] }).repositories ?? [];
    const out = [];
    for (const repository of repos) {
      const tl = await this.get(`/v2/${repository}/tags/list`);
      const tags = tl.ok ? (((await tl.json()) as { tags?: string[] }).tags ?? []) : [];
      for (const tag of tags) {
        const m = await this.get(`/v2/${repository}/manifests/${tag}`);
        if (!m.ok) continue;
        const manifest = (await m.json()) as { layers?: Array<{ size: number }>; config?: { size: number } };
        const size = (manifest.layers ?? []).reduce((a, l) => a + l.size, manifest.config?.size ?? 0);
        out.push({ repository, tag, digest: m.headers.get('docker-content-digest') ?? '', size, reference: `${this.config.registry}/${repository}:${tag}` });
      }
    }
    return out;
  }
}

@ApiTags('images') @ApiBearerAuth()
@Controller('images')
export class ImagesController {
  constructor(private readonly svc: ImagesService) {}

  @Get() list() { return this.svc.list(); }
}
