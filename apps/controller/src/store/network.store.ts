/** NetworkStore: user-defined networks as rows (bridge, host and none are built in, not stored). */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { ConflictError, resolveRef } from './resolve.js';
import type { Network, Prisma } from './generated/client.js';
import { TaskState, intToIp, ipToInt, nextAddress, parseCidr } from '../../../../libs/common/src/index.js';

export type { Network };

/** CLUSTER_DRIVERS: drivers whose addresses the controller allocates per task, cluster-wide. */
export const CLUSTER_DRIVERS = new Set(['macvlan', 'overlay']);

/** FIRST_VNI: overlay VXLAN ids start here (low ids are left to other users of VXLAN). */
export const FIRST_VNI = 4096;

/**
 * allocateAddresses gives `count` tasks addresses on a cluster-scoped network,
 * inside the caller's transaction and under a per-network lock: the lowest
 * free ones not held by a task that has not ended. "" for a network the
 * controller does not address (bridge, host, none) or when the subnet is full.
 */
export async function allocateAddresses(tx: Prisma.TransactionClient, network: string, count: number): Promise<string[]> {
  const n = await tx.network.findFirst({ where: { name: network, builtin: false } });
  if (!n || !CLUSTER_DRIVERS.has(n.driver) || count === 0) return Array.from({ length: count }, () => '');
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`ipam:${network}`}))`;
  const held = await tx.task.findMany({ where: { network, state: { lt: TaskState.COMPLETE }, ip: { not: '' } }, select: { ip: true } });
  const taken = new Set(held.map((t) => ipToInt(t.ip)));
  const subnet = parseCidr(n.subnet);
  const range = n.ipRange ? parseCidr(n.ipRange) : undefined;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const ip = nextAddress(subnet, ipToInt(n.gateway), taken, range);
    if (ip === undefined) {
      out.push('');
      continue;
    }
    taken.add(ip);
    out.push(intToIp(ip));
  }
  return out;
}

export interface NewNetwork {
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  internal: boolean;
  options: Record<string, string>;
}

@Injectable()
export class NetworkStore {
  constructor(private readonly db: PrismaService) {}

  /** list returns the user-defined networks (the built-in rows stay out of it). */
  list(): Promise<Network[]> {
    return this.db.network.findMany({ where: { builtin: false }, orderBy: { name: 'asc' } });
  }

  byNames(names: string[]): Promise<Network[]> {
    return names.length ? this.db.network.findMany({ where: { name: { in: names }, builtin: false } }) : Promise.resolve([]);
  }

  resolve(ref: string): Promise<Network> {
    return resolveRef('network', ref, (id) => this.db.network.findFirst({ where: { id, builtin: false } }), (name) => this.db.network.findFirst({ where: { name, builtin: false } }),
      (p) => this.db.network.findMany({ where: { id: { startsWith: p }, builtin: false }, take: 2 }));
  }

  /** create inserts a network under a lock, so two subnets chosen at once never overlap. */
  create(name: string, pick: (taken: Network[]) => NewNetwork): Promise<Network> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('networks'))`;
      const all = await tx.network.findMany({ where: { builtin: false } });
      if (all.some((n) => n.name === name)) throw new ConflictError(`network ${name} already exists`);
      const n = pick(all);
      const id = newId();
      try {
        // "bn-": never a name Docker gives its bridges (br-…), so the two never share one on a host.
        return await tx.network.create({ data: { id, ...n, bridge: `bn-${id.slice(0, 12)}` } });
      } catch (err) {
        if ((err as { code?: string }).code === 'P2002') throw new ConflictError(`network ${n.name} already exists`);
        throw err;
      }
    });
  }

  /**
   * overlayMembers lists the placed, not yet ended tasks of overlay networks with their
   * address and their node's: a task is in its peers' tables before its container starts,
   * so it is reachable the moment it runs.
   */
  async overlayMembers(networks: string[]): Promise<Array<{ network: string; ip: string; nodeId: string; vtep: string }>> {
    if (!networks.length) return [];
    const rows = await this.db.task.findMany({
      where: { network: { in: networks }, state: { gte: TaskState.ASSIGNED, lt: TaskState.COMPLETE }, ip: { not: '' }, nodeId: { not: null } },
      select: { network: true, ip: true, nodeId: true, node: { select: { addr: true } } },
    });
    return rows.map((r) => ({ network: r.network, ip: r.ip, nodeId: r.nodeId!, vtep: r.node?.addr ?? '' }));
  }

  /** usersOf counts the tasks not yet ended that are attached to a network. */
  usersOf(name: string): Promise<number> {
    return this.db.task.count({ where: { network: name, state: { lt: TaskState.COMPLETE } } });
  }

  async delete(id: string): Promise<void> {
    await this.db.network.deleteMany({ where: { id } });
  }
}
