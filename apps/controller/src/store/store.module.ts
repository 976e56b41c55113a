/**
 * store/: all access to Postgres. The stores here are the only importers of
 * the generated Prisma client; other roles call their methods and never
 * write SQL themselves.
 */
import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { NodeStore } from './node.store.js';
import { ServiceStore } from './service.store.js';
import { TaskStore } from './task.store.js';
import { ContainerStore } from './container.store.js';
import { TokenStore } from './token.store.js';
import { CaStore } from './ca.store.js';
import { RegistryStore } from './registry.store.js';
import { NetworkStore } from './network.store.js';
import { VolumeStore } from './volume.store.js';
import { LivenessStore } from './liveness.store.js';
import { Transactions } from './transactions.js';

const STORES = [PrismaService, NodeStore, ServiceStore, TaskStore, ContainerStore, TokenStore, CaStore, RegistryStore, NetworkStore, VolumeStore, LivenessStore, Transactions];

@Global()
@Module({ providers: STORES, exports: STORES })
export class StoreModule {}

export { PrismaService, NodeStore, ServiceStore, TaskStore, ContainerStore, TokenStore, CaStore, RegistryStore, NetworkStore, VolumeStore, LivenessStore, Transactions };
export { lockIn, type AllocateAddresses, type AllocateVip, type Tx } from './transactions.js';
export type { Silence } from './liveness.store.js';
export { anonymousName, mountsVolume, withVolumes } from './volume.store.js';
export type { Volume, NewVolume } from './volume.store.js';
export type { Network, NewNetwork } from './network.store.js';
export { onNetwork } from './network.store.js';
export type { OverlayMember } from './network.store.js';
export type { RegistryCredential, RegistryRepo, RegistryUser, RepoWithGrants } from './registry.store.js';
export * from './resolve.js';
export type { Node } from './node.store.js';
export type { Task, TaskWithNames, TaskListRow, StatusReport, NewTask } from './task.store.js';
export type { Service, ServiceWithCounts } from './service.store.js';
export type { ContainerWithTask } from './container.store.js';
