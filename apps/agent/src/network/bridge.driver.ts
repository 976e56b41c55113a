/**
 * BridgeDriver: the host's default `bridge` network. The CNI bridge plugin
 * makes the Linux bridge, the veth pair and the gateway; host-local hands
 * out addresses from the configured subnet (its state inside the agent's
 * state dir, so agents sharing a machine never share leases). Outbound NAT
 * is one MASQUERADE rule for the subnet that this driver installs once per
 * host, instead of the plugin's per-container chains, which the plugin can
 * only remove while the container's namespace still exists.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CniAdapter, type CniConfList } from './cni.adapter.js';
import type { Attachment, NetworkDriver } from './network-driver.js';

const run = promisify(execFile);

export interface BridgeConfig {
  bridgeName: string;
  subnet: string;
  stateDir: string;
}

export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge';
  readonly needsNamespace = true;
  private readonly conf: CniConfList;
  private natReady?: Promise<void>;

  constructor(private readonly cni: CniAdapter, private readonly cfg: BridgeConfig) {
    this.conf = {
      cniVersion: '1.0.0',
      name: `berth-${cfg.bridgeName}`,
      plugins: [{
        type: 'bridge', bridge: cfg.bridgeName, isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: cfg.subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(cfg.stateDir, 'cni', 'ipam') },
      }],
    };
  }

  private ensureNat(): Promise<void> {
    this.natReady ??= (async () => {
      const spec = ['POSTROUTING', '-s', this.cfg.subnet, '!', '-o', this.cfg.bridgeName, '-m', 'comment', '--comment', `berth ${this.cfg.bridgeName}`, '-j', 'MASQUERADE'];
      const exists = await run('iptables', ['-w', '5', '-t', 'nat', '-C', ...spec]).then(() => true, () => false);
      if (!exists) await run('iptables', ['-w', '5', '-t', 'nat', '-A', ...spec]);
    })().catch((err) => {
      this.natReady = undefined;
      throw err;
    });
    return this.natReady;
  }

  async attach(containerId: string, netnsPath: string): Promise<Attachment> {
    // Loopback needs no plugin: runc brings `lo` up in the namespaces it creates.
    const [res] = await Promise.all([this.cni.add(this.conf, containerId, netnsPath, 'eth0'), this.ensureNat()]);
    const ip = res.ips?.[0]?.address ?? '';
    return { address: ip.split('/')[0] ?? '' };
  }

  async detach(containerId: string, netnsPath = ''): Promise<void> {
    // Without a namespace the bridge plugin only releases the lease; the veth
    // went away with the namespace.
    await this.cni.del(this.conf, containerId, netnsPath, 'eth0');
  }
}
