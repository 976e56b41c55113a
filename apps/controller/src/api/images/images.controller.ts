/**
 * ImagesController: /api/images — the cluster registry's images, and on the
 * nodes: pull (progress streamed as newline-delimited JSON) and prune.
 */
import { Body, Controller, Get, HttpCode, Injectable, Post, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from '../common/validation.js';
import { NodeStore } from '../../store/store.module.js';
import { NodeRouter, PullAuthResolver } from '../../dispatcher/dispatcher.module.js';
import { parseImageRef, formatImageRef } from '#libs/common';
import type { LayerProgress } from '#libs/proto/messages.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BerthConfig } from '../../config/berth-config.js';
import { RegistryClient } from '../../registry/registry-access.module.js';

export class PullDto {
  @IsString()
  @MaxLength(255)
  @Matches(/^\S+$/, { message: 'image must be an image reference without spaces' })
  image!: string;

  @Optional()
  @IsString()
  @MaxLength(253)
  node?: string;
}

export class PruneDto {
  @Optional()
  @IsString()
  @MaxLength(253)
  node?: string;
}

@Injectable()
export class ImagesService {
  constructor(
    private readonly config: BerthConfig,
    private readonly registry: RegistryClient,
    private readonly nodes: NodeStore,
    private readonly router: NodeRouter,
    private readonly pullAuth: PullAuthResolver,
  ) {}

  private async targets(ref?: string): Promise<Array<{ id: string; hostname: string }>> {
    if (ref) return [await this.nodes.resolve(ref)];
    const ready = (await this.nodes.list()).filter((n) => n.status === 'ready');
    if (!ready.length) throw new ServiceUnavailableException('no ready node');
    return ready;
  }

  /** pull makes an image present on one node or every ready node, streaming progress as NDJSON. */
  async pull(dto: PullDto, req: Request, res: Response): Promise<void> {
    const image = formatImageRef(parseImageRef(dto.image, this.config.registry));
    const nodes = await this.targets(dto.node);
    const auth = (await this.pullAuth.forImages([image])).get(image);
    const ctl = new AbortController();
    req.on('close', () => ctl.abort());
    res.status(200).setHeader('content-type', 'application/x-ndjson');
    res.flushHeaders();
    const send = (o: object) => res.write(`${JSON.stringify(o)}\n`);
    await Promise.all(
      nodes.map(async (n) => {
        try {
          let digest = '';
          for await (const c of this.router.stream<{ layers: LayerProgress[]; digest: string }>(n.id, { kind: 'pull', image, auth }, ctl.signal)) {
            for (const l of c.layers) send({ node: n.hostname, ...l });
            if (c.digest) digest = c.digest;
          }
          send({ node: n.hostname, status: 'done', image, digest });
        } catch (err) {
          send({ node: n.hostname, error: (err as Error).message });
        }
      }),
    );
    res.end();
  }

  /** prune removes unused images on every ready node (or one). */
  async prune(node?: string) {
    const nodes = await this.targets(node);
    return Promise.all(
      nodes.map(async (n) => {
        try {
          for await (const r of this.router.stream<{ removedImages: string[]; bytesFreed: number }>(n.id, { kind: 'prune' }, AbortSignal.timeout(120_000))) {
            return { node: n.hostname, ...r };
          }
          return { node: n.hostname, error: 'no answer' };
        } catch (err) {
          return { node: n.hostname, error: (err as Error).message };
        }
      }),
    );
  }

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

@ApiTags('images')
@ApiBearerAuth()
@Controller('images')
export class ImagesController {
  constructor(private readonly svc: ImagesService) {}

  @Get() list() {
    return this.svc.list();
  }
  @Post('pull') pull(@Body() dto: PullDto, @Req() req: Request, @Res() res: Response) {
    return this.svc.pull(dto, req, res);
  }
  @Post('prune') @HttpCode(200) prune(@Body() dto: PruneDto) {
    return this.svc.prune(dto.node);
  }
}
