/**
 * AgentConfig: berth-agent's flags, each also settable from the
 * environment; bad values fail with a message naming the flag.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { HostConfig } from '../worker/index.js';
import { DEFAULT_PIDS_LIMIT } from '../runtime/runc/bundle.js';
import { DEFAULT_MAX_IMAGE_UNPACKED_BYTES } from '../images/unpack-budget.js';

export class AgentConfigError extends Error {}

/** AgentConfig is the runtime's host settings plus how to reach and join the cluster. */
export interface AgentConfig extends HostConfig {
  controllers: string[];
  token: string;
  hostname: string;
  addr: string;
  labels: Record<string, string>;
  /** Unused images are removed when less than this share of the state dir's disk is free. */
  imageGcLowPercent: number;
  /** The most bytes of file content one image may unpack to (summed over its layers); a pull past it fails. */
  imageMaxUnpackedBytes: number;
}

const ADDR_RE = /^[\w.\-[\]:]+:\d{1,5}$/;
export const USAGE = `usage: berth-agent --controller HOST:PORT[,HOST:PORT...] --token TOKEN [--state-dir DIR] [--hostname NAME]
       [--addr IP] [--label K=V]... [--runc-root DIR] [--cgroup-parent NAME] [--bridge-name NAME]
       [--bridge-subnet CIDR] [--cni-path DIR] [--insecure-registry HOST:PORT]... [--image-gc-low-percent N]
       [--image-max-unpacked-bytes N] [--volume-plugin-dir DIR] [--pids-limit N]`;

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseAgentConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        controller: { type: 'string' },
        token: { type: 'string' },
        'state-dir': { type: 'string' },
        hostname: { type: 'string' },
        addr: { type: 'string' },
        label: { type: 'string', multiple: true },
        'runc-root': { type: 'string' },
        'cgroup-parent': { type: 'string' },
        'bridge-name': { type: 'string' },
        'bridge-subnet': { type: 'string' },
        'cni-path': { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true },
        'image-gc-low-percent': { type: 'string' },
        'image-max-unpacked-bytes': { type: 'string' },
        'volume-plugin-dir': { type: 'string' },
        'pids-limit': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new AgentConfigError((err as Error).message);
  }
  if (values.help) throw new AgentConfigError(USAGE);
  const controllers = list(values.controller ?? env.BERTH_CONTROLLER);
  if (!controllers.length) throw new AgentConfigError('--controller is required (HOST:PORT of a controller, comma-separated for several)');
  for (const c of controllers) if (!ADDR_RE.test(c)) throw new AgentConfigError(`--controller: "${c}" is not HOST:PORT`);
  const stateDir = path.resolve(values['state-dir'] ?? env.BERTH_AGENT_STATE_DIR ?? '/var/lib/berth/agent');
  const hostname = values.hostname ?? env.BERTH_HOSTNAME ?? os.hostname();
  if (!/^[\w.-]{1,253}$/.test(hostname)) throw new AgentConfigError(`--hostname: "${hostname}" is not a valid host name`);
  const labels: Record<string, string> = {};
  for (const l of [...(values.label ?? []), ...list(env.BERTH_LABELS)]) {
    const i = l.indexOf('=');
    if (i < 1) throw new AgentConfigError(`--label: "${l}" must be KEY=VALUE`);
    labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const subnet = values['bridge-subnet'] ?? env.BERTH_BRIDGE_SUBNET ?? '10.210.0.0/16';
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet)) throw new AgentConfigError(`--bridge-subnet: "${subnet}" is not an IPv4 CIDR`);
  const bridgeName = values['bridge-name'] ?? env.BERTH_BRIDGE_NAME ?? 'berth0';
  if (!/^[\w-]{1,15}$/.test(bridgeName)) throw new AgentConfigError(`--bridge-name: "${bridgeName}" must be 1 to 15 letters, digits, - or _`);
  const cgroupParent = values['cgroup-parent'] ?? env.BERTH_CGROUP_PARENT ?? `berth-${hostname}`;
  if (!/^[\w.-]{1,128}$/.test(cgroupParent)) throw new AgentConfigError(`--cgroup-parent: "${cgroupParent}" must be a single path component`);
  const addr = values.addr ?? env.BERTH_ADDR ?? '';
  if (addr && !/^\d+\.\d+\.\d+\.\d+$/.test(addr)) throw new AgentConfigError(`--addr: "${addr}" is not an IPv4 address`);
  const gcRaw = values['image-gc-low-percent'] ?? env.BERTH_IMAGE_GC_LOW_PERCENT ?? '10';
  const imageGcLowPercent = Number(gcRaw);
  if (!/^\d{1,2}$/.test(gcRaw)) throw new AgentConfigError(`--image-gc-low-percent: "${gcRaw}" must be a whole percentage from 0 to 99 (0: never)`);
  const pidsRaw = values['pids-limit'] ?? env.BERTH_PIDS_LIMIT ?? String(DEFAULT_PIDS_LIMIT);
  if (!/^\d{1,7}$/.test(pidsRaw)) throw new AgentConfigError(`--pids-limit: "${pidsRaw}" must be a whole number of processes per container (0: no limit)`);
  const unpackRaw = values['image-max-unpacked-bytes'] ?? env.BERTH_IMAGE_MAX_UNPACKED_BYTES ?? String(DEFAULT_MAX_IMAGE_UNPACKED_BYTES);
  const imageMaxUnpackedBytes = Number(unpackRaw);
  if (!/^\d+$/.test(unpackRaw) || !Number.isSafeInteger(imageMaxUnpackedBytes) || imageMaxUnpackedBytes < 1)
    throw new AgentConfigError(`--image-max-unpacked-bytes: "${unpackRaw}" must be a whole number of bytes, at least 1 (default ${DEFAULT_MAX_IMAGE_UNPACKED_BYTES}, 20 GiB)`);
  return {
    imageGcLowPercent,
    imageMaxUnpackedBytes,
    pidsLimit: Number(pidsRaw),
    controllers,
    token: values.token ?? env.BERTH_JOIN_TOKEN ?? '',
    stateDir,
    hostname,
    addr,
    labels,
    runcRoot: path.resolve(values['runc-root'] ?? env.BERTH_RUNC_ROOT ?? path.join(stateDir, 'runc')),
    cgroupParent,
    bridgeName,
    bridgeSubnet: subnet,
    cniPath: values['cni-path'] ?? env.BERTH_CNI_PATH ?? '/usr/lib/cni',
    insecureRegistries: [...(values['insecure-registry'] ?? []), ...list(env.BERTH_INSECURE_REGISTRIES)],
    volumePluginDir: path.resolve(values['volume-plugin-dir'] ?? env.BERTH_VOLUME_PLUGIN_DIR ?? '/run/berth/plugins'),
  };
}
