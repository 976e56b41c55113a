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
export interface Attachment {
  /** IPv4 address without prefix, "" when the container has none. */
  address: string;
}

export interface NetworkDriver {
  readonly name: string;
  /** needsNamespace is false only for host networking. */
  readonly needsNamespace: boolean;
  attach(containerId: string, netnsPath: string): Promise<Attachment>;
  /** netnsPath is given while the namespace still exists; DEL must work without it. */
  detach(containerId: string, netnsPath?: string): Promise<void>;
}

export class UnknownNetworkError extends Error {
  constructor(name: string) {
    super(`network "${name}" is not known on this host (bridge, host, none)`);
  }
}

export class NetworkRegistry {
  private readonly drivers = new Map<string, NetworkDriver>();

  register(d: NetworkDriver): this {
    this.drivers.set(d.name, d);
    return this;
  }

  get(name: string): NetworkDriver {
    const d = this.drivers.get(name);
    if (!d) throw new UnknownNetworkError(name);
    return d;
  }
}
