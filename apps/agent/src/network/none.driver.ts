/**
 * NoneDriver: the `none` network, a namespace with only loopback. runc
 * itself brings `lo` up in every new network namespace it creates, so
 * there is nothing to plumb.
 */
import type { Attachment, NetworkDriver } from './network-driver.js';

export class NoneDriver implements NetworkDriver {
  readonly name = 'none';
  readonly needsNamespace = true;

  async attach(): Promise<Attachment> {
    return { address: '' };
  }

  async detach(): Promise<void> {}
}
