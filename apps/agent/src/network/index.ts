/**
 * network/: container networking on one host. Owns CNI plugin calls and the
 * host's NAT rule for the default bridge; must not touch runc or mounts. The
 * runtime asks it for a driver by network name.
 */
import { CniAdapter } from './cni.adapter.js';
import { BridgeDriver, type BridgeConfig } from './bridge.driver.js';
import { HostDriver } from './host.driver.js';
import { NoneDriver } from './none.driver.js';
import { NetworkRegistry } from './network-driver.js';

export * from './network-driver.js';

export function createNetworks(cniPath: string, bridge: BridgeConfig): NetworkRegistry {
  const cni = new CniAdapter(cniPath);
  return new NetworkRegistry().register(new BridgeDriver(cni, bridge)).register(new HostDriver()).register(new NoneDriver());
}
