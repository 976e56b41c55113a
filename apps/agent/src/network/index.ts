/**
 * network/: container networking on one host. Owns CNI plugin calls, the
 * host's bridges and their NAT and isolation rules; must not touch runc or
 * mounts. The runtime asks it for a driver by network name (with the
 * settings of a user-defined network, which the task carries).
 */
import { CniAdapter } from './cni.adapter.js';
import { BridgeDriver, type BridgeConfig } from './bridge.driver.js';
import { HostDriver } from './host.driver.js';
import { NoneDriver } from './none.driver.js';
import { NetworkRegistry, type NameLookup, type NetworkDriver, type UserNetwork } from './network-driver.js';
import { MacvlanDriver } from './macvlan.driver.js';
import { OverlayDriver } from './overlay.driver.js';

export * from './network-driver.js';
export { ContainerNetworks, type LiveAttachment } from './container-networks.js';

export function createNetworks(cniPath: string, bridge: BridgeConfig): NetworkRegistry {
  const cni = new CniAdapter(cniPath);
  const user = (n: UserNetwork, lookup: NameLookup): NetworkDriver => n.driver === 'macvlan'
    ? new MacvlanDriver(cni, { name: n.name, parent: n.options?.parent ?? '', mode: n.options?.mode ?? 'bridge', subnet: n.subnet, gateway: n.gateway })
    : n.driver === 'overlay' ? new OverlayDriver(cni, {
      name: n.name, bridgeName: n.bridge, subnet: n.subnet, gateway: n.gateway, internal: n.internal, stateDir: bridge.stateDir, removeWhenIdle: true, lookup,
      vni: Number(n.options?.vni ?? 0), vxlanName: `vx-${n.bridge.slice(3)}`,
    }) : new BridgeDriver(cni, {
      name: n.name, bridgeName: n.bridge, subnet: n.subnet, gateway: n.gateway, ipRange: n.ipRange, internal: n.internal, stateDir: bridge.stateDir, removeWhenIdle: true, lookup,
    });
  return new NetworkRegistry(user).register(new BridgeDriver(cni, bridge)).register(new HostDriver()).register(new NoneDriver());
}
