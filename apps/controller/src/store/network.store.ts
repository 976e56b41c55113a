/**
 * NetworkStore: user-defined networks as rows (bridge, host and none are built
 * in, not stored), and the reads the allocator makes about them. Persistence
 * only: which address, VIP or VXLAN id to give is the allocator's.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { ConflictError, isUniqueViolation, resolveRef } from './resolve.js';
import type { Network } from './generated/client.js';
import { lockIn, type Tx } from './transactions.js';
import { TaskState, asAttachments, type Attachment } from '#libs/common';

export type { Network };

/** onNetwork: the filter for rows whose attachments include `network` (a GIN-indexed containment). */
export function onNetwork(network: string): { array_contains: Array<{ name: string }> } {
  return { array_contains: [{ name: network }] };
}

/**
 * The allocator's reads and lock, inside the transaction of the store that
 * creates the rows (TaskStore, ContainerStore, ServiceStore). The picks
 * themselves are the allocator's (allocator/in-transaction.ts).
 */

/** userNetwork: the user-defined network named `name`, or null (built-in networks are not rows). */
export function userNetwork(tx: Tx, name: string): Promise<Network | null> {
  return tx.network.findFirst({ where: { name, builtin: false } });
}

/** heldAddresses: the addresses on `network` of the tasks not yet ended. */
export async function heldAddresses(tx: Tx, network: string): Promise<string[]> {
  const held = await tx.task.findMany({ where: { networks: onNetwork(network), state: { lt: TaskState.COMPLETE } }, select: { networks: true } });
  return held.flatMap((t) =>
    asAttachments(t.networks)
      .filter((a) => a.name === network && a.ip)
      .map((a) => a.ip!),
  );
}

/** heldVips: the virtual IPs of all services. */
export async function heldVips(tx: Tx): Promise<string[]> {
  const held = await tx.service.findMany({ where: { vip: { not: null } }, select: { vip: true } });
  return held.map((s) => s.vip!);
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
    return resolveRef(
      'network',
      ref,
      (r) => this.db.network.findMany({ where: { OR: [{ id: r }, { name: r }], builtin: false }, take: 2 }),
      (p) => this.db.network.findMany({ where: { id: { startsWith: p }, builtin: false }, take: 2 }),
    );
  }

  /** create inserts a network under a lock, so two subnets chosen at once never overlap. */
  create(name: string, pick: (taken: Network[]) => NewNetwork): Promise<Network> {
    return this.db.$transaction(async (tx) => {
      await lockIn(tx, 'networks');
      const all = await tx.network.findMany({ where: { builtin: false } });
      if (all.some((n) => n.name === name)) throw new ConflictError(`network ${name} already exists`);
      const n = pick(all);
      const id = newId();
      try {
        // "bn-": never a name Docker gives its bridges (br-…), so the two never share one on a host.
        return await tx.network.create({ data: { id, ...n, bridge: `bn-${id.slice(0, 12)}` } });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`network ${n.name} already exists`);
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
