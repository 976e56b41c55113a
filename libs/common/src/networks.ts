/**
 * Network drivers and the built-in networks, named once for the controller,
 * the agent and the CLI, with the rules that follow from a driver: which
 * networks the controller addresses cluster-wide, and which have a resolver
 * (the names, aliases and service virtual IPs of what is on them).
 */

/** DriverName: every network driver. bridge, overlay and macvlan make user-defined networks; host and none are only built in. */
export const DriverName = {
  BRIDGE: 'bridge',
  HOST: 'host',
  NONE: 'none',
  OVERLAY: 'overlay',
  MACVLAN: 'macvlan',
} as const;

/** USER_DRIVERS: the drivers a user-defined network can have. */
export const USER_DRIVERS: readonly string[] = [DriverName.BRIDGE, DriverName.OVERLAY, DriverName.MACVLAN];

/** BuiltinNetwork: the networks every host has, each of the driver of its name; they are not rows, and the controller addresses nothing on them. */
export const BuiltinNetwork = {
  BRIDGE: 'bridge',
  HOST: 'host',
  NONE: 'none',
} as const;

export const BUILTIN_NETWORKS = [BuiltinNetwork.BRIDGE, BuiltinNetwork.HOST, BuiltinNetwork.NONE] as const;

export function isBuiltinNetwork(name: string): boolean {
  return (BUILTIN_NETWORKS as readonly string[]).includes(name);
}

/** isExclusiveNetwork: host and none; a container on one is on no other network, and is never connected or disconnected. */
export function isExclusiveNetwork(name: string): boolean {
  return name === BuiltinNetwork.HOST || name === BuiltinNetwork.NONE;
}

/** isClusterDriver: overlay and macvlan, whose task addresses the controller allocates cluster-wide (scope "cluster"). */
export function isClusterDriver(driver: string): boolean {
  return driver === DriverName.OVERLAY || driver === DriverName.MACVLAN;
}

/**
 * hasResolver: a user-defined bridge or overlay network has a resolver at its
 * gateway answering the names on it; macvlan networks and the built-in ones
 * have none. So a service gets a virtual IP only when one of its networks has
 * a resolver, and a container's resolv.conf points at the first such network.
 */
export function hasResolver(driver: string): boolean {
  return driver === DriverName.BRIDGE || driver === DriverName.OVERLAY;
}
