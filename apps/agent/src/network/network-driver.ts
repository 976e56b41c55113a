/**
 * NetworkDriver: how a container joins a network. The worker's network step
 * calls attach() while the container is created but not started (its
 * network namespace exists at /proc/<pid>/ns/net) and detach() when it is
 * removed, possibly after the namespace is gone. Plumbing goes through the
 * standard CNI plugins (cni.adapter.ts), and a driver writes only what no
 * plugin does.
 *
 *   bridge   the host's default bridge, or a user-defined one: CNI bridge +
 *            host-local IPAM, NAT out, published ports
 *   overlay  a cluster-wide subnet: a bridge per host joined by VXLAN, peers
 *            programmed from the controller's tables (setPeers)
 *   macvlan  containers on a parent interface's segment
 *   host     the host's own stack: no namespace, nothing to do
 *   none     loopback only
 *
 * The registry (NetworkRegistry) holds the host's own networks by name
 * (bridge, host, none) and builds a user-defined network's driver from its
 * kind the first time a task needs it, through the map of kinds in
 * index.ts (USER_DRIVERS): a new kind is one file implementing this
 * interface plus one entry there.
 */
import type { PortMapping } from '#libs/proto/messages.js';

export type { PortMapping };

export interface AttachOptions {
  /** The interface's name in the container (eth0 for its first network). */
  ifName?: string;
  /** The container's first network: the one with its default route. Default true. */
  primary?: boolean;
  /** Ports published on the host's addresses. */
  ports?: PortMapping[];
  /** Names the container answers to on the network (task and container names, short id, aliases). */
  names?: string[];
  /** A service task's service, and its virtual IP ("" with endpoint mode dnsrr). */
  service?: { name: string; vip: string };
  /** The address the controller allocated the task (cluster-scoped networks). */
  ip?: string;
  /** The container's network namespace, while it runs (for its VIP rules). */
  netns?: string;
  /** The namespace was made for this start: nothing of the network's is in it yet. */
  newNamespace?: boolean;
}

/** OverlayPeer: a task of a cluster-scoped network as the controller describes it. */
export interface Peer {
  ip: string;
  /** Its host's address; "" for this host's own tasks. */
  vtep: string;
  names?: string[];
  service?: string;
  vip?: string;
}

export interface Attachment {
  /** IPv4 address without prefix, "" when the container has none. */
  address: string;
  /** The network's gateway, when the plugin reports one. */
  gateway?: string;
}

export interface NetworkDriver {
  readonly name: string;
  /** needsNamespace is false only for host networking. */
  readonly needsNamespace: boolean;
  attach(containerId: string, netnsPath: string, opts?: AttachOptions): Promise<Attachment>;
  /** netnsPath is given while the namespace still exists; DEL must work without it. */
  detach(containerId: string, netnsPath?: string, opts?: AttachOptions): Promise<void>;
  /** restore takes back a running container's attachment after an agent restart (names, not plumbing). */
  restore?(containerId: string, address: string, opts?: AttachOptions): Promise<void>;
  /** setPeers: the network's tasks cluster-wide (overlay networks). */
  setPeers?(peers: Peer[]): Promise<void>;
  /** lookup answers a name from this network's records: undefined when it has none. */
  lookup?(name: string): string[] | undefined;
  /** memberAt: the container on this host that has `address` on this network. */
  memberAt?(address: string): string | undefined;
  /** isMember: is the container attached to this network here? */
  isMember?(containerId: string): boolean;
  /** hostDevices: devices the network holds on the host for its containers, when the host cannot tell (overlay). */
  hostDevices?(): string[];
}

export class UnknownNetworkError extends Error {
  constructor(name: string, why = 'not known on this host (bridge, host, none, or one created with berth network create)') {
    super(`network "${name}" is ${why}`);
  }
}

/** UserNetwork: what the controller sends about a user-defined network with each task. */
export interface UserNetwork {
  name: string;
  driver: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  internal: boolean;
  options?: Record<string, string>;
}

/** Names: answers a name asked on `network` by `client`, from every network the client is on here. */
export type NameLookup = (network: string, name: string, client: string) => string[] | undefined;

/** UserDriverFactory builds the driver of one user-defined network of its kind. */
export type UserDriverFactory = (n: UserNetwork, lookup: NameLookup) => NetworkDriver;

export class NetworkRegistry {
  private readonly drivers = new Map<string, NetworkDriver>();

  /** kinds: the user-defined network drivers by kind, each building the driver of one network the first time a task needs it. */
  constructor(private readonly kinds: Record<string, UserDriverFactory> = {}) {}

  /**
   * lookup: as Docker's embedded DNS, a container resolves the names of every
   * network it is on, whichever network's resolver it asks: the asked network first.
   */
  readonly lookup: NameLookup = (network, name, client) => {
    const asked = this.drivers.get(network);
    const own = asked?.lookup?.(name);
    if (own) return own;
    const id = asked?.memberAt?.(client);
    if (!id) return undefined;
    for (const d of this.drivers.values()) {
      if (d === asked || !d.isMember?.(id)) continue;
      const found = d.lookup?.(name);
      if (found) return found;
    }
    return undefined;
  };

  /** hostDevices: every network's devices held for containers (see NetworkDriver.hostDevices). */
  hostDevices(): Set<string> {
    return new Set([...this.drivers.values()].flatMap((d) => d.hostDevices?.() ?? []));
  }

  register(d: NetworkDriver): this {
    this.drivers.set(d.name, d);
    return this;
  }

  get(name: string, user?: UserNetwork): NetworkDriver {
    const d = this.drivers.get(name);
    if (d) return d;
    if (!user) throw new UnknownNetworkError(name);
    const make = Object.hasOwn(this.kinds, user.driver) ? this.kinds[user.driver] : undefined;
    if (!make) throw new UnknownNetworkError(name, `a ${user.driver} network, which this agent cannot join yet`);
    const made = make(user, this.lookup);
    this.drivers.set(name, made);
    const peers = this.pendingPeers.get(name);
    if (peers) void made.setPeers?.(peers);
    return made;
  }

  private readonly pendingPeers = new Map<string, Peer[]>();

  /** setPeers hands an overlay's peer table to its driver, or keeps it until the driver exists. */
  async setPeers(network: string, peers: Peer[]): Promise<void> {
    this.pendingPeers.set(network, peers);
    await this.drivers.get(network)?.setPeers?.(peers);
  }
}
