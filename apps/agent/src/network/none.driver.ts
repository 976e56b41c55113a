/** NoneDriver: a network namespace with only loopback up (the `none` network). */
import { CniAdapter, type CniConfList } from './cni.adapter.js';
import type { Attachment, NetworkDriver } from './network-driver.js';

export const LOOPBACK_CONF: CniConfList = { cniVersion: '1.0.0', name: 'berth-lo', plugins: [{ type: 'loopback' }] };

export class NoneDriver implements NetworkDriver {
  readonly name = 'none';
  readonly needsNamespace = true;

  constructor(private readonly cni: CniAdapter) {}

  async attach(containerId: string, netnsPath: string): Promise<Attachment> {
    await this.cni.add(LOOPBACK_CONF, containerId, netnsPath, 'lo');
    return { address: '' };
  }

  async detach(): Promise<void> {
    // Loopback needs no teardown: it goes with the namespace.
  }
}
