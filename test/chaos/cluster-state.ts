/**
 * clusterState: one service's tasks as the API has them, held against what
 * runc runs on every host and what is mounted under the lab, listing every
 * disagreement: a task desired running that does not run, two tasks for one
 * slot, a container running that no running task (nor the probe) owns, a
 * running task whose container is not running, a rootfs mounted for a
 * container runc does not know. While the API itself has not settled,
 * the hosts are not asked (runc lists are costly on a loaded machine, and
 * the answer is "not converged" either way).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Lab } from '../lab/lab.js';

interface TaskView {
  id: string;
  slot: number;
  node: string;
  state: string;
  desiredState: string;
  error: string;
}

export interface ClusterState {
  /** Tasks the API shows running (desired running). */
  running: number;
  /** Running tasks per host (h1, h2, h3). */
  onHosts: number[];
  problems: string[];
}

/** hosts the caller knows to be cut off are not held to runc (their agents cannot stop anything yet). */
export async function clusterState(lab: Lab, service: string, probeTaskId: string, cutOff: number[] = []): Promise<ClusterState> {
  const every = (await lab.api<TaskView[]>('GET', `/services/${service}/tasks?all=1`)).body;
  const tasks = every.filter((t) => t.desiredState === 'running');
  const problems: string[] = [];
  const running = tasks.filter((t) => t.state === 'running');
  const slots = new Map<number, number>();
  for (const t of tasks) slots.set(t.slot, (slots.get(t.slot) ?? 0) + 1);
  for (const [slot, n] of slots) if (n > 1) problems.push(`slot ${slot} has ${n} tasks`);
  for (const t of tasks) if (t.state !== 'running') problems.push(`task ${t.id} (slot ${t.slot}${t.node ? ` on ${t.node}` : ''}) is ${t.state}${t.error ? ` (${t.error})` : ''}`);
  const onHosts = [1, 2, 3].map((h) => running.filter((t) => t.node === `h${h}`).length);
  if (problems.length) return { running: running.length, onHosts, problems };
  const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '');
  const known = new Map(every.map((t) => [t.id, t]));
  for (const h of [1, 2, 3]) {
    if (cutOff.includes(h)) continue;
    const containers = await lab.containers(h);
    const owners = new Set([...running.filter((t) => t.node === `h${h}`).map((t) => t.id), probeTaskId]);
    for (const [id, c] of containers) if (c.status === 'running' && !owners.has(id)) problems.push(`h${h} runs container ${id} that no running task owns`);
    for (const t of running) if (t.node === `h${h}` && containers.get(t.id)?.status !== 'running') problems.push(`task ${t.id} runs by the API but not by runc on h${h}`);
    const prefix = path.join(lab.hostDir(h), 'containers') + '/';
    for (const m of mounts) {
      if (!m.startsWith(prefix) || !m.endsWith('/rootfs')) continue;
      const id = m.slice(prefix.length).split('/')[0];
      if (containers.has(id)) continue;
      const t = known.get(id);
      problems.push(`h${h} has ${m} mounted without its container (${t ? `task slot ${t.slot}, ${t.state}, desired ${t.desiredState}${t.error ? `: ${t.error}` : ''}` : 'no task of the service'})`);
    }
  }
  return { running: running.length, onHosts, problems };
}
