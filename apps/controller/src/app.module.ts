/** AppModule: the controller, one module per role and nothing else. */
import { Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import { StoreModule } from './store/store.module.js';
import { QueueModule } from './queue/queue.module.js';
import { CaModule } from './ca/ca.module.js';
import { DispatcherModule } from './dispatcher/dispatcher.module.js';
import { SchedulerModule } from './scheduler/scheduler.module.js';
import { OrchestratorModule } from './orchestrator/orchestrator.module.js';
import { ApiModule } from './api/api.module.js';

@Module({ imports: [ConfigModule, StoreModule, QueueModule, CaModule, DispatcherModule, SchedulerModule, OrchestratorModule, ApiModule] })
export class AppModule {}
