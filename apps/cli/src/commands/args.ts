/** Argument parsers shared by commands, each failing with the flag's name. */
import { InvalidArgumentError } from 'commander';
import { CliError } from '../client/api-client.js';
import { parsePublish } from '../../../../libs/common/src/index.js';

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
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a network name (bridge, host, none or one from berth network ls)`);
  return v;
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
    return { name: m[1]!, replicas: Number(m[2]) };
  });
}
