/**
 * Convergence: a 100-replica service over 3 hosts from create to all
 * running, then scale 100 → 200 and 200 → 100 (until exactly 100 tasks run
 * and 100 containers remain running on the hosts). Every host has the image
 * before the clock starts (a warm-up service puts it there, as Swarm nodes
 * would have it after a first deployment). The workload exits on
 * SIGTERM, so scale-down measures orchestration rather than the 10 s stop
 * grace period. Prints JSON in seconds.
 */
import { Lab } from '../test/lab/lab.js';
import { until } from './common.js';

async function runningTasks(lab: Lab): Promise<number> {
  return (await lab.api('GET', '/services/bench')).body.running as number;
}

async function runningContainers(lab: Lab): Promise<number> {
  let n = 0;
  for (const h of [1, 2, 3]) n += [...(await lab.containers(h)).values()].filter((c) => c.status === 'running').length;
  return n;
}

async function main(): Promise<void> {
  const lab = await Lab.start({ hosts: 3, controllers: 1 });
  try {
    await lab.api('POST', '/services', { name: 'warmup', image: 'busybox', replicas: 3, command: ['sleep', '3600'] });
    await until('warm-up on every host', async () => (await lab.api('GET', '/services/warmup')).body.running === 3, 60_000, 100);
    await lab.api('DELETE', '/services/warmup');
    await until('warm-up removed', async () => (await runningContainers(lab)) === 0, 60_000, 100);
    const t0 = performance.now();
    await lab.api('POST', '/services', { name: 'bench', image: 'busybox', replicas: 100, command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] });
    await until('100 running', async () => (await runningTasks(lab)) === 100, 120_000, 100);
    const create = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await lab.api('PATCH', '/services/bench', { replicas: 200 });
    await until('200 running', async () => (await runningTasks(lab)) === 200, 120_000, 100);
    const up = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    await lab.api('PATCH', '/services/bench', { replicas: 100 });
    await until('100 running', async () => (await runningTasks(lab)) === 100 && (await runningContainers(lab)) === 100, 120_000, 100);
    const down = (performance.now() - t2) / 1000;
    const r = (x: number) => Math.round(x * 100) / 100;
    console.log(JSON.stringify({ bench: 'convergence', hosts: 3, create_100_s: r(create), scale_100_to_200_s: r(up), scale_200_to_100_s: r(down), target_create_s: 6 }));
  } finally {
    await lab.stop();
  }
}

void main();
