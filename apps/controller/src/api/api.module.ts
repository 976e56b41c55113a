/**
 * api/: the REST API under /api (docs/design/rest-api.md). Thin controllers,
 * DTO validation, response mappers; state changes go through the store, the
 * queue and NodeRouter, never directly to agents.
 */
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { DispatcherModule } from '../dispatcher/dispatcher.module.js';
import { CaModule } from '../ca/ca.module.js';
import { AllocatorModule } from '../allocator/allocator.module.js';
import { AuthGuard } from './common/auth.guard.js';
import { ErrorFilter } from './common/error.filter.js';
import { LogStreamer } from './common/log-stream.js';
import { AdminToken } from './common/admin-token.js';
import { ServicesController } from './services/services.controller.js';
import { ServicesService } from './services/services.service.js';
import { ContainersController } from './containers/containers.controller.js';
import { ContainersService } from './containers/containers.service.js';
import { NodesController, NodesService } from './nodes/nodes.controller.js';
import { TasksController, TasksService } from './tasks/tasks.controller.js';
import { ClusterController, ClusterService } from './cluster/cluster.controller.js';
import { ImagesController, ImagesService } from './images/images.controller.js';
import { RegistryAccessModule } from '../registry/registry-access.module.js';
import { RegistryTokenController } from './registry/registry-token.controller.js';
import { RegistryAccessApi, RegistryController } from './registry/registry.controller.js';
import { BuildsController, BuildsService } from './builds/builds.controller.js';
import { NetworksController } from './networks/networks.controller.js';
import { NetworksService } from './networks/networks.service.js';
import { AttachmentsService } from './networks/attachments.service.js';
import { VolumesController } from './volumes/volumes.controller.js';
import { VolumesService } from './volumes/volumes.service.js';

@Module({
  imports: [DispatcherModule, CaModule, AllocatorModule, RegistryAccessModule],
  controllers: [
    ClusterController,
    NodesController,
    ImagesController,
    ContainersController,
    ServicesController,
    TasksController,
    RegistryTokenController,
    RegistryController,
    BuildsController,
    NetworksController,
    VolumesController,
  ],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: ErrorFilter },
    AdminToken,
    LogStreamer,
    ServicesService,
    ContainersService,
    NodesService,
    TasksService,
    ClusterService,
    ImagesService,
    RegistryAccessApi,
    BuildsService,
    NetworksService,
    AttachmentsService,
    VolumesService,
  ],
})
export class ApiModule {}
