/**
 * The network of one RUN step, as `docker build --network` chooses it:
 * `bridge` (the default) joins the host's default bridge network the way a
 * task container does — a network namespace of the step's own, made here
 * as /run/netns/berth-<step id>, and the bridge driver's CNI ADD into it
 * (veth, host-local lease, the network's NAT rule) — `host` shares the
 * host's stack and `none` has loopback only. A bridge step's network is
 * released whatever happened to the step: CNI DEL (veth and lease), then
 * the namespace. Each open one is recorded under <stateDir>/build-netns
 * until released, so an agent that died mid-step releases it at its next
 * start (reclaimStepNetworks).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILTIN_NETWORKS, BuiltinNetwork } from '#libs/common';
import { run } from '../exec/run.js';
import type { NetworkDriver } from '../network/index.js';
import type { BuildNetwork } from './build-types.js';

export interface StepNetwork {
  /** The namespace runc joins; undefined for host (none) and none (a new one of runc's). */
  netnsPath?: string;
  /** The step's address on the bridge ("" otherwise). */
  address: string;
  release(): Promise<void>;
}

/** buildNetwork reads a request's network: "" is the default bridge; anything else but bridge, host or none is refused. */
export function buildNetwork(v: string): BuildNetwork {
  if (!v) return BuiltinNetwork.BRIDGE;
  if (!(BUILTIN_NETWORKS as readonly string[]).includes(v)) throw new Error(`network "${v}" must be bridge, host or none`);
  return v as BuildNetwork;
}

const recordDir = (stateDir: string) => path.join(stateDir, 'build-netns');
const netnsName = (stepId: string) => `berth-${stepId}`;
const netnsPathOf = (stepId: string) => `/run/netns/${netnsName(stepId)}`;

/** openStepNetwork makes the step's network; on a failure it releases what it made and throws. */
export async function openStepNetwork(mode: BuildNetwork, stepId: string, bridge: NetworkDriver, stateDir: string): Promise<StepNetwork> {
  if (mode !== BuiltinNetwork.BRIDGE) return { address: '', release: async () => {} };
  await mkdir(recordDir(stateDir), { recursive: true });
  await writeFile(path.join(recordDir(stateDir), stepId), '');
  const release = () => releaseStepNetwork(stepId, bridge, stateDir);
  try {
    await run('ip', ['netns', 'add', netnsName(stepId)]);
    const { address } = await bridge.attach(stepId, netnsPathOf(stepId), { ifName: 'eth0' });
    return { netnsPath: netnsPathOf(stepId), address, release };
  } catch (err) {
    await release().catch(() => {});
    throw new Error(`cannot attach the RUN step to the bridge network: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * releaseStepNetwork: CNI DEL with the namespace (veth and lease), or, if
 * that fails, without it once the namespace (and the veth with it) is gone,
 * which still frees the lease. Throws only when the lease could not be freed.
 */
async function releaseStepNetwork(stepId: string, bridge: NetworkDriver, stateDir: string): Promise<void> {
  const netns = netnsPathOf(stepId);
  const delWithNetns = await bridge.detach(stepId, netns, { ifName: 'eth0' }).then(
    () => true,
    () => false,
  );
  await run('ip', ['netns', 'del', netnsName(stepId)]).catch(() => {});
  if (!delWithNetns) await bridge.detach(stepId, '', { ifName: 'eth0' });
  await rm(path.join(recordDir(stateDir), stepId), { force: true });
}

/** reclaimStepNetworks releases the step networks an earlier run of this agent left open (run at start, before any build). */
export async function reclaimStepNetworks(bridge: NetworkDriver, stateDir: string, log: (m: string) => void): Promise<void> {
  for (const stepId of await readdir(recordDir(stateDir)).catch(() => [] as string[])) {
    if (!/^build-[0-9a-f]{12}$/.test(stepId)) continue;
    await releaseStepNetwork(stepId, bridge, stateDir).then(
      () => log(`released the network of interrupted build step ${stepId}`),
      (err: Error) => log(`cannot release the network of build step ${stepId}: ${err.message}`),
    );
  }
}

/** stepEtcFiles: the step's /etc/hosts, /etc/hostname and /etc/resolv.conf, as a task container on the same network gets them. */
export async function stepEtcFiles(mode: BuildNetwork, hostname: string, address: string): Promise<{ hosts: string; hostname: string; resolvConf: string }> {
  const own = address ? `${address}\t${hostname}\n` : '';
  return {
    hosts: `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}`,
    hostname: `${hostname}\n`,
    resolvConf: mode === BuiltinNetwork.NONE ? '' : await readFile('/etc/resolv.conf', 'utf8').catch(() => ''),
  };
}
