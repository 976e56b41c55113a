/**
 * MacvlanDriver: a cluster-scoped macvlan network. Containers get an
 * interface of their own on the parent interface's segment (CNI macvlan
 * plugin; modes bridge, private, vepa, passthru) with the address the
 * controller allocated for the task (CNI static IPAM), so addresses are
 * unique across hosts. As with any macvlan, a container cannot reach its own
 * host through the parent interface.
 */
import { existsSync } from 'node:fs';
import { CniAdapter, type CniConfList } from './cni.adapter.js';
import type { AttachOptions, Attachment, NetworkDriver } from './network-driver.js';
import { RuntimeError } from '../errors.js';

export interface MacvlanConfig {
  name: string;
  parent: string;
  mode: string;
  subnet: string;
  gateway: string;
}

export class MacvlanDriver implements NetworkDriver {
  readonly needsNamespace = true;

  constructor(
    private readonly cni: CniAdapter,
    private readonly cfg: MacvlanConfig,
  ) {}

  get name(): string {
    return this.cfg.name;
  }

  private conf(ip: string, primary = true): CniConfList {
    const prefix = this.cfg.subnet.split('/')[1];
    return {
      cniVersion: '1.0.0',
      name: `berth-mv-${this.cfg.name}`,
      plugins: [
        {
          type: 'macvlan',
          master: this.cfg.parent,
          mode: this.cfg.mode,
          ipam: { type: 'static', addresses: [{ address: `${ip}/${prefix}`, gateway: this.cfg.gateway }], routes: primary ? [{ dst: '0.0.0.0/0', gw: this.cfg.gateway }] : [] },
        },
      ],
    };
  }

  async attach(containerId: string, netnsPath: string, opts: AttachOptions = {}): Promise<Attachment> {
    if (!opts.ip) throw new RuntimeError(`no address for this task on macvlan network ${this.cfg.name} (its subnet may be full)`);
    if (!existsSync(`/sys/class/net/${this.cfg.parent}`)) throw new RuntimeError(`macvlan network ${this.cfg.name}: parent interface ${this.cfg.parent} does not exist on this host`);
    const res = await this.cni.add(this.conf(opts.ip, opts.primary !== false), containerId, netnsPath, opts.ifName ?? 'eth0');
    return { address: (res.ips?.[0]?.address ?? opts.ip).split('/')[0] ?? opts.ip };
  }

  async detach(containerId: string, netnsPath = '', opts: AttachOptions = {}): Promise<void> {
    // The interface lives in the container's namespace and goes with it; DEL tidies what is left.
    await this.cni.del(this.conf(opts.ip || this.cfg.gateway, opts.primary !== false), containerId, netnsPath, opts.ifName ?? 'eth0');
  }
}
