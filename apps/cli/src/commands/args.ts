/** Argument parsers shared by commands, each failing with the flag's name. */
import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from '../client/api-client.js';
import { ALIAS, BUILTIN_NETWORKS, BuiltinNetwork, NETWORK_NAME, parseMountFlag, parseNetworkFlag, parsePublish, parseVolumeFlag, type Attachment, type Mount } from '#libs/common';

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function envArg(v: string, prev: string[] = []): string[] {
  if (!/^[^=\s][^=]*=/.test(v)) throw new InvalidArgumentError(`"${v}" must be KEY=VALUE`);
  return [...prev, v];
}

/** publishArg collects HOSTPORT:CONTAINERPORT[/tcp|udp] values, failing on a malformed one. */
export function publishArg(v: string, prev: string[] = []): string[] {
  try {
    parsePublish(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return [...prev, v];
}

/** networkArg checks the shape of a network name; whether it exists is the controller's answer. */
export function networkArg(v: string): string {
  if (!NETWORK_NAME.test(v)) throw new InvalidArgumentError(`"${v}" is not a network name (bridge, host, none or one from berth network ls)`);
  return v;
}

/** buildNetworkArg checks `berth build --network`: the RUN steps' network is bridge, host or none. */
export function buildNetworkArg(v: string): string {
  if (!(BUILTIN_NETWORKS as readonly string[]).includes(v)) throw new InvalidArgumentError(`"${v}" must be bridge, host or none`);
  return v;
}

/** networksArg collects `--network NAME` or `--network name=NAME,alias=A` values (repeatable). */
export function networksArg(v: string, prev: Attachment[] = []): Attachment[] {
  let a: Attachment;
  try {
    a = parseNetworkFlag(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  networkArg(a.name);
  for (const alias of a.aliases ?? []) aliasArg(alias);
  return [...prev, a];
}

/** aliasArg collects DNS names given with --network-alias / --alias. */
export function aliasArg(v: string, prev: string[] = []): string[] {
  if (!ALIAS.test(v)) throw new InvalidArgumentError(`"${v}" is not a DNS name (letters, digits and -, dot-separated)`);
  return [...prev, v];
}

/** attachmentsBody: the request's networks from --network and --network-alias (aliases apply to the first network, as Docker's). */
export function attachmentsBody(networks: Attachment[], aliases: string[]): { networks: Attachment[] } {
  const list = networks.length ? networks.map((n) => ({ ...n })) : [{ name: BuiltinNetwork.BRIDGE }];
  if (aliases.length) list[0] = { ...list[0], aliases: [...(list[0].aliases ?? []), ...aliases] };
  return { networks: list };
}

export function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** parseScale reads NAME=K pairs of `service scale`. */
export function parseScale(pairs: string[]): Array<{ name: string; replicas: number }> {
  return pairs.map((p) => {
    const m = /^([^=]+)=(\d+)$/.exec(p);
    if (!m || Number(m[2]) > 10000) throw new CliError(`"${p}" must be SERVICE=REPLICAS with REPLICAS from 0 to 10000`);
    return { name: m[1], replicas: Number(m[2]) };
  });
}

/** mountArg / volumeArg collect --mount and -v values as mounts, failing on a malformed one. */
export function mountArg(v: string, prev: Mount[] = []): Mount[] {
  try {
    return [...prev, parseMountFlag(v)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function volumeArg(v: string, prev: Mount[] = []): Mount[] {
  try {
    return [...prev, parseVolumeFlag(v)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** LogFlags: `logs`' flags, for containers and services alike. */
export interface LogFlags {
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
  since?: string;
}

/** withLogFlags adds docker's logs flags: -f, --tail, -t/--timestamps, --since. */
export function withLogFlags(cmd: Command, tailHelp: string): Command {
  return cmd
    .option('-f, --follow', 'keep following new output')
    .option('--tail <n>', tailHelp, intArg('--tail', 0, 1_000_000))
    .option('-t, --timestamps', 'start each line with the time it was written')
    .option('--since <time>', 'only lines since a time (2026-12-02T10:00:00Z), Unix seconds or a duration before now (10m, 1h30m)');
}

/** logQuery: the logs request's query string from the flags. */
export function logQuery(o: LogFlags): string {
  const q = new URLSearchParams({ follow: String(!!o.follow) });
  if (o.tail !== undefined) q.set('tail', String(o.tail));
  if (o.timestamps) q.set('timestamps', 'true');
  if (o.since !== undefined) q.set('since', o.since);
  return q.toString();
}
