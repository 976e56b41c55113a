/**
 * Lab cleanup, safe to run after a crash: ends the lab processes a dead
 * test left running (by the pids the lab recorded), stops every container of every
 * lab agent state dir (runc kill + delete), unmounts whatever is mounted
 * below the lab's run dirs, removes lab cgroups, namespaces and the bridge.
 * Only things named with the berth-lab prefix are touched.
 */
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { sh } from './sh.js';
import { removeNetwork } from './net.js';

export const LAB_ROOT = '/tmp/berth-lab';
/** PID_FILE: in each run dir, the pids of the lab's processes (controllers, registry, agents), one a line. */
export const PID_FILE = 'pids';
const CGROUP_ROOT = '/sys/fs/cgroup';

async function runcRoots(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const run of await readdir(root).catch(() => [] as string[])) {
    for (const host of await readdir(path.join(root, run)).catch(() => [] as string[])) {
      out.push(path.join(root, run, host, 'runc'));
    }
  }
  return out;
}

export async function killContainers(runcRoot: string): Promise<void> {
  const { stdout } = await sh('runc', [`--root=${runcRoot}`, 'list', '-q'], { allowFail: true });
  for (const id of stdout.split('\n').filter(Boolean)) {
    await sh('runc', [`--root=${runcRoot}`, 'kill', id, 'KILL'], { allowFail: true });
    await sh('runc', [`--root=${runcRoot}`, 'delete', '--force', id], { allowFail: true });
  }
}

export async function labMounts(root = LAB_ROOT): Promise<string[]> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

export async function labCgroups(): Promise<string[]> {
  const out: string[] = [];
  for (const ctl of await readdir(CGROUP_ROOT).catch(() => [] as string[])) {
    for (const d of await readdir(path.join(CGROUP_ROOT, ctl)).catch(() => [] as string[])) {
      if (d.startsWith('berth-lab-')) out.push(path.join(CGROUP_ROOT, ctl, d));
    }
  }
  return out;
}

async function removeCgroup(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) await removeCgroup(path.join(dir, e.name));
  }
  await rmdir(dir).catch(() => {});
}

/** killLabProcesses ends what a lab that died with its test process left running: only pids it recorded, still running Berth. */
async function killLabProcesses(root: string): Promise<void> {
  for (const run of await readdir(root).catch(() => [] as string[])) {
    const pids = (await readFile(path.join(root, run, PID_FILE), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (!cmd.includes('/dist/apps/')) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }
}

export async function cleanupLab(root = LAB_ROOT): Promise<void> {
  await killLabProcesses(root);
  for (const r of await runcRoots(root)) await killContainers(r);
  for (const m of await labMounts(root)) await sh('umount', ['-l', m], { allowFail: true });
  for (const cg of await labCgroups()) await removeCgroup(cg);
  await removeNetwork();
  await rm(root, { recursive: true, force: true });
}
