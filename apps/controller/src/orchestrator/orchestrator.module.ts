/**
 * orchestrator/: turns desired state (services, replicas) into tasks, and
 * reacts to nodes going down. Hands work on only through task rows, schedule
 * jobs and NodeRouter notifications; never talks to agents itself.
 */
import { Module } from '@nestjs/common';
import { DispatcherModule } from '../dispatcher/dispatcher.module.js';
import { AllocatorModule } from '../allocator/allocator.module.js';
import { OrchestratorService } from './orchestrator.service.js';
import { OrchestratorProcessor } from './orchestrator.processor.js';

@Module({ imports: [DispatcherModule, AllocatorModule], providers: [OrchestratorService, OrchestratorProcessor], exports: [OrchestratorService] })
export class OrchestratorModule {}

export { OrchestratorService } from './orchestrator.service.js';
