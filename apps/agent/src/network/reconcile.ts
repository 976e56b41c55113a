/**
 * reconcileStale removes what Berth networks left on this host with no
 * container behind it — `bn-` bridges with no container port, overlays'
 * `vx-` VXLAN devices (with their `bn-` macvlan interface) that no restored
 * container holds, and the iptables rules naming them — as after an agent
 * that died between a container's removal and its network's cleanup. Run at
 * agent start, after running containers were re-adopted: an overlay's
 * container interfaces live in the containers' namespaces, out of the
 * host's sight, so the networks say which devices they hold (`keep`). Names
 * of other software's devices (Docker's `br-`) never match.
 */
import { run } from '../exec/run.js';

const OURS = /^(bn|vx)-[a-z0-9]{12}$/;

async function links(args: string[]): Promise<string[]> {
  const { stdout } = await run('ip', ['-o', 'link', 'show', ...args]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter(Boolean);
}

export async function reconcileStale(keep: Set<string>, log: (m: string) => void = () => {}): Promise<string[]> {
  const removed: string[] = [];
  const remove = async (name: string) => {
    await run('ip', ['link', 'del', name]).catch(() => {});
    removed.push(name);
  };
  for (const name of (await links(['type', 'bridge'])).filter((n) => OURS.test(n) && n.startsWith('bn-'))) {
    if ((await links(['master', name])).length) continue;
    await remove(name);
  }
  const macvlans = await links(['type', 'macvlan']);
  for (const name of (await links(['type', 'vxlan'])).filter((n) => OURS.test(n) && !keep.has(n))) {
    // The host's macvlan on it goes with the device; its rules are named after it.
    const gateway = `bn-${name.slice(3)}`;
    await remove(name);
    if (macvlans.includes(gateway)) await remove(gateway);
  }
  for (const name of (await links(['type', 'macvlan'])).filter((n) => OURS.test(n) && !keep.has(n))) await remove(name);
  // The overlays' untracking of VXLAN datagrams (overlay.driver.ts) goes with the last VXLAN device.
  const lastVxlan = !(await links(['type', 'vxlan'])).some((n) => OURS.test(n));
  if (removed.length || lastVxlan) {
    const stale = (line: string) => removed.some((n) => line.includes(n)) || (lastVxlan && line.includes('"berth vxlan"'));
    for (const table of ['filter', 'nat', 'raw']) {
      const { stdout } = await run('iptables-save', ['-t', table]).catch(() => ({ stdout: '' }));
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('-A ') || !stale(line)) continue;
        const args = line
          .slice(3)
          .match(/"[^"]*"|\S+/g)!
          .map((a) => a.replace(/^"|"$/g, ''));
        await run('iptables', ['-w', '5', '-t', table, '-D', ...args]).catch(() => {});
      }
    }
    if (removed.length) log(`removed network leftovers with no container: ${removed.join(', ')}`);
  }
  return removed;
}
