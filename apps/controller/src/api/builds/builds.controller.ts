/**
 * BuildsController: POST /api/builds runs a Dockerfile build on one ready
 * agent (the one with the fewest running tasks) and streams its output as
 * Docker's build API does: newline-delimited JSON objects `{stream}`,
 * `{error}` and, at the end, `{aux: {digest, tag}}`. The context is a tar
 * the client pushed to the cluster registry as a blob of
 * `berth/build-context`; the agent pulls it with a token signed here.
 */
import { BadRequestException, Body, Controller, Injectable, Post, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { NodeStore } from '../../store/store.module.js';
import { NodeRouter } from '../../dispatcher/dispatcher.module.js';
import { BerthConfig } from '../../config/berth-config.js';
import { RegistryAuthService } from '../../registry/registry-access.module.js';
import { BUILD_CONTEXT_REPOSITORY, BuiltinNetwork, formatImageRef, parseImageRef } from '#libs/common';
import { BuildDto } from './build.dto.js';

/** BUILD_TOKEN_TTL_S: how long a builder's registry token lasts (a build's whole run). */
const BUILD_TOKEN_TTL_S = 3_600;
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface BuildChunk {
  lines: string[];
  imageDigest: string;
}

@Injectable()
export class BuildsService {
  constructor(
    private readonly nodes: NodeStore,
    private readonly router: NodeRouter,
    private readonly auth: RegistryAuthService,
    private readonly config: BerthConfig,
  ) {}

  private async pickNode(): Promise<string> {
    const ready = (await this.nodes.list()).filter((n) => n.status === 'ready' && n.availability === 'active');
    if (!ready.length) throw new ServiceUnavailableException('no ready node to build on');
    const load = await this.nodes.activeTaskCounts();
    return ready.sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0))[0].id;
  }

  async build(dto: BuildDto, req: Request, res: Response): Promise<void> {
    const ref = parseImageRef(dto.tag, this.config.registry);
    if (ref.registry !== this.config.registry) throw new BadRequestException(`tag: builds push to the cluster registry ${this.config.registry}, not ${ref.registry}`);
    if (ref.digest) throw new BadRequestException('tag: a build result is named by REPO:TAG, not a digest');
    for (const [k, v] of Object.entries(dto.buildArgs ?? {})) {
      if (!ARG_NAME.test(k) || typeof v !== 'string') throw new BadRequestException(`buildArgs: "${k}" must be a NAME with a string value`);
    }
    const nodeId = await this.pickNode();
    const tag = formatImageRef(ref);
    const ctl = new AbortController();
    req.on('close', () => ctl.abort());
    const it = this.router.stream<BuildChunk>(
      nodeId,
      {
        kind: 'build',
        contextBlob: `${this.config.registry}/${BUILD_CONTEXT_REPOSITORY}@${dto.context}`,
        registryToken: await this.auth.builderToken(ref.repository, BUILD_CONTEXT_REPOSITORY, BUILD_TOKEN_TTL_S),
        dockerfile: dto.dockerfile ?? 'Dockerfile',
        tag,
        buildArgs: dto.buildArgs ?? {},
        target: dto.target ?? '',
        noCache: dto.noCache ?? false,
        network: dto.network ?? BuiltinNetwork.BRIDGE,
      },
      ctl.signal,
    );
    res.status(200).setHeader('content-type', 'application/x-ndjson');
    res.flushHeaders();
    const send = (o: unknown) => res.write(`${JSON.stringify(o)}\n`);
    let digest = '';
    try {
      for await (const c of it) {
        for (const line of c.lines) send({ stream: `${line}\n` });
        if (c.imageDigest) digest = c.imageDigest;
      }
      if (digest) send({ aux: { digest, tag } });
      else send({ error: 'the build ended without a result' });
    } catch (err) {
      send({ error: (err as Error).message });
    }
    res.end();
  }
}

@ApiTags('builds')
@ApiBearerAuth()
@Controller('builds')
export class BuildsController {
  constructor(private readonly svc: BuildsService) {}

  @Post() build(@Body() dto: BuildDto, @Req() req: Request, @Res() res: Response) {
    return this.svc.build(dto, req, res);
  }
}
