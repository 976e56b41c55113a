/**
 * OverlayDriver: a cluster-scoped overlay network. On each host with one of
 * its containers: a VXLAN device (UDP 4789, learning off, ARP proxy, MTU 1450
 * for the VXLAN header) and, on it, macvlan interfaces in bridge mode — one
 * per container (CNI macvlan plugin) and one for the host (`bn-<id>`, holding
 * the gateway address: the resolver, NAT out and isolation, as on a bridge
 * network). Frames go from a container's interface straight into the VXLAN
 * device, with no veth pair, bridge or bridge netfilter on the way; between
 * two containers of the host, macvlan delivers them directly. Containers get
 * the address the controller allocated and a MAC derived from it; the
 * controller's peer table (address and host of every task on the network)
 * becomes, for the tasks on other hosts, FDB entries (MAC → remote host) and
 * neighbour entries (address → MAC, answered by the ARP proxy) on the VXLAN
 * device, so containers on different hosts share the subnet with no
 * flooding. The same table carries every task's names and service, so names
 * and virtual IPs resolve cluster-wide.
 */
import { isIPv4 } from 'node:net';
import { run } from '../exec/run.js';
import { BridgeDriver, deleteRule, ensureRule, type BridgeConfig } from './bridge.driver.js';
import type { CniAdapter, CniConfList } from './cni.adapter.js';
import type { AttachOptions, Peer } from './network-driver.js';
import { RuntimeError } from '../errors.js';
import { macFor } from '#libs/common';

/** MTU: 1500 less the VXLAN encapsulation (50 bytes). */
const MTU = 1450;
/**
 * The host's VXLAN datagrams skip connection tracking: each flow's source
 * port is a hash, so tracking finds no replies, only costs every packet a
 * lookup (and an entry per flow). Installed with the first overlay device,
 * removed with the last.
 */
const UNTRACKED: Array<[string, string[]]> = ['PREROUTING', 'OUTPUT'].map((chain) => [chain, ['-p', 'udp', '--dport', '4789', '-m', 'comment', '--comment', 'berth vxlan', '-j', 'NOTRACK']]);

export interface OverlayConfig extends BridgeConfig {
  vni: number;
  /** The VXLAN device's name (at most 15 characters). */
  vxlanName: string;
}

export class OverlayDriver extends BridgeDriver {
  private peers: Peer[] = [];
  private applied = new Map<string, string>();
  private devices?: Promise<void>;
  private programming: Promise<void> = Promise.resolve();

  constructor(
    cni: CniAdapter,
    private readonly ov: OverlayConfig,
  ) {
    super(cni, ov);
  }

  protected override confFor(opts: AttachOptions): CniConfList {
    if (!opts.ip) throw new RuntimeError(`no address for this task on overlay network ${this.name} (its subnet may be full)`);
    const prefix = this.ov.subnet.split('/')[1];
    return {
      ...this.conf,
      plugins: [
        {
          type: 'macvlan',
          master: this.ov.vxlanName,
          mode: 'bridge',
          mtu: MTU,
          ipam: { type: 'static', addresses: [{ address: `${opts.ip}/${prefix}`, gateway: this.ov.gateway }], routes: opts.primary === false ? [] : [{ dst: '0.0.0.0/0', gw: this.ov.gateway }] },
        },
        { type: 'tuning', mac: macFor(opts.ip) },
      ],
    };
  }

  /** detach works without the task's address too (a spec that no longer lists this network): DEL needs none. */
  override detach(containerId: string, netnsPath = '', opts: AttachOptions = {}): Promise<void> {
    return super.detach(containerId, netnsPath, { ...opts, ip: opts.ip || this.ov.gateway });
  }

  /**
   * prepare makes the VXLAN device and the host's interface on it, once, before the first
   * container's; after an agent restart (restore) it brings kept devices and tables back in line.
   */
  protected override prepare(): Promise<void> {
    this.devices ??= this.removing
      .then(() => this.makeDevices())
      .catch((err: unknown) => {
        this.devices = undefined;
        throw err;
      });
    return this.devices;
  }

  private async makeDevices(): Promise<void> {
    const vx = this.ov.vxlanName;
    const gw = this.ov.bridgeName;
    if (!(await linkExists(vx))) {
      // A new device has no entries: a pass still programming the one removed before must not count for it.
      await this.programming;
      this.applied.clear();
      await run('ip', ['link', 'add', vx, 'mtu', String(MTU), 'type', 'vxlan', 'id', String(this.ov.vni), 'dstport', '4789', 'nolearning', 'proxy']);
    } else {
      // A device kept over an agent restart holds the entries of that time: take them as applied,
      // so the ones whose tasks went meanwhile are removed below.
      for (const [ip, vtep] of await this.kernelPeers()) this.applied.set(ip, vtep);
    }
    await run('ip', ['link', 'set', vx, 'up']);
    for (const [chain, spec] of UNTRACKED) await ensureRule('raw', chain, spec);
    if (!(await linkExists(gw))) await run('ip', ['link', 'add', gw, 'link', vx, 'type', 'macvlan', 'mode', 'bridge']);
    await run('ip', ['addr', 'replace', `${this.ov.gateway}/${this.ov.subnet.split('/')[1]}`, 'dev', gw]);
    await run('ip', ['link', 'set', gw, 'up']);
    await this.program();
  }

  /** setPeers takes the controller's table for this network and programs it once the device exists. */
  async setPeers(peers: Peer[]): Promise<void> {
    this.peers = peers;
    if (this.devices)
      await this.devices.then(
        () => this.program(),
        () => {},
      );
    await this.endpoints?.setPeers(peers);
  }

  /** program brings the device's FDB and neighbour entries to the peer table; one pass at a time, each with the latest table. */
  private program(): Promise<void> {
    this.programming = this.programming.then(() => this.programOnce());
    return this.programming;
  }

  /** programOnce writes what changed as two batches (bridge and ip read them on stdin), not two commands per peer. */
  private async programOnce(): Promise<void> {
    const vx = this.ov.vxlanName;
    // Only addresses go into the batches' lines: anything else in the table is left out.
    const want = new Map(this.peers.filter((p) => isIPv4(p.ip) && isIPv4(p.vtep)).map((p) => [p.ip, p.vtep]));
    const fdb: string[] = [];
    const neigh: string[] = [];
    for (const [ip, vtep] of want) {
      if (this.applied.get(ip) === vtep) continue;
      const mac = macFor(ip);
      fdb.push(`fdb replace ${mac} dev ${vx} dst ${vtep} self permanent`);
      neigh.push(`neigh replace ${ip} lladdr ${mac} dev ${vx} nud permanent`);
    }
    const gone = [...this.applied.keys()].filter((ip) => !want.has(ip));
    for (const ip of gone) {
      fdb.push(`fdb del ${macFor(ip)} dev ${vx} self`);
      neigh.push(`neigh del ${ip} dev ${vx}`);
    }
    if (!fdb.length) return;
    await batch('bridge', fdb);
    await batch('ip', neigh);
    for (const [ip, vtep] of want) this.applied.set(ip, vtep);
    for (const ip of gone) this.applied.delete(ip);
  }

  /** kernelPeers reads the device's FDB entries: address (from the MAC) → remote host. */
  private async kernelPeers(): Promise<Map<string, string>> {
    const { stdout } = await run('bridge', ['fdb', 'show', 'dev', this.ov.vxlanName]).catch(() => ({ stdout: '' }));
    const out = new Map<string, string>();
    for (const m of stdout.matchAll(/^02:42:([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}) dst (\d+\.\d+\.\d+\.\d+)/gm)) {
      out.set(
        m
          .slice(1, 5)
          .map((h) => parseInt(h, 16))
          .join('.'),
        m[5],
      );
    }
    return out;
  }

  /** inUse: the containers' interfaces live in their namespaces, out of the host's sight: the driver counts them. */
  protected override async inUse(): Promise<boolean> {
    return this.attached.size > 0;
  }

  /** hostDevices: the devices this network holds on the host while any container is on it. */
  hostDevices(): string[] {
    return this.attached.size ? [this.ov.vxlanName, this.ov.bridgeName] : [];
  }

  protected override removeHost(): Promise<void> {
    this.devices = undefined;
    return super.removeHost();
  }

  /** removeDevices deletes the VXLAN device; the macvlan interfaces on it go with it. */
  protected override async removeDevices(): Promise<void> {
    await run('ip', ['link', 'del', this.ov.vxlanName]).catch(() => {});
    const { stdout } = await run('ip', ['-o', 'link', 'show', 'type', 'vxlan']).catch(() => ({ stdout: '' }));
    if (!/^\d+: vx-/m.test(stdout)) for (const [chain, spec] of UNTRACKED) await deleteRule('raw', chain, spec);
  }
}

/**
 * batch runs lines of `cmd` in one process. A line that fails (an entry already gone) makes
 * the rest of the batch unreliable (ip's -force does not carry on past a failed neigh), so
 * then each line runs on its own, its failure ignored.
 */
async function batch(cmd: string, lines: string[]): Promise<void> {
  const ok = await run(cmd, ['-batch', '-'], { input: `${lines.join('\n')}\n` }).then(
    () => true,
    () => false,
  );
  if (!ok) for (const l of lines) await run(cmd, l.split(' ')).catch(() => {});
}

async function linkExists(name: string): Promise<boolean> {
  return run('ip', ['link', 'show', name]).then(
    () => true,
    () => false,
  );
}
