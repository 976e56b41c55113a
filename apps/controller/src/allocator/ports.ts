/**
 * ports: host ports for ports published on any host port (`-p 80`, stored
 * `0:80/tcp`), picked per node when a task is placed. Pure: given the host
 * ports in use on the node ("tcp/8080" keys, as hostPortKey), the lowest free
 * one of RANDOM_PORTS, so a freed port is reused first.
 */
import { RANDOM_PORTS } from '#libs/common';
import { ExhaustedError } from './errors.js';

function lowestFree(protocol: string, used: ReadonlySet<string>): number | undefined {
  for (let p: number = RANDOM_PORTS.first; p <= RANDOM_PORTS.last; p++) if (!used.has(`${protocol}/${p}`)) return p;
  return undefined;
}

/** pickPort returns the lowest port of RANDOM_PORTS free on `protocol`; throws ExhaustedError when none is. */
export function pickPort(protocol: string, used: ReadonlySet<string>): number {
  const p = lowestFree(protocol, used);
  if (p === undefined) throw new ExhaustedError(`no free ${protocol} host port in ${RANDOM_PORTS.first}-${RANDOM_PORTS.last}`);
  return p;
}

/** hasFreePort: whether pickPort would find a port (for the scheduler's checks, which must not throw). */
export function hasFreePort(protocol: string, used: ReadonlySet<string>): boolean {
  return lowestFree(protocol, used) !== undefined;
}
