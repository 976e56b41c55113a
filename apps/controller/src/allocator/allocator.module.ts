/**
 * allocator/: the values the cluster hands out and must never hand out twice:
 * task addresses on macvlan and overlay networks (ipam.ts), services' virtual
 * IPs (vip.ts), overlays' VXLAN ids (vni.ts) and host ports for ports
 * published on any host port (ports.ts). Those four are pure functions
 * (taken values in, the pick or an ExhaustedError out), unit-tested with
 * plain values. The persisting half takes each pool's advisory lock in a
 * transaction and reads what is held through the store: AllocatorService
 * (injected): network create, and the addresses and VIP functions the
 * API and the orchestrator hand to the stores that create tasks and
 * services, run in the store's transaction (in-transaction.ts). Never touches: task state, placement (the scheduler picks
 * host ports with ports.ts inside its pure schedule()), agents.
 * docs/design/allocator.md.
 */
import { Module } from '@nestjs/common';
import { AllocatorService } from './allocator.service.js';

@Module({ providers: [AllocatorService], exports: [AllocatorService] })
export class AllocatorModule {}

export { AllocatorService } from './allocator.service.js';
export { ExhaustedError } from './errors.js';
