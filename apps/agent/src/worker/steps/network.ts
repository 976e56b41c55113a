/**
 * NetworkStep: a task's networks around its container. Before create it
 * rejects networks this host cannot join and says what the container's
 * /etc/hosts, /etc/hostname and /etc/resolv.conf hold; between the
 * process's creation and its run it attaches the networks in order (eth0 on
 * the first); on removal it detaches them. It also carries what the
 * controller says of networks to the drivers: overlay peer tables and the
 * services' VIP pool. Drivers are found in the NetworkRegistry (network/).
 */
import { readFile } from 'node:fs/promises';
import type { OverlayPeers, TaskSpec } from '#libs/proto/messages.js';
import { ContainerNetworks, guardVipPool, type LiveAttachment, type NetworkRegistry } from '../../network/index.js';
import type { EtcFiles } from '../../runtime/index.js';
import { containerHostname } from './image.js';

/**
 * resolvConf: a user-defined network's resolver when the container is on one (any of
 * them answers the names of all its networks), else the host's resolvers, or the
 * task's --dns servers in their place (the host's search and options kept, as Docker).
 */
async function resolvConf(spec: TaskSpec): Promise<string> {
  const named = spec.networks.find((a) => a.config?.driver === 'bridge' || a.config?.driver === 'overlay');
  if (named) return `nameserver ${named.config!.gateway}\noptions ndots:0\n`;
  if ((spec.networks[0]?.name ?? 'none') === 'none') return '';
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const dns = spec.options?.dns ?? [];
  if (!dns.length) return host;
  const kept = host.split('\n').filter((l) => /^\s*(search|domain|options)\b/.test(l));
  return [...dns.map((d) => `nameserver ${d}`), ...kept].join('\n') + '\n';
}

/** hostsFile: /etc/hosts with the container's own name on each of its addresses, then its --add-host lines. */
export function hostsFile(spec: TaskSpec, live: LiveAttachment[]): string {
  const hostname = containerHostname(spec);
  const own = live
    .filter((l) => l.address)
    .map((l) => `${l.address}\t${hostname}\n`)
    .join('');
  const extra = (spec.options?.extraHosts ?? [])
    .map((h) => {
      const i = h.lastIndexOf(':');
      return `${h.slice(i + 1)}\t${h.slice(0, i)}\n`;
    })
    .join('');
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}${extra}`;
}

/** addressesOf: network name → address, for the networks that gave the container one. */
export function addressesOf(live: LiveAttachment[] = []): Record<string, string> {
  return Object.fromEntries(live.filter((l) => l.address).map((l) => [l.network, l.address]));
}

export class NetworkStep {
  private readonly nets: ContainerNetworks;

  constructor(private readonly registry: NetworkRegistry) {
    this.nets = new ContainerNetworks(registry);
  }

  /** check throws for a network this host cannot join, before any work is done. */
  check(spec: TaskSpec): void {
    this.nets.check(spec);
  }

  /** etc: the container's /etc files before it has any address. */
  async etc(spec: TaskSpec): Promise<EtcFiles> {
    return { hosts: hostsFile(spec, []), hostname: `${containerHostname(spec)}\n`, resolvConf: await resolvConf(spec) };
  }

  /** firstNetwork: the network with the default route ("host" means the host's own stack). */
  firstNetwork(spec: TaskSpec): string {
    return spec.networks[0]?.name ?? 'none';
  }

  /** attach joins every network in order into the container's namespace; nothing to do for host networking. */
  async attach(spec: TaskSpec, netns: string): Promise<LiveAttachment[]> {
    return this.nets.needsNamespace(spec) ? this.nets.attachAll(spec, netns) : [];
  }

  /** detach leaves the attached networks (after the container is gone: no namespace); errors are ignored. */
  detach(spec: TaskSpec, live: LiveAttachment[]): Promise<void> {
    return this.nets.detachAll(spec, live);
  }

  /** restore gives networks back a running container's attachments after an agent restart. */
  restore(spec: TaskSpec, live: LiveAttachment[], netns: string): Promise<void> {
    return this.nets.restore(spec, live, netns);
  }

  /** reconnect brings a running container's networks to the spec's list in place (network connect / disconnect). */
  reconnect(spec: TaskSpec, live: LiveAttachment[], netns: string, previous: TaskSpec): Promise<{ live: LiveAttachment[]; errors: string[] }> {
    return this.nets.reconcile(spec, live, netns, previous);
  }

  /** resolvConf: what /etc/resolv.conf holds for the spec's networks. */
  resolvConf(spec: TaskSpec): Promise<string> {
    return resolvConf(spec);
  }

  /** setOverlayPeers passes the controller's overlay peer tables to the networks. */
  async setOverlayPeers(overlays: OverlayPeers[]): Promise<void> {
    for (const o of overlays) await this.registry.setPeers(o.network, o.peers ?? []);
  }

  /** hostDevices: the host devices networks hold for containers (overlay interfaces the host cannot see in use). */
  hostDevices(): Set<string> {
    return this.registry.hostDevices();
  }

  /** guardVipPool keeps traffic to the services' virtual IPs on this host (network/vip-guard.ts). */
  guardVipPool(pool: string): Promise<void> {
    return guardVipPool(pool);
  }
}
