/**
 * Published ports as users write them (`[HOSTPORT:]CONTAINERPORT[/tcp|udp]`)
 * and as they are stored (`8080:80/tcp`; `0:80/tcp` until the scheduler
 * gives a task a free host port of RANDOM_PORTS on its node, picked by the
 * controller's allocator). Shared by the CLI, the controller's validation,
 * allocator and scheduler, and the agent.
 */
export class PortError extends Error {}

/** RANDOM_PORTS: where host ports are picked for `-p CONTAINERPORT` (Linux's default ephemeral range, as Docker). */
export const RANDOM_PORTS = { first: 32768, last: 60999 } as const;

export interface PortMapping {
  /** 0: any free port, chosen when the task is placed. */
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

function port(v: string, what: string, spec: string): number {
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n < 1 || n > 65535) throw new PortError(`${what} port in "${spec}" must be a number from 1 to 65535`);
  return n;
}

export function parsePublish(spec: string): PortMapping {
  const m = /^(?:(?<host>[^:/]+):)?(?<ctr>[^:/]+)(?:\/(?<proto>[a-z]+))?$/.exec(spec);
  if (!m) throw new PortError(`"${spec}" must be HOSTPORT:CONTAINERPORT[/tcp|udp]`);
  const proto = m.groups!.proto ?? 'tcp';
  if (proto !== 'tcp' && proto !== 'udp') throw new PortError(`protocol in "${spec}" must be tcp or udp`);
  const host = m.groups!.host === undefined || m.groups!.host === '0' ? 0 : port(m.groups!.host, 'host', spec);
  return { hostPort: host, containerPort: port(m.groups!.ctr, 'container', spec), protocol: proto };
}

export function formatPublish(p: PortMapping): string {
  return `${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

/** hostPortKey: what two tasks on one node may not share. */
export function hostPortKey(p: PortMapping): string {
  return `${p.protocol}/${p.hostPort}`;
}
