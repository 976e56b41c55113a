/** Response shapes (docs/design/rest-api.md) and the pure mappers from rows. */
import { asAttachments, asMounts, taskStateName, type RunOptions } from '#libs/common';
import type { ContainerWithTask, Node, ServiceWithCounts, TaskListRow } from '../../store/store.module.js';
import { taskName } from '../../dispatcher/dispatcher.module.js';

/** networksView: attachments as users see them, with the address the agent reported on each. */
function networksView(stored: unknown, addresses?: unknown) {
  const reported = (addresses ?? {}) as Record<string, string>;
  return asAttachments(stored).map((a) => ({ name: a.name, aliases: a.aliases ?? [], address: reported[a.name] ?? a.ip ?? '' }));
}

export function mapTask(t: TaskListRow) {
  return {
    id: t.id,
    name: taskName(t),
    serviceId: t.serviceId,
    containerId: t.containerId,
    slot: t.slot,
    nodeId: t.nodeId,
    node: t.node?.hostname ?? '',
    image: t.image,
    state: taskStateName(t.state),
    desiredState: taskStateName(t.desiredState),
    message: t.message,
    error: t.error,
    exitCode: t.exitCode,
    address: t.address,
    ports: t.ports ?? [],
    networks: networksView(t.networks, t.addresses),
    mounts: asMounts(t.mounts),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    statusAt: t.statusAt.toISOString(),
  };
}

export function mapContainer(c: ContainerWithTask) {
  const t = c.task;
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    command: c.command,
    env: c.env,
    networks: networksView(t?.networks ?? c.networks, t?.addresses),
    mounts: asMounts(c.mounts),
    autoRemove: c.autoRemove,
    options: c.options as RunOptions,
    labels: (c.options as RunOptions).labels ?? {},
    createdAt: c.createdAt.toISOString(),
    state: t ? taskStateName(t.state) : 'removed',
    desiredState: t ? taskStateName(t.desiredState) : 'remove',
    nodeId: t?.nodeId ?? null,
    node: t?.node?.hostname ?? '',
    exitCode: t?.exitCode ?? null,
    message: t?.message ?? '',
    error: t?.error ?? '',
    address: t?.address ?? '',
    ports: t?.ports ?? [],
    taskId: t?.id ?? null,
  };
}

export function mapService(s: ServiceWithCounts) {
  return {
    id: s.id,
    name: s.name,
    image: s.image,
    command: s.command,
    env: s.env,
    networks: networksView(s.networks),
    ports: s.ports ?? [],
    mounts: asMounts(s.mounts),
    replicas: s.replicas,
    endpointMode: s.endpointMode,
    vip: s.vip ?? '',
    running: s.running,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function mapNode(n: Node, tasks: number) {
  return {
    id: n.id,
    hostname: n.hostname,
    addr: n.addr,
    status: n.status,
    statusMessage: n.statusMessage,
    availability: n.availability,
    cpus: n.cpus,
    memoryBytes: Number(n.memoryBytes),
    labels: n.labels,
    agentVersion: n.agentVersion,
    volumePlugins: n.volumePlugins ?? [],
    lastHeartbeatAt: n.lastHeartbeatAt?.toISOString() ?? null,
    createdAt: n.createdAt.toISOString(),
    tasks,
  };
}
