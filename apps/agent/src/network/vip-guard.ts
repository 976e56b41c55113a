/**
 * guardVipPool keeps traffic to services' virtual IPs on this host. A VIP is
 * only ever translated inside containers (endpoints.ts); a connection to one
 * with no task behind it would otherwise follow the host's default route out
 * of the machine. One FORWARD rule answers it with "network unreachable"
 * instead. The pool comes from the controller with each session; a rule for
 * an older pool is replaced.
 */
import { run } from '../exec/run.js';

const COMMENT = 'berth vip pool';

export async function guardVipPool(pool: string): Promise<void> {
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(pool)) return;
  const rule = ['FORWARD', '-d', pool, '-m', 'comment', '--comment', COMMENT, '-j', 'REJECT', '--reject-with', 'icmp-net-unreachable'];
  const { stdout } = await run('iptables', ['-w', '5', '-S', 'FORWARD']);
  for (const line of stdout.split('\n')) {
    if (!line.includes(`"${COMMENT}"`) || line.includes(` ${pool} `)) continue;
    await run('iptables', [
      '-w',
      '5',
      ...line
        .replace(/^-A /, '-D ')
        .match(/"[^"]*"|\S+/g)!
        .map((t) => t.replace(/^"|"$/g, '')),
    ]).catch(() => {});
  }
  const present = await run('iptables', ['-w', '5', '-C', ...rule]).then(
    () => true,
    () => false,
  );
  if (!present) await run('iptables', ['-w', '5', '-I', ...rule]);
}
