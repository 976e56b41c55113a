/** NodesController: /api/nodes. */
import { Controller, Get, Injectable, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NodeStore } from '../../store/store.module.js';
import { mapNode } from '../common/mappers.js';
import { RefPipe } from '../common/ref.pipe.js';

@Injectable()
export class NodesService {
  constructor(private readonly nodes: NodeStore) {}

  async list() {
    const [nodes, counts] = await Promise.all([this.nodes.list(), this.nodes.activeTaskCounts()]);
    return nodes.map((n) => mapNode(n, counts.get(n.id) ?? 0));
  }

  async get(ref: string) {
    const n = await this.nodes.resolve(ref);
    return mapNode(n, (await this.nodes.activeTaskCounts()).get(n.id) ?? 0);
  }
}

@ApiTags('nodes')
@ApiBearerAuth()
@Controller('nodes')
export class NodesController {
  constructor(private readonly svc: NodesService) {}

  @Get() list() {
    return this.svc.list();
  }
  @Get(':id') get(@Param('id', RefPipe) id: string) {
    return this.svc.get(id);
  }
}
