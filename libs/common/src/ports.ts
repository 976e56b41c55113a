/**
 * Published ports as users write them (`HOSTPORT:CONTAINERPORT[/tcp|udp]`)
 * and as they are stored (`8080:80/tcp`). Shared by the CLI, the
 * controller's validation and scheduler, and the agent.
 */
export class PortError extends Error {}

export interface PortMapping {
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
  if (m.groups!.host === undefined) throw new PortError(`"${spec}": give the host port too (HOSTPORT:CONTAINERPORT); random host ports are not available yet`);
  return { hostPort: port(m.groups!.host, 'host', spec), containerPort: port(m.groups!.ctr!, 'container', spec), protocol: proto };
}

export function formatPublish(p: PortMapping): string {
  return `${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

/** hostPortKey: what two tasks on one node may not share. */
export function hostPortKey(p: PortMapping): string {
  return `${p.protocol}/${p.hostPort}`;
}
