/**
 * dispatcher/: agent sessions over gRPC (mutual TLS) and the Redis routing
 * that lets any replica reach any agent. Owns sessions and routing only;
 * task and node rows go through the store, and reconciles are enqueued on
 * the queue. Imported by api/, scheduler/ and orchestrator/; imports none of them.
 */
import { Module } from '@nestjs/common';
import { CaModule } from '../ca/ca.module.js';
import { DispatcherGrpc } from './dispatcher.grpc.js';
import { NodeRouter } from './node-router.js';
import { PullAuthResolver } from './pull-auth.js';
import { Liveness } from './liveness.js';
import { RegistryAccessModule } from '../registry/registry-access.module.js';

@Module({ imports: [CaModule, RegistryAccessModule], controllers: [DispatcherGrpc], providers: [NodeRouter, PullAuthResolver, Liveness], exports: [NodeRouter, PullAuthResolver] })
export class DispatcherModule {}

export { NodeRouter, NodeUnavailableError, LogStreamError } from './node-router.js';
export { taskName } from './assignments.js';
export { PullAuthResolver } from './pull-auth.js';
