/**
 * scheduler/: decides which node runs each waiting task. Everything except
 * scheduler.service.ts is pure (no Nest, Prisma, BullMQ or Redis imports)
 * and unit-tested with plain objects; host ports published on any port are
 * picked with the allocator's pure pickPort. Work arrives as schedule jobs
 * on its own queue (scheduler.processor.ts). Talks to: store (snapshot,
 * commit), dispatcher's NodeRouter (notify placed nodes).
 * docs/design/scheduler.md.
 */
import { Module } from '@nestjs/common';
import { DispatcherModule } from '../dispatcher/dispatcher.module.js';
import { SchedulerService } from './scheduler.service.js';
import { SchedulerProcessor } from './scheduler.processor.js';

@Module({ imports: [DispatcherModule], providers: [SchedulerService, SchedulerProcessor], exports: [SchedulerService] })
export class SchedulerModule {}

export { SchedulerService } from './scheduler.service.js';
