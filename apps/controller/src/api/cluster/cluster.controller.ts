/** ClusterController: /api/info and /api/join-token. */
import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NodeStore } from '../../store/store.module.js';
import { JoinTokenService } from '../../ca/ca.module.js';
import { BerthConfig } from '../../config/berth-config.js';

export const BERTH_VERSION = '0.1.0';

@Injectable()
export class ClusterService {
  constructor(
    private readonly nodes: NodeStore,
    private readonly tokens: JoinTokenService,
    private readonly config: BerthConfig,
  ) {}

  async info() {
    const nodes = await this.nodes.list();
    return {
      version: BERTH_VERSION,
      apiVersion: 'v1',
      registry: this.config.registry,
      registryService: this.config.registryService,
      replica: this.config.replicaId,
      nodes: { total: nodes.length, ready: nodes.filter((n) => n.status === 'ready').length },
    };
  }

  async joinToken() {
    const { token, grpcAddr } = await this.tokens.current();
    return { token, grpcAddr, command: `berth-agent --controller ${grpcAddr} --token ${token}` };
  }
}

@ApiTags('cluster')
@ApiBearerAuth()
@Controller()
export class ClusterController {
  constructor(private readonly svc: ClusterService) {}

  @Get('info') info() {
    return this.svc.info();
  }
  @Get('join-token') joinToken() {
    return this.svc.joinToken();
  }
}
