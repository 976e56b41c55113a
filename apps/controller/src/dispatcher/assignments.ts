/** The agent's view of tasks: task rows as the proto's TaskSpec, and the overlay peer tables. */
import type { OverlayPeers, RunOptions as RunOptionsSpec, TaskSpec, TaskState } from '#libs/proto/messages.js';
import type { Network, OverlayMember, TaskWithNames, Volume } from '../store/store.module.js';
import { STOP_GRACE_MS } from './tunables.js';
import { asAttachments, asMounts, parsePublish, type RunOptions } from '#libs/common';

export function taskName(t: { service: { name: string } | null; container: { name: string } | null; slot: number; id: string }): string {
  if (t.service) return `${t.service.name}.${t.slot}`;
  return t.container?.name ?? t.id;
}

/** toTaskSpec: a task row as the agent sees it; `nets` and `volumes` hold the user-defined networks and the volumes it uses. */
export function toTaskSpec(t: TaskWithNames, nets: Map<string, Network> = new Map(), volumes: Map<string, Volume> = new Map()): TaskSpec {
  const networks = asAttachments(t.networks).map((a) => {
    const n = nets.get(a.name);
    return {
      name: a.name,
      aliases: a.aliases ?? [],
      ip: a.ip ?? '',
      config: n
        ? { name: n.name, driver: n.driver, bridge: n.bridge, subnet: n.subnet, gateway: n.gateway, ipRange: n.ipRange, internal: n.internal, options: (n.options ?? {}) as Record<string, string> }
        : null,
    };
  });
  const options = (t.options ?? {}) as RunOptions;
  return {
    id: t.id,
    name: taskName(t),
    serviceId: t.serviceId ?? '',
    slot: t.slot,
    image: t.image,
    command: t.command,
    env: t.env,
    networks,
    stopGraceMs: options.stopTimeout !== undefined ? options.stopTimeout * 1000 : STOP_GRACE_MS,
    pullAuth: null,
    // The store's desiredState column only ever holds TaskState values.
    desiredState: t.desiredState as TaskState,
    ports: (t.ports ?? []).map(parsePublish),
    serviceName: t.service?.name ?? '',
    vip: t.service?.vip ?? '',
    mounts: asMounts(t.mounts).map((m) => {
      const v = m.type === 'volume' ? volumes.get(m.source) : undefined;
      return {
        type: m.type,
        source: m.source,
        target: m.target,
        readonly: !!m.readonly,
        propagation: m.propagation ?? '',
        tmpfsSize: m.tmpfsSize ?? 0,
        tmpfsMode: m.tmpfsMode ?? 0,
        driver: v?.driver ?? 'local',
        volumeOptions: (v?.options ?? {}) as Record<string, string>,
      };
    }),
    options: runOptionsSpec(options),
  };
}

/** runOptionsSpec: stored run options as the agent's RunOptions (zero values: the image's or the agent's defaults). */
function runOptionsSpec(o: RunOptions): RunOptionsSpec {
  return {
    user: o.user ?? '',
    workdir: o.workdir ?? '',
    entrypoint: o.entrypoint ?? [],
    entrypointSet: o.entrypoint !== undefined,
    hostname: o.hostname ?? '',
    readOnly: !!o.readOnly,
    capAdd: o.capAdd ?? [],
    capDrop: o.capDrop ?? [],
    noNewPrivileges: !!o.noNewPrivileges,
    seccompUnconfined: !!o.seccompUnconfined,
    stopSignal: o.stopSignal ?? '',
    memoryBytes: o.memory ?? 0,
    cpus: o.cpus ?? 0,
    pidsLimit: o.pidsLimit ?? 0,
    shmSizeBytes: o.shmSize ?? 0,
    init: !!o.init,
    extraHosts: o.extraHosts ?? [],
    dns: o.dns ?? [],
    ulimits: o.ulimits ?? [],
  };
}

/**
 * overlayPeers: for each overlay network, every placed task on it (on any node) with
 * its address, its host's ("" for the receiving node's own tasks: no tunnel to them),
 * the names the network's resolvers give it and its service's virtual IP.
 */
export function overlayPeers(networks: string[], members: OverlayMember[], self: string): OverlayPeers[] {
  return networks.map((network) => ({
    network,
    peers: members.flatMap((m) => {
      const a = m.networks.find((x) => x.name === network);
      if (!a?.ip) return [];
      const names = [taskName(m), m.id.slice(0, 12), ...(a.aliases ?? [])];
      return [{ ip: a.ip, vtep: m.nodeId === self ? '' : m.vtep, names, service: m.service?.name ?? '', vip: m.service?.vip ?? '' }];
    }),
  }));
}
