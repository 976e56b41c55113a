/**
 * reconcileStale removes what Berth networks left on this host with no
 * container behind it — `bn-` bridges with no container port, `vx-` VXLAN
 * devices whose bridge is gone or empty, and the iptables rules naming them —
 * as after an agent that died between a container's removal and its
 * network's cleanup. Run at agent start, after running containers were
 * re-adopted. Names of other software's devices (Docker's `br-`) never match.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OURS = /^(bn|vx)-[a-z0-9]{12}$/;

async function links(args: string[]): Promise<string[]> {
  const { stdout } = await run('ip', ['-o', 'link', 'show', ...args]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '').filter(Boolean);
}

export async function reconcileStale(log: (m: string) => void = () => {}): Promise<string[]> {
  const removed: string[] = [];
  for (const name of (await links([])).filter((n) => OURS.test(n) && n.startsWith('bn-'))) {
    const ports = (await links(['master', name])).filter((p) => !p.startsWith('vx-'));
    if (ports.length) continue;
    await run('ip', ['link', 'del', `vx-${name.slice(3)}`]).catch(() => {});
    await run('ip', ['link', 'del', name]).catch(() => {});
    removed.push(name);
  }
  for (const name of (await links(['type', 'vxlan'])).filter((n) => OURS.test(n))) {
    if ((await links([`bn-${name.slice(3)}`])).length) continue;
    await run('ip', ['link', 'del', name]).catch(() => {});
    removed.push(name);
  }
  if (removed.length) {
    for (const table of ['filter', 'nat']) {
      const { stdout } = await run('iptables-save', ['-t', table]).catch(() => ({ stdout: '' }));
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('-A ') || !removed.some((n) => line.includes(n))) continue;
        const args = line.slice(3).match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
        await run('iptables', ['-w', '5', '-t', table, '-D', ...args]).catch(() => {});
      }
    }
    log(`removed network leftovers with no container: ${removed.join(', ')}`);
  }
  return removed;
}
