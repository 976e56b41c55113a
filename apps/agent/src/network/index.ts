/**
 * network/: container networking on one host. Owns CNI plugin calls, the
 * host's bridges, VXLAN devices and their NAT and isolation rules; must not
 * touch runc or mounts. The worker's network step asks it for a driver by
 * network name (with the settings of a user-defined network, which the
 * task carries).
 */
import { CniAdapter } from './cni.adapter.js';
import { BridgeDriver, type BridgeConfig } from './bridge.driver.js';
import { HostDriver } from './host.driver.js';
import { NoneDriver } from './none.driver.js';
import { NetworkRegistry, type UserDriverFactory } from './network-driver.js';
import { MacvlanDriver } from './macvlan.driver.js';
import { OverlayDriver } from './overlay.driver.js';

export * from './network-driver.js';
export { ContainerNetworks, type LiveAttachment } from './container-networks.js';
export { guardVipPool } from './vip-guard.js';
export { reconcileStale } from './reconcile.js';

/**
 * USER_DRIVERS: the drivers of user-defined networks by kind (berth network
 * create --driver). Adding a kind: one <kind>.driver.ts implementing
 * NetworkDriver, and one entry here.
 */
function userDrivers(cni: CniAdapter, stateDir: string): Record<string, UserDriverFactory> {
  return {
    bridge: (n, lookup) =>
      new BridgeDriver(cni, {
        name: n.name,
        bridgeName: n.bridge,
        subnet: n.subnet,
        gateway: n.gateway,
        ipRange: n.ipRange,
        internal: n.internal,
        stateDir,
        removeWhenIdle: true,
        lookup,
      }),
    macvlan: (n) => new MacvlanDriver(cni, { name: n.name, parent: n.options?.parent ?? '', mode: n.options?.mode ?? 'bridge', subnet: n.subnet, gateway: n.gateway }),
    overlay: (n, lookup) =>
      new OverlayDriver(cni, {
        name: n.name,
        bridgeName: n.bridge,
        subnet: n.subnet,
        gateway: n.gateway,
        internal: n.internal,
        stateDir,
        removeWhenIdle: true,
        lookup,
        vni: Number(n.options?.vni ?? 0),
        vxlanName: `vx-${n.bridge.slice(3)}`,
      }),
  };
}

/** createNetworks: the host's own networks (the default bridge, host, none) and the kinds of user-defined ones. */
export function createNetworks(cniPath: string, bridge: BridgeConfig): NetworkRegistry {
  const cni = new CniAdapter(cniPath);
  return new NetworkRegistry(userDrivers(cni, bridge.stateDir)).register(new BridgeDriver(cni, bridge)).register(new HostDriver()).register(new NoneDriver());
}
