/**
 * BridgeDriver: a local-scope bridge network on this host — the default
 * `bridge` network or a user-defined one. The CNI bridge plugin makes the
 * Linux bridge, the veth pair and the gateway; host-local hands out
 * addresses from the subnet (its state inside the agent's state dir, so
 * agents sharing a machine never share leases). This driver adds what no
 * plugin does: one MASQUERADE rule for the subnet (none for internal
 * networks), and isolation — traffic from one Berth bridge to another is
 * dropped (chains BERTH-ISOLATION-1/2, as Docker's), and an internal
 * network forwards nothing in or out. A user-defined network's bridge and
 * rules are removed when its last container on this host goes.
 */
import { run } from '../exec/run.js';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { CniAdapter, type CniConfList } from './cni.adapter.js';
import type { AttachOptions, Attachment, NameLookup, NetworkDriver, PortMapping } from './network-driver.js';
import { EmbeddedDns } from './dns/resolver.js';
import { Endpoints } from './endpoints.js';

export interface BridgeConfig {
  /** Network name as users see it (`bridge` for the default one). */
  name?: string;
  bridgeName: string;
  subnet: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  stateDir: string;
  /** Remove the bridge and its rules when its last container leaves (user-defined networks). */
  removeWhenIdle?: boolean;
  /** Serve names (this one's, and the asking container's other networks') on its gateway: user-defined networks. */
  lookup?: NameLookup;
}

const ISO1 = 'BERTH-ISOLATION-1';
const ISO2 = 'BERTH-ISOLATION-2';

async function iptables(args: string[]): Promise<void> {
  await run('iptables', ['-w', '5', ...args]);
}

/** ensureRule adds a rule unless it exists (`-C`); `insert` puts it first. */
export async function ensureRule(table: string, chain: string, spec: string[], insert = false): Promise<void> {
  const exists = await iptables(['-t', table, '-C', chain, ...spec]).then(
    () => true,
    () => false,
  );
  if (!exists) await iptables(['-t', table, insert ? '-I' : '-A', chain, ...(insert ? ['1'] : []), ...spec]);
}

export async function deleteRule(table: string, chain: string, spec: string[]): Promise<void> {
  await iptables(['-t', table, '-D', chain, ...spec]).catch(() => {});
}

export class BridgeDriver implements NetworkDriver {
  readonly name: string;
  readonly needsNamespace = true;
  protected readonly conf: CniConfList;
  private hostReady?: Promise<void>;
  /** The last removal of this network's host pieces: setting them up again waits for it. */
  protected removing: Promise<void> = Promise.resolve();
  /** Containers attached (or being attached) in this agent run: the network's pieces stay while any is. */
  protected readonly attached = new Set<string>();
  private resolver?: EmbeddedDns;
  /** Who is on the network: its names and VIP rules (user-defined networks only). */
  protected readonly endpoints?: Endpoints;

  constructor(
    protected readonly cni: CniAdapter,
    protected readonly cfg: BridgeConfig,
  ) {
    this.name = cfg.name ?? 'bridge';
    const range: Record<string, string> = { subnet: cfg.subnet };
    if (cfg.gateway) range.gateway = cfg.gateway;
    if (cfg.ipRange) Object.assign(range, hostRange(cfg.ipRange, cfg.subnet));
    this.conf = {
      cniVersion: '1.0.0',
      name: `berth-${cfg.bridgeName}`,
      plugins: [
        {
          type: 'bridge',
          bridge: cfg.bridgeName,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[range]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(cfg.stateDir, 'cni', 'ipam') },
        },
      ],
    };
    if (cfg.lookup) this.endpoints = new Endpoints(`BERTH-VIP-${cfg.bridgeName.slice(3)}`, cfg.subnet);
  }

  lookup(name: string): string[] | undefined {
    return this.endpoints?.lookup(name);
  }

  memberAt(address: string): string | undefined {
    return this.endpoints?.memberAt(address);
  }

  isMember(containerId: string): boolean {
    return !!this.endpoints?.has(containerId);
  }

  private natSpec(): string[] {
    return ['POSTROUTING', '-s', this.cfg.subnet, '!', '-o', this.cfg.bridgeName, '-m', 'comment', '--comment', `berth ${this.cfg.bridgeName}`, '-j', 'MASQUERADE'];
  }

  private isolationRules(): Array<[string, string[], boolean]> {
    const br = this.cfg.bridgeName;
    const rules: Array<[string, string[], boolean]> = [
      [ISO1, ['-i', br, '!', '-o', br, '-j', ISO2], false],
      [ISO2, ['-o', br, '-j', 'DROP'], true],
    ];
    if (this.cfg.internal) {
      rules.push([ISO1, ['-i', br, '!', '-o', br, '-j', 'DROP'], true], [ISO1, ['-o', br, '!', '-i', br, '-j', 'DROP'], true]);
    }
    return rules;
  }

  /** ensureHost installs this network's NAT and isolation rules once per agent run. */
  private ensureHost(): Promise<void> {
    this.hostReady ??= this.removing
      .then(async () => {
        for (const chain of [ISO1, ISO2]) await iptables(['-N', chain]).catch(() => {});
        await ensureRule('filter', 'FORWARD', ['-j', ISO1], true);
        for (const [chain, spec, insert] of this.isolationRules()) await ensureRule('filter', chain, spec, insert);
        if (!this.cfg.internal) {
          const [chain, ...spec] = this.natSpec();
          await ensureRule('nat', chain, spec);
        }
      })
      .catch((err) => {
        this.hostReady = undefined;
        throw err;
      });
    return this.hostReady;
  }

  /** confFor is the CNI chain for one container (overlay networks give it a fixed address). */
  protected confFor(opts: AttachOptions): CniConfList {
    const conf = this.withPorts(opts.ports);
    if (opts.primary !== false) return conf;
    // Not the container's first network: its subnet only, no default route.
    const [bridge, ...rest] = conf.plugins;
    return { ...conf, plugins: [{ ...bridge, ipam: { ...(bridge.ipam as object), routes: [] } }, ...rest] };
  }

  /** prepare makes what the container's plugin chain needs on the host beyond the bridge plugin's own (overlay devices). */
  protected async prepare(): Promise<void> {}

  /** withPorts adds the portmap plugin (DNAT from the host's addresses) when the container publishes ports. */
  private withPorts(ports: PortMapping[] = []): CniConfList {
    if (!ports.length) return this.conf;
    const portMappings = ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol }));
    return { ...this.conf, plugins: [...this.conf.plugins, { type: 'portmap', capabilities: { portMappings: true }, snat: true, runtimeConfig: { portMappings } }] };
  }

  async attach(containerId: string, netnsPath: string, opts: AttachOptions = {}): Promise<Attachment> {
    // Loopback needs no plugin: runc brings `lo` up in the namespaces it creates.
    this.attached.add(containerId);
    const res = await (async () => {
      await this.ensureHost();
      await this.prepare();
      return this.cni.add(this.confFor(opts), containerId, netnsPath, opts.ifName ?? 'eth0');
    })().catch((err: unknown) => {
      this.attached.delete(containerId);
      throw err;
    });
    const address = (res.ips?.[0]?.address ?? '').split('/')[0] ?? '';
    await this.restore(containerId, address, { ...opts, netns: netnsPath });
    return { address, gateway: res.ips?.[0]?.gateway ?? this.cfg.gateway };
  }

  /** restore (and attach) enter the container in the network's names and VIP rules, and start its resolver. */
  async restore(containerId: string, address: string, opts: AttachOptions = {}): Promise<void> {
    this.attached.add(containerId);
    await this.prepare();
    if (!this.endpoints || !address) return;
    if (!this.resolver) {
      const r = new EmbeddedDns(this.cfg.gateway ?? '', (name, client) => this.cfg.lookup!(this.name, name, client));
      await r.start().then(
        () => (this.resolver = r),
        () => {},
      );
    }
    await this.endpoints.set(containerId, { names: opts.names ?? [], address, service: opts.service, netns: opts.netns, newNamespace: opts.newNamespace });
  }

  async detach(containerId: string, netnsPath = '', opts: AttachOptions = {}): Promise<void> {
    this.attached.delete(containerId);
    try {
      await this.endpoints?.remove(containerId);
      // Without a namespace the bridge plugin only releases the lease; the veth
      // went away with the namespace. portmap removes the container's DNAT rules.
      await this.cni.del(this.confFor(opts), containerId, netnsPath, opts.ifName ?? 'eth0');
    } finally {
      // Checked again after the await: a container may have started attaching meanwhile.
      if (this.cfg.removeWhenIdle && !(await this.inUse()) && !this.attached.size) await this.removeHost();
    }
  }

  /** inUse: does any container still hold a lease on this network here? */
  protected async inUse(): Promise<boolean> {
    const dir = path.join(this.cfg.stateDir, 'cni', 'ipam', this.conf.name);
    const entries = await readdir(dir).catch(() => [] as string[]);
    return entries.some((e) => /^\d+\.\d+\.\d+\.\d+$/.test(e));
  }

  /** removeHost deletes this network's rules and devices; an attach meanwhile waits for it, then sets them up again. */
  protected removeHost(): Promise<void> {
    this.hostReady = undefined;
    this.resolver?.stop();
    this.resolver = undefined;
    this.removing = (async () => {
      for (const [chain, spec] of this.isolationRules()) await deleteRule('filter', chain, spec);
      const [chain, ...spec] = this.natSpec();
      await deleteRule('nat', chain, spec);
      await this.removeDevices();
    })();
    return this.removing;
  }

  /** removeDevices deletes the network's devices on this host: the bridge (its veths are gone with their containers). */
  protected async removeDevices(): Promise<void> {
    await run('ip', ['link', 'del', this.cfg.bridgeName]).catch(() => {});
  }
}

/** hostRange turns an ip-range CIDR into host-local's inclusive rangeStart/rangeEnd, never the subnet's own network or broadcast address. */
function hostRange(ipRange: string, subnet: string): { rangeStart: string; rangeEnd: string } {
  const parse = (c: string) => {
    const [ip, bits] = c.split('/');
    return { base: ip.split('.').reduce((n, o) => n * 256 + Number(o), 0), size: 2 ** (32 - Number(bits)) };
  };
  const r = parse(ipRange);
  const sub = parse(subnet);
  const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
  const first = Math.max(r.base, sub.base + 1);
  const last = Math.min(r.base + r.size - 1, sub.base + sub.size - 2);
  return { rangeStart: toIp(first), rangeEnd: toIp(last) };
}
