/**
 * runStep executes a RUN instruction: `runc run` of the command in the
 * step's snapshot (its merged dir is the rootfs), as the stage's user, in
 * its working directory, with the stage's environment plus build args, and
 * no network (builds here get no outside network; see README). Output
 * lines stream to `onLine`; resolves with the exit code. An abort kills it.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ImageConfig } from '../images/oci.js';
import { toOciSpec } from '../runtime/runc/bundle.js';
import { rootfsUser } from '../images/image-user.js';
import { withUmask } from '../runtime/runc/adapter.js';
import { atNormal } from '../exec/priority.js';

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
}

const HIDDEN_MOUNTS = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']);

export async function runStep(s: RunStepInput, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
  await mkdir(s.bundleDir, { recursive: true });
  const user = await rootfsUser(s.rootfs, s.user);
  const etc = path.join(s.bundleDir, 'etc');
  const image: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { WorkingDir: s.workingDir } };
  const spec = toOciSpec({
    taskId: s.id,
    hostname: 'berth-build',
    command: s.argv,
    env: s.env,
    network: 'none',
    image,
    user,
    cgroupsPath: `/${s.cgroupParent}/${s.id}`,
    etcFiles: { hosts: `${etc}-hosts`, hostname: `${etc}-hostname`, resolvConf: `${etc}-resolv` },
    nofile: s.nofile,
    pidsLimit: s.pidsLimit,
  }) as { root: { path: string; readonly: boolean }; mounts: Array<{ destination: string }>; process: { terminal: boolean } };
  // The step's rootfs is the snapshot itself; files bind-mounted over /etc would end up in the layer.
  spec.root = { path: s.rootfs, readonly: false };
  spec.mounts = spec.mounts.filter((m) => !HIDDEN_MOUNTS.has(m.destination));
  spec.process.terminal = false;
  await writeFile(path.join(s.bundleDir, 'config.json'), JSON.stringify(spec));
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
