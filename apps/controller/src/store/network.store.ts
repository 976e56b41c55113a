/** NetworkStore: user-defined networks as rows (bridge, host and none are built in, not stored). */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { ConflictError, resolveRef } from './resolve.js';
import type { Network, Prisma } from './generated/client.js';
import { TaskState, asAttachments, intToIp, ipToInt, isBuiltinNetwork, isClusterDriver, nextAddress, parseCidr, type Attachment } from '../../../../libs/common/src/index.js';

export type { Network };

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
  if (!n || !isClusterDriver(n.driver) || count === 0) return Array.from({ length: count }, () => '');
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`ipam:${network}`}))`;
  const held = await tx.task.findMany({ where: { networks: onNetwork(network), state: { lt: TaskState.COMPLETE } }, select: { networks: true } });
  const taken = new Set(held.flatMap((t) => asAttachments(t.networks).filter((a) => a.name === network && a.ip).map((a) => ipToInt(a.ip!))));
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

/** onNetwork: the filter for rows whose attachments include `network` (a GIN-indexed containment). */
export function onNetwork(network: string): { array_contains: Array<{ name: string }> } {
  return { array_contains: [{ name: network }] };
}

/**
 * withAddresses gives each task's attachments to cluster-scoped networks an
 * address (allocateAddresses), in the caller's transaction. Returns the
 * attachments with `ip` set where the network is addressed by the controller.
 */
export async function withAddresses(tx: Prisma.TransactionClient, perTask: Attachment[][]): Promise<Attachment[][]> {
  // Built-in networks are addressed by each host: no lookup for them (the common case, on the create path).
  const wanted = new Map<string, number>();
  for (const list of perTask) for (const a of list) if (!isBuiltinNetwork(a.name)) wanted.set(a.name, (wanted.get(a.name) ?? 0) + 1);
  const pools = new Map<string, string[]>();
  for (const [name, count] of wanted) pools.set(name, await allocateAddresses(tx, name, count));
  return perTask.map((list) => list.map((a) => {
    const ip = pools.get(a.name)?.shift() ?? '';
    return ip ? { ...a, ip } : { name: a.name, ...(a.aliases?.length ? { aliases: a.aliases } : {}) };
  }));
}

/** allocateVip gives a service the lowest free address of the VIP pool, under a lock; undefined when the pool is full. */
export async function allocateVip(tx: Prisma.TransactionClient, pool: string): Promise<string | undefined> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('vips'))`;
  const held = await tx.service.findMany({ where: { vip: { not: null } }, select: { vip: true } });
  const cidr = parseCidr(pool);
  const ip = nextAddress(cidr, cidr.base, new Set(held.map((s) => ipToInt(s.vip!))));
  return ip === undefined ? undefined : intToIp(ip);
}

export interface NewNetwork {
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  internal: boolean;
  attachable: boolean;
  options: Record<string, string>;
}

/** OverlayMember: a placed task on one of the asked overlay networks, with what its peers need. */
export interface OverlayMember {
  id: string;
  slot: number;
  networks: Attachment[];
  nodeId: string;
  vtep: string;
  service: { name: string; vip: string | null } | null;
  container: { name: string } | null;
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
  async overlayMembers(networks: string[]): Promise<OverlayMember[]> {
    if (!networks.length) return [];
    const rows = await this.db.task.findMany({
      where: { OR: networks.map((n) => ({ networks: onNetwork(n) })), state: { gte: TaskState.ASSIGNED, lt: TaskState.COMPLETE }, nodeId: { not: null } },
      select: { id: true, slot: true, networks: true, nodeId: true, node: { select: { addr: true } }, service: { select: { name: true, vip: true } }, container: { select: { name: true } } },
    });
    return rows.map((r) => ({ ...r, networks: asAttachments(r.networks), nodeId: r.nodeId!, vtep: r.node?.addr ?? '' }));
  }

  /** usersOf counts the tasks not yet ended that are attached to a network. */
  usersOf(name: string): Promise<number> {
    return this.db.task.count({ where: { networks: onNetwork(name), state: { lt: TaskState.COMPLETE } } });
  }

  async delete(id: string): Promise<void> {
    await this.db.network.deleteMany({ where: { id } });
  }
}
