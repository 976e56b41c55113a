/**
 * runStep executes a RUN instruction: `runc run` of the command in the
 * step's snapshot (its merged dir is the rootfs), as the stage's user, in
 * its working directory, with the stage's environment plus build args, on
 * the build's network (step-network.ts: the default bridge unless told host
 * or none) with /etc/hosts, /etc/hostname and /etc/resolv.conf for it.
 * Output lines stream to `onLine`; resolves with the exit code. An abort
 * kills it; the container, its network and the mountpoint stubs runc made
 * are gone when it returns, whatever happened.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ImageConfig } from '../images/oci.js';
import type { NetworkDriver } from '../network/index.js';
import { specJson, toOciSpec } from '../runtime/runc/bundle.js';
import { rootfsUser } from '../images/image-user.js';
import { withUmask } from '../runtime/runc/adapter.js';
import { atNormal } from '../exec/priority.js';
import type { BuildNetwork } from './build-types.js';
import { openStepNetwork, stepEtcFiles } from './step-network.js';
import { markStubs } from './mount-stubs.js';

export interface RunStepInput {
  id: string;
  bundleDir: string;
  rootfs: string;
  argv: string[];
  env: string[];
  workingDir: string;
  user: string;
  runcRoot: string;
  cgroupParent: string;
  nofile: number;
  pidsLimit: number;
  network: BuildNetwork;
  /** The host's default bridge network (joined when `network` is bridge). */
  bridge: NetworkDriver;
  /** The agent's state dir, where open step networks are recorded. */
  stateDir: string;
}

const HOSTNAME = 'berth-build';
const ETC_MOUNTS = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];

export async function runStep(s: RunStepInput, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
  await mkdir(s.bundleDir, { recursive: true });
  const user = await rootfsUser(s.rootfs, s.user);
  const removeStubs = await markStubs(s.rootfs, ETC_MOUNTS);
  const net = await openStepNetwork(s.network, s.id, s.bridge, s.stateDir);
  try {
    const etc = path.join(s.bundleDir, 'etc');
    const etcFiles = { hosts: `${etc}-hosts`, hostname: `${etc}-hostname`, resolvConf: `${etc}-resolv` };
    const content = await stepEtcFiles(s.network, HOSTNAME, net.address);
    for (const k of ['hosts', 'hostname', 'resolvConf'] as const) await writeFile(etcFiles[k], content[k]);
    const image: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { WorkingDir: s.workingDir } };
    const spec = toOciSpec({
      taskId: s.id,
      hostname: HOSTNAME,
      command: s.argv,
      env: s.env,
      network: s.network,
      netnsPath: net.netnsPath,
      image,
      user,
      cgroupsPath: `/${s.cgroupParent}/${s.id}`,
      etcFiles,
      nofile: s.nofile,
      pidsLimit: s.pidsLimit,
    }) as { root: { path: string; readonly: boolean }; process: { terminal: boolean } };
    // The step's rootfs is the snapshot itself.
    spec.root = { path: s.rootfs, readonly: false };
    spec.process.terminal = false;
    await writeFile(path.join(s.bundleDir, 'config.json'), specJson(spec));
    return await runContainer(s, onLine, signal);
  } finally {
    try {
      await net.release();
    } finally {
      await removeStubs();
    }
  }
}

/** runContainer: `runc run` of the bundle, its output line by line; the container is deleted afterwards. */
async function runContainer(s: RunStepInput, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
  if (signal?.aborted) return 137;
  // runc makes missing mountpoints and the cwd: under a fixed umask, not the agent's.
  const child = spawn(...atNormal(...withUmask('runc', [`--root=${s.runcRoot}`, 'run', '--bundle', s.bundleDir, s.id])), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = (stream: NodeJS.ReadableStream) => createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  lines(child.stdout);
  lines(child.stderr);
  const onAbort = () => spawn('runc', [`--root=${s.runcRoot}`, 'kill', s.id, 'KILL'], { stdio: 'ignore' });
  signal?.addEventListener('abort', onAbort);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await new Promise((r) => spawn('runc', [`--root=${s.runcRoot}`, 'delete', '--force', s.id], { stdio: 'ignore' }).on('close', r));
  }
}
