/** ImagesController: /api/images, read from the cluster registry's catalog. */
import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BerthConfig } from '../../config/berth-config.js';
import { RegistryClient } from '../../registry/registry-access.module.js';

@Injectable()
export class ImagesService {
  constructor(private readonly config: BerthConfig, private readonly registry: RegistryClient) {}

  async list() {
    const out = [];
    for (const repository of await this.registry.catalog()) {
      for (const tag of await this.registry.tags(repository)) {
        const m = await this.registry.manifest(repository, tag);
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
