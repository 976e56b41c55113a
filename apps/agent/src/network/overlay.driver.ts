/**
 * OverlayDriver: a cluster-scoped overlay network. On each host with one of
 * its containers: a bridge (as a bridge network's, with NAT out and
 * isolation) plus a VXLAN device (UDP 4789, learning off, ARP proxy) on it,
 * MTU 1450 for the VXLAN header. Containers get the address the controller
 * allocated and a MAC derived from it; the controller's peer table (address
 * and host of every task on the network) becomes, for the tasks on other
 * hosts, FDB entries (MAC → remote host) and neighbour entries (address →
 * MAC) on the VXLAN device,
 * so containers on different hosts share the subnet with no flooding. The
 * same table carries every task's names and service, so names and virtual
 * IPs resolve cluster-wide.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BridgeDriver, type BridgeConfig } from './bridge.driver.js';
import type { CniAdapter, CniConfList } from './cni.adapter.js';
import type { AttachOptions, Peer } from './network-driver.js';
import { RuntimeError } from '../runtime/errors.js';
import { macFor } from '../../../../libs/common/src/index.js';

const run = promisify(execFile);
/** MTU: 1500 less the VXLAN encapsulation (50 bytes). */
const MTU = 1450;

export interface OverlayConfig extends BridgeConfig {
  vni: number;
  /** The VXLAN device's name (at most 15 characters). */
  vxlanName: string;
}

export class OverlayDriver extends BridgeDriver {
  private peers: Peer[] = [];
  private applied = new Map<string, string>();
  private ready = false;

  constructor(cni: CniAdapter, private readonly ov: OverlayConfig) {
    super(cni, ov);
  }

  protected override confFor(opts: AttachOptions): CniConfList {
    if (!opts.ip) throw new RuntimeError(`no address for this task on overlay network ${this.name} (its subnet may be full)`);
    const prefix = this.ov.subnet.split('/')[1];
    const [bridge] = this.conf.plugins;
    return {
      ...this.conf,
      plugins: [
        {
          ...bridge, mtu: MTU,
          ipam: { type: 'static', addresses: [{ address: `${opts.ip}/${prefix}`, gateway: this.ov.gateway }], routes: opts.primary === false ? [] : [{ dst: '0.0.0.0/0', gw: this.ov.gateway }] },
        },
        { type: 'tuning', mac: macFor(opts.ip) },
      ],
    };
  }

  protected override async afterAttach(): Promise<void> {
    if (this.ready) return;
    const vx = this.ov.vxlanName;
    const exists = await run('ip', ['link', 'show', vx]).then(() => true, () => false);
    if (!exists) await run('ip', ['link', 'add', vx, 'type', 'vxlan', 'id', String(this.ov.vni), 'dstport', '4789', 'nolearning', 'proxy']);
    // A device kept over an agent restart holds the entries of that time: take them as applied,
    // so the ones whose tasks went meanwhile are removed below.
    else for (const [ip, vtep] of await this.kernelPeers()) this.applied.set(ip, vtep);
    await run('ip', ['link', 'set', vx, 'master', this.ov.bridgeName, 'mtu', String(MTU), 'up']);
    // The bridge must not learn MACs behind the VXLAN port: addresses (and so MACs) move between
    // hosts as tasks come and go, and a stale entry would send a local container's frames away.
    await run('bridge', ['link', 'set', 'dev', vx, 'learning', 'off']);
    this.ready = true;
    await this.program();
  }

  /** restore: after an agent restart, a running container's network gets its device and tables back in line. */
  override async restore(containerId: string, address: string, opts: AttachOptions = {}): Promise<void> {
    await super.restore(containerId, address, opts);
    await this.afterAttach();
  }

  /** setPeers takes the controller's table for this network and programs it once the device exists. */
  async setPeers(peers: Peer[]): Promise<void> {
    this.peers = peers;
    if (this.ready) await this.program();
    await this.endpoints?.setPeers(peers);
  }

  private async program(): Promise<void> {
    const vx = this.ov.vxlanName;
    const want = new Map(this.peers.filter((p) => p.vtep).map((p) => [p.ip, p.vtep]));
    for (const [ip, vtep] of want) {
      if (this.applied.get(ip) === vtep) continue;
      const mac = macFor(ip);
      await run('bridge', ['fdb', 'replace', mac, 'dev', vx, 'dst', vtep, 'self', 'permanent']).catch(() => {});
      await run('ip', ['neigh', 'replace', ip, 'lladdr', mac, 'dev', vx, 'nud', 'permanent']).catch(() => {});
      this.applied.set(ip, vtep);
    }
    for (const ip of [...this.applied.keys()]) {
      if (want.has(ip)) continue;
      await run('bridge', ['fdb', 'del', macFor(ip), 'dev', vx, 'self']).catch(() => {});
      await run('ip', ['neigh', 'del', ip, 'dev', vx]).catch(() => {});
      this.applied.delete(ip);
    }
  }

  /** kernelPeers reads the device's FDB entries: address (from the MAC) → remote host. */
  private async kernelPeers(): Promise<Map<string, string>> {
    const { stdout } = await run('bridge', ['fdb', 'show', 'dev', this.ov.vxlanName]).catch(() => ({ stdout: '' }));
    const out = new Map<string, string>();
    for (const m of stdout.matchAll(/^02:42:([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}) dst (\d+\.\d+\.\d+\.\d+)/gm)) {
      out.set(m.slice(1, 5).map((h) => parseInt(h, 16)).join('.'), m[5]!);
    }
    return out;
  }

  /** inUse: any container port left on the bridge besides the VXLAN device? */
  protected override async inUse(): Promise<boolean> {
    const { stdout } = await run('ip', ['-o', 'link', 'show', 'master', this.ov.bridgeName]).catch(() => ({ stdout: '' }));
    return stdout.split('\n').some((l) => l.trim() && !l.includes(`${this.ov.vxlanName}:`));
  }

  protected override async removeHost(): Promise<void> {
    this.ready = false;
    this.applied.clear();
    await run('ip', ['link', 'del', this.ov.vxlanName]).catch(() => {});
    await super.removeHost();
  }
}
