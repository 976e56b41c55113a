/** Host facts reported in NodeDescription: hostname, cpus, memory, labels, address, volume plugins. */
import os from 'node:os';
import type { NodeDescription } from '#libs/proto/messages.js';

export const AGENT_VERSION = '0.1.0';

export function firstExternalIPv4(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function describeHost(hostname: string, addr: string, labels: Record<string, string>, volumePlugins: Array<{ name: string; scope: string }> = []): NodeDescription {
  return { hostname, cpus: os.availableParallelism(), memoryBytes: os.totalmem(), labels, addr: addr || firstExternalIPv4(), agentVersion: AGENT_VERSION, volumePlugins };
}
