/**
 * AllocatorService: the allocator as other roles reach it by injection.
 * createNetwork stores a new network with its VXLAN id when it is an
 * overlay, picked under the lock NetworkStore.create holds over all
 * networks, so two overlays created at once never share an id.
 */
import { Injectable } from '@nestjs/common';
import { ConflictError, NetworkStore, type Network, type NewNetwork, type Tx } from '../store/store.module.js';
import { DriverName, type Attachment } from '#libs/common';
import { ExhaustedError } from './errors.js';
import { allocateVip, withAddresses } from './in-transaction.js';
import { pickVni } from './vni.js';

/** vniOf: an overlay's VXLAN id as stored in its options (0 for other networks). */
function vniOf(n: Network): number {
  return Number((n.options as Record<string, string> | null)?.vni ?? 0);
}

/** vni: the next VXLAN id; all of them held is a conflict the user can resolve by removing overlays. */
function vni(taken: Network[]): number {
  try {
    return pickVni(taken.map(vniOf));
  } catch (err) {
    if (err instanceof ExhaustedError) throw new ConflictError(err.message);
    throw err;
  }
}

@Injectable()
export class AllocatorService {
  constructor(private readonly networks: NetworkStore) {}

  /** addresses: for a store's transaction, each task's attachments with addresses on cluster-scoped networks (withAddresses). */
  readonly addresses = (tx: Tx, perTask: Attachment[][]): Promise<Attachment[][]> => withAddresses(tx, perTask);

  /** vip: for a store's transaction, the lowest free address of `pool`; a full pool is a conflict. */
  vip(pool: string): (tx: Tx) => Promise<string> {
    return async (tx) => {
      const address = await allocateVip(tx, pool);
      if (address === undefined) throw new ConflictError(`the virtual IP pool ${pool} is exhausted; use --endpoint-mode dnsrr`);
      return address;
    };
  }

  /**
   * createNetwork inserts the network `settings` describes (it sees the
   * networks that exist, to choose a subnet none of them has); an overlay
   * gets the next VXLAN id (pickVni) in its options.
   */
  createNetwork(name: string, settings: (taken: Network[]) => NewNetwork): Promise<Network> {
    return this.networks.create(name, (taken) => {
      const n = settings(taken);
      return n.driver === DriverName.OVERLAY ? { ...n, options: { ...n.options, vni: String(vni(taken)) } } : n;
    });
  }
}
