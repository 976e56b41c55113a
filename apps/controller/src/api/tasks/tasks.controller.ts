/** TasksController: /api/tasks. */
import { Controller, Get, Injectable, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NodeStore, ServiceStore, TaskStore } from '../../store/store.module.js';
import { mapTask } from '../common/mappers.js';
import { RefPipe } from '../common/ref.pipe.js';
import { boolQuery } from '../common/query.js';

@Injectable()
export class TasksService {
  constructor(
    private readonly tasks: TaskStore,
    private readonly services: ServiceStore,
    private readonly nodes: NodeStore,
  ) {}

  async list(service: string | undefined, node: string | undefined, all: boolean) {
    const serviceId = service ? (await this.services.resolve(service)).id : undefined;
    const nodeId = node ? (await this.nodes.resolve(node)).id : undefined;
    return (await this.tasks.list({ serviceId, nodeId, all })).map(mapTask);
  }

  async get(ref: string) {
    return mapTask(await this.tasks.resolve(ref));
  }
}

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('tasks')
export class TasksController {
  constructor(private readonly svc: TasksService) {}

  @Get() list(@Query('service') service?: string, @Query('node') node?: string, @Query('all') all?: string) {
    return this.svc.list(service, node, boolQuery(all, 'all'));
  }
  @Get(':id') get(@Param('id', RefPipe) id: string) {
    return this.svc.get(id);
  }
}
