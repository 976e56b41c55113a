/** HostDriver: the container shares the host's network stack; nothing to plumb. */
import type { Attachment, NetworkDriver } from './network-driver.js';

export class HostDriver implements NetworkDriver {
  readonly name = 'host';
  readonly needsNamespace = false;

  async attach(): Promise<Attachment> {
    return { address: '' };
  }

  async detach(): Promise<void> {}
}
