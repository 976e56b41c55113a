/**
 * CniAdapter runs standard CNI plugins (the CNI spec's exec protocol):
 * CNI_* variables in the environment, the network config on stdin, the
 * result or error as JSON on stdout. A list runs ADD in order passing
 * prevResult along, DEL in reverse.
 */
import { run, type ExecError } from '../exec/run.js';
import path from 'node:path';
import { RuntimeError } from '../errors.js';

/** CNI_TIMEOUT_MS bounds one plugin call. */
const CNI_TIMEOUT_MS = 20_000;

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: Array<Record<string, unknown>>;
}

export interface CniResult {
  ips?: Array<{ address: string; gateway?: string }>;
  [k: string]: unknown;
}

export class CniAdapter {
  constructor(private readonly cniPath: string) {}

  private async exec(plugin: Record<string, unknown>, env: Record<string, string>, stdin: string): Promise<CniResult> {
    const bin = path.join(this.cniPath, String(plugin.type));
    let stdout: string;
    let failure: ExecError | undefined;
    try {
      ({ stdout } = await run(bin, [], { env: { ...env, CNI_PATH: this.cniPath, PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }, timeout: CNI_TIMEOUT_MS, input: stdin }));
    } catch (err) {
      failure = err as ExecError;
      stdout = failure.stdout ?? '';
    }
    let parsed: Record<string, unknown> = {};
    try {
      parsed = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
    } catch {
      /* keep empty */
    }
    if (failure) {
      const msg = (parsed.msg as string) ?? failure.message;
      throw new RuntimeError(`CNI ${String(plugin.type)} ${env.CNI_COMMAND}: ${msg}${typeof parsed.details === 'string' && parsed.details ? ` (${parsed.details})` : ''}`);
    }
    return parsed;
  }

  async add(conf: CniConfList, containerId: string, netns: string, ifName: string): Promise<CniResult> {
    let prev: CniResult | undefined;
    for (const p of conf.plugins) {
      const stdin = JSON.stringify({ ...p, cniVersion: conf.cniVersion, name: conf.name, ...(prev ? { prevResult: prev } : {}) });
      prev = await this.exec(p, { CNI_COMMAND: 'ADD', CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifName }, stdin);
    }
    return prev ?? {};
  }

  async del(conf: CniConfList, containerId: string, netns: string, ifName: string): Promise<void> {
    for (const p of [...conf.plugins].reverse()) {
      const stdin = JSON.stringify({ ...p, cniVersion: conf.cniVersion, name: conf.name });
      await this.exec(p, { CNI_COMMAND: 'DEL', CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifName }, stdin);
    }
  }
}
