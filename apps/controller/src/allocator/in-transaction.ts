/**
 * The allocator's persisting functions, run inside the transaction of a
 * store that creates rows (AllocatorService hands them to it): task
 * addresses for TaskStore.createMany and ContainerStore, a service's VIP
 * for ServiceStore.create.
 * Each takes its pool's advisory lock in the caller's transaction (held
 * until it commits, so two replicas never give out the same value), reads
 * what is held through the store, and picks with the pure functions.
 */
import { heldAddresses, heldVips, userNetwork } from '../store/network.store.js';
import { lockIn, type Tx } from '../store/transactions.js';
import { intToIp, ipToInt, isBuiltinNetwork, isClusterDriver, type Attachment } from '#libs/common';
import { ExhaustedError } from './errors.js';
import { addressPool, pickAddress } from './ipam.js';
import { pickVip } from './vip.js';

/** Lock keys: one per network's addresses, one for the VIP pool (the same keys every replica uses). */
const addressLock = (network: string) => `ipam:${network}`;
const VIP_LOCK = 'vips';

/**
 * allocateAddresses gives `count` tasks addresses on a cluster-scoped network
 * under the network's lock: the lowest free ones. "" for a network the
 * controller does not address (bridge, host, none), and for each task past
 * the point where the subnet is full.
 */
async function allocateAddresses(tx: Tx, network: string, count: number): Promise<string[]> {
  const n = await userNetwork(tx, network);
  if (!n || !isClusterDriver(n.driver) || count === 0) return Array.from({ length: count }, () => '');
  await lockIn(tx, addressLock(network));
  const taken = new Set((await heldAddresses(tx, network)).map(ipToInt));
  const pool = addressPool(n.subnet, n.gateway, n.ipRange);
  const out: string[] = [];
  try {
    while (out.length < count) {
      const ip = pickAddress(pool, taken);
      taken.add(ip);
      out.push(intToIp(ip));
    }
  } catch (err) {
    if (!(err instanceof ExhaustedError)) throw err;
  }
  while (out.length < count) out.push('');
  return out;
}

/**
 * withAddresses gives each task's attachments to cluster-scoped networks an
 * address, in the caller's transaction. Returns the attachments with `ip`
 * set where the network is addressed by the controller.
 */
export async function withAddresses(tx: Tx, perTask: Attachment[][]): Promise<Attachment[][]> {
  // Built-in networks are addressed by each host: no lookup for them (the common case, on the create path).
  const wanted = new Map<string, number>();
  for (const list of perTask) for (const a of list) if (!isBuiltinNetwork(a.name)) wanted.set(a.name, (wanted.get(a.name) ?? 0) + 1);
  const pools = new Map<string, string[]>();
  for (const [name, count] of wanted) pools.set(name, await allocateAddresses(tx, name, count));
  return perTask.map((list) =>
    list.map((a) => {
      const ip = pools.get(a.name)?.shift() ?? '';
      return ip ? { ...a, ip } : { name: a.name, ...(a.aliases?.length ? { aliases: a.aliases } : {}) };
    }),
  );
}

/** allocateVip gives a service the lowest free address of the VIP pool, under the pool's lock; undefined when the pool is full. */
export async function allocateVip(tx: Tx, pool: string): Promise<string | undefined> {
  await lockIn(tx, VIP_LOCK);
  try {
    return pickVip(pool, await heldVips(tx));
  } catch (err) {
    if (err instanceof ExhaustedError) return undefined;
    throw err;
  }
}
