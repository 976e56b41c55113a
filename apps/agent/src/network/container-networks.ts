/**
 * ContainerNetworks: how one container joins its networks, in the order the
 * task lists them — eth0 on the first (which has the default route), eth1 on
 * the next, and so on; published ports go through the first bridge network —
 * and how a running container is connected to or disconnected from networks
 * in place (network connect / disconnect). What is attached is returned as
 * LiveAttachments, which the worker keeps in the container's metadata so it
 * can detach or restore exactly that after an agent restart.
 */
import type { NetworkAttachment, TaskSpec } from '#libs/proto/messages.js';
import type { AttachOptions, NetworkDriver, NetworkRegistry } from './network-driver.js';
import { run } from '../exec/run.js';

export interface LiveAttachment {
  network: string;
  ifName: string;
  address: string;
  /** The gateway on this network ("" when unknown): the default route when it becomes the first. */
  gateway: string;
}

export class ContainerNetworks {
  constructor(private readonly registry: NetworkRegistry) {}

  private driver(a: NetworkAttachment): NetworkDriver {
    return this.registry.get(a.name, a.config ?? undefined);
  }

  /** check throws for a network this host cannot join, before any work is done. */
  check(spec: TaskSpec): void {
    for (const a of spec.networks) this.driver(a);
  }

  /** needsNamespace: false only for host networking. */
  needsNamespace(spec: TaskSpec): boolean {
    return spec.networks.every((a) => this.driver(a).needsNamespace);
  }

  /** options: what network `a` needs to know about the container. */
  options(spec: TaskSpec, a: NetworkAttachment, ifName: string, primary: boolean): AttachOptions {
    const names = [spec.name, spec.id.slice(0, 12), ...(a.aliases ?? [])].filter(Boolean);
    const firstBridge = spec.networks.find((n) => n.name === 'bridge' || n.config?.driver === 'bridge');
    return {
      ifName,
      primary,
      names: [...new Set(names)],
      ip: a.ip || undefined,
      ...(firstBridge?.name === a.name ? { ports: spec.ports } : {}),
      ...(spec.serviceName ? { service: { name: spec.serviceName, vip: spec.vip ?? '' } } : {}),
    };
  }

  /** attachAll attaches every network in order; on a failure it undoes what it did and throws. */
  async attachAll(spec: TaskSpec, netns: string): Promise<LiveAttachment[]> {
    const live: LiveAttachment[] = [];
    try {
      for (const [i, a] of spec.networks.entries()) live.push(await this.attachOne(spec, a, netns, `eth${i}`, i === 0, true));
    } catch (err) {
      await this.detachAll(spec, live);
      throw err;
    }
    return live;
  }

  private async attachOne(spec: TaskSpec, a: NetworkAttachment, netns: string, ifName: string, primary: boolean, newNamespace = false): Promise<LiveAttachment> {
    const d = this.driver(a);
    const res = d.needsNamespace ? await d.attach(spec.id, netns, { ...this.options(spec, a, ifName, primary), newNamespace }) : { address: '' };
    return { network: a.name, ifName, address: res.address, gateway: res.gateway ?? a.config?.gateway ?? '' };
  }

  /** detachAll detaches the live attachments (netns "" once the container is gone); errors are ignored. */
  async detachAll(spec: TaskSpec, live: LiveAttachment[], netns = ''): Promise<void> {
    for (const l of live) await this.detachOne(spec, l, netns).catch(() => {});
  }

  private async detachOne(spec: TaskSpec, l: LiveAttachment, netns: string): Promise<void> {
    const a = spec.networks.find((n) => n.name === l.network) ?? { name: l.network, aliases: [], ip: '', config: null };
    await this.driver(a).detach(spec.id, netns, this.options(spec, a, l.ifName, l.ifName === 'eth0'));
  }

  /** restore gives the networks back a running container's attachments after an agent restart. */
  async restore(spec: TaskSpec, live: LiveAttachment[], netns: string): Promise<void> {
    for (const l of live) {
      const a = spec.networks.find((n) => n.name === l.network);
      if (a) await this.restoreOne(spec, a, l, netns);
    }
  }

  /** restoreOne (re)enters an attached container in the network's names and rules; errors are left to the next change. */
  private async restoreOne(spec: TaskSpec, a: NetworkAttachment, l: LiveAttachment, netns: string): Promise<void> {
    await this.driver(a)
      .restore?.(spec.id, l.address, { ...this.options(spec, a, l.ifName, l.ifName === 'eth0'), netns })
      .catch(() => {});
  }

  /**
   * reconcile brings a running container's networks to the spec's list: it leaves
   * the networks no longer listed, joins new ones on the next free interface and
   * takes new aliases. Returns what is attached afterwards and the failures.
   */
  async reconcile(spec: TaskSpec, live: LiveAttachment[], netns: string, previous: TaskSpec): Promise<{ live: LiveAttachment[]; errors: string[] }> {
    const errors: string[] = [];
    const wanted = new Set(spec.networks.map((a) => a.name));
    const kept: LiveAttachment[] = [];
    for (const l of live) {
      if (wanted.has(l.network)) kept.push(l);
      else await this.detachOne(previous, l, netns).catch((err: Error) => errors.push(`disconnecting from network ${l.network} failed: ${err.message}`));
    }
    // The default route goes with eth0: the first network left takes it over.
    if (kept.length && !kept.some((l) => l.ifName === 'eth0') && live.some((l) => l.ifName === 'eth0') && kept[0].gateway) {
      await run('nsenter', [`--net=${netns}`, 'ip', 'route', 'replace', 'default', 'via', kept[0].gateway, 'dev', kept[0].ifName]).catch(() => {});
    }
    for (const a of spec.networks) {
      const have = kept.find((l) => l.network === a.name);
      if (have) {
        await this.restoreOne(spec, a, have, netns);
        continue;
      }
      let n = 0;
      while (kept.some((l) => l.ifName === `eth${n}`)) n++;
      try {
        kept.push(await this.attachOne(spec, a, netns, `eth${n}`, kept.length === 0));
      } catch (err) {
        errors.push(`connecting to network ${a.name} failed: ${(err as Error).message}`);
      }
    }
    return { live: kept, errors };
  }
}
