/**
 * NetworkDriver: how a container joins a network. The runtime calls attach()
 * while the container is created but not started (its network namespace
 * exists at /proc/<pid>/ns/net) and detach() when it is removed, possibly
 * after the namespace is gone. Drivers are registered by network name;
 * plumbing goes through the standard CNI plugins (cni.adapter.ts), and a
 * driver writes only what no plugin does.
 *
 *   bridge  the host's default bridge: CNI bridge + host-local IPAM, NAT out
 *   host    the host's own stack: no namespace, nothing to do
 *   none    loopback only
 */
import type { PortMapping } from '../../../../libs/proto/messages.js';

export type { PortMapping };

export interface AttachOptions {
  /** Ports published on the host's addresses. */
  ports?: PortMapping[];
  /** Names the container answers to on the network (task, container and service names). */
  names?: string[];
  /** The address the controller allocated the task (cluster-scoped networks). */
  ip?: string;
}

export interface Attachment {
  /** IPv4 address without prefix, "" when the container has none. */
  address: string;
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
  /** setPeers: where the network's containers on other hosts are (overlay networks). */
  setPeers?(peers: Array<{ ip: string; vtep: string }>): Promise<void>;
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

export class NetworkRegistry {
  private readonly drivers = new Map<string, NetworkDriver>();

  /** make builds the driver of a user-defined network the first time a task needs it. */
  constructor(private readonly make?: (n: UserNetwork) => NetworkDriver) {}

  register(d: NetworkDriver): this {
    this.drivers.set(d.name, d);
    return this;
  }

  get(name: string, user?: UserNetwork): NetworkDriver {
    const d = this.drivers.get(name);
    if (d) return d;
    if (!user || !this.make) throw new UnknownNetworkError(name);
    if (!['bridge', 'macvlan', 'overlay'].includes(user.driver)) throw new UnknownNetworkError(name, `a ${user.driver} network, which this agent cannot join yet`);
    const made = this.make(user);
    this.drivers.set(name, made);
    const peers = this.pendingPeers.get(name);
    if (peers) void made.setPeers?.(peers);
    return made;
  }

  private readonly pendingPeers = new Map<string, Array<{ ip: string; vtep: string }>>();

  /** setPeers hands an overlay's peer table to its driver, or keeps it until the driver exists. */
  async setPeers(network: string, peers: Array<{ ip: string; vtep: string }>): Promise<void> {
    this.pendingPeers.set(network, peers);
    await this.drivers.get(network)?.setPeers?.(peers);
  }
}
