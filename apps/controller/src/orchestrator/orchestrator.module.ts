/**
 * orchestrator/: turns desired state (services, replicas) into tasks, and
 * reacts to nodes going down. Hands work on only through task rows, the
 * scheduler and NodeRouter notifications; never talks to agents itself.
 */
import { Module } from '@nestjs/common';
import { DispatcherModule } from '../dispatcher/dispatcher.module.js';
import { SchedulerModule } from '../scheduler/scheduler.module.js';
import { OrchestratorService } from './orchestrator.service.js';
import { OrchestratorProcessor } from './orchestrator.processor.js';

@Module({ imports: [DispatcherModule, SchedulerModule], providers: [OrchestratorService, OrchestratorProcessor], exports: [OrchestratorService] })
export class OrchestratorModule {}

export { OrchestratorService } from './orchestrator.service.js';
