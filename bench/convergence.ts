/**
 * Convergence: a 100-replica service over 3 hosts from create to all
 * running, then scale 100 → 200 and 200 → 100 (until exactly 100 tasks run
 * and 100 containers remain running on the hosts), then a 500-replica
 * service from create to all running. Every host has the image before the
 * clock starts (a warm-up service puts it there, as Swarm nodes would have
 * it after a first deployment). The workload exits on SIGTERM, so
 * scale-down measures orchestration rather than the stop grace period.
 *
 *   node dist/bench/convergence.js [--load] [--swarm] [--rounds N] [--no-500]
 *
 * --load runs the whole bench with `stress-ng --cpu 2` hogging both cores.
 * --swarm runs the same phases on a 3-node Docker Swarm (bench/swarm.ts),
 * alternating with Berth round by round, and reports each phase's ratio.
 * Throughout, the nodes are watched: node_down_events counts nodes marked
 * down (every agent is alive, so any is a false alarm) and
 * max_heartbeat_lag_ms is the longest any ready node went unheard, as the
 * controller recorded it. Exits 1 when a phase takes over 300 s or any node
 * was marked down. Prints one JSON line, seconds per phase (medians).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Lab } from '../test/lab/lab.js';
import { NodeWatch } from '../test/lab/node-watch.js';
import { median, until } from './common.js';
import { SwarmLab } from './swarm.js';

const PHASE_LIMIT_MS = 300_000;
const WORKLOAD = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];
const args = process.argv.slice(2);
const LOAD = args.includes('--load');
const SWARM = args.includes('--swarm');
const BIG = !args.includes('--no-500');
const ROUNDS = Math.max(1, Math.min(10, Number(args[args.indexOf('--rounds') + 1] ?? 1) || 1));

type Phases = Record<string, number>;

async function timed(what: string, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const s = (performance.now() - t0) / 1000;
  console.error(`[convergence] ${what}: ${s.toFixed(1)} s`);
  return s;
}

async function berthRound(watch: { down: number; lag: number }): Promise<Phases> {
  const lab = await Lab.start({ hosts: 3, controllers: 1 });
  let nodeWatch: NodeWatch | undefined;
  try {
    const running = async (svc: string) => (await lab.api('GET', `/services/${svc}`)).body.running as number;
    const containers = () => lab.runningContainers();
    await lab.api('POST', '/services', { name: 'warmup', image: 'busybox', replicas: 3, command: ['sleep', '3600'] });
    await until('warm-up on every host', async () => (await running('warmup')) === 3, 120_000, 200);
    await lab.api('DELETE', '/services/warmup');
    await until('warm-up removed', async () => (await containers()) === 0, 120_000, 200);
    nodeWatch = new NodeWatch(lab, (h) => console.error(`[convergence] node ${h} marked down while its agent is alive`));
    const p: Phases = {};
    p.create_100_s = await timed('berth create 100', async () => {
      await lab.api('POST', '/services', { name: 'bench', image: 'busybox', replicas: 100, command: WORKLOAD });
      await until('100 running', async () => (await running('bench')) === 100, PHASE_LIMIT_MS, 200);
    });
    p.scale_100_to_200_s = await timed('berth 100 -> 200', async () => {
      await lab.api('PATCH', '/services/bench', { replicas: 200 });
      await until('200 running', async () => (await running('bench')) === 200, PHASE_LIMIT_MS, 200);
    });
    p.scale_200_to_100_s = await timed('berth 200 -> 100', async () => {
      await lab.api('PATCH', '/services/bench', { replicas: 100 });
      await until('100 running', async () => (await running('bench')) === 100 && (await containers()) === 100, PHASE_LIMIT_MS, 200);
    });
    if (BIG) {
      await lab.api('DELETE', '/services/bench');
      await until('bench removed', async () => (await containers()) === 0, PHASE_LIMIT_MS, 500);
      p.create_500_s = await timed('berth create 500', async () => {
        await lab.api('POST', '/services', { name: 'big', image: 'busybox', replicas: 500, command: WORKLOAD });
        await until('500 running', async () => (await running('big')) === 500, PHASE_LIMIT_MS, 500);
      });
    }
    return p;
  } finally {
    if (nodeWatch) {
      nodeWatch.stop();
      watch.down += nodeWatch.downs.length;
      watch.lag = Math.max(watch.lag, nodeWatch.maxLagMs);
    }
    await lab.stop();
  }
}

async function swarmRound(): Promise<Phases> {
  const swarm = await SwarmLab.start(3);
  try {
    await swarm.converge('warmup', 3, ['sleep', '3600'], PHASE_LIMIT_MS);
    await swarm.remove('warmup');
    const p: Phases = {};
    p.create_100_s = await timed('swarm create 100', () => swarm.converge('bench', 100, WORKLOAD, PHASE_LIMIT_MS));
    p.scale_100_to_200_s = await timed('swarm 100 -> 200', () => swarm.converge('bench', 200, WORKLOAD, PHASE_LIMIT_MS));
    p.scale_200_to_100_s = await timed('swarm 200 -> 100', () => swarm.converge('bench', 100, WORKLOAD, PHASE_LIMIT_MS));
    if (BIG) {
      await swarm.remove('bench');
      p.create_500_s = await timed('swarm create 500', () => swarm.converge('big', 500, WORKLOAD, PHASE_LIMIT_MS));
    }
    return p;
  } finally {
    await swarm.stop();
  }
}

function medians(rounds: Phases[]): Phases {
  const out: Phases = {};
  for (const k of Object.keys(rounds[0] ?? {})) out[k] = Math.round(median(rounds.map((r) => r[k])) * 100) / 100;
  return out;
}

function startLoad(): ChildProcess {
  // Bounded by its own timeout too, should this process die without stopping it.
  const p = spawn('stress-ng', ['--cpu', '2', '--timeout', '3600s', '--quiet'], { stdio: 'ignore' });
  p.on('error', (err) => {
    console.error(`[convergence] stress-ng: ${err.message} (bash deploy/prereqs.sh --tools installs it)`);
    process.exit(1);
  });
  return p;
}

async function main(): Promise<void> {
  const load = LOAD ? startLoad() : undefined;
  const watch = { down: 0, lag: 0 };
  const berth: Phases[] = [];
  const swarm: Phases[] = [];
  let failure = '';
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which side goes first, so a drift of the machine's speed weighs on both.
      const order = SWARM && i % 2 ? ['swarm', 'berth'] : ['berth', 'swarm'];
      for (const side of order) {
        if (side === 'berth') berth.push(await berthRound(watch));
        else if (SWARM) swarm.push(await swarmRound());
      }
    }
  } catch (err) {
    failure = (err as Error).message;
  } finally {
    if (load) {
      load.kill('SIGTERM');
      await new Promise((r) => load.once('exit', r));
    }
  }
  const b = medians(berth);
  const out: Record<string, unknown> = {
    bench: 'convergence',
    hosts: 3,
    load: LOAD ? 'stress-ng --cpu 2' : 'none',
    rounds: berth.length,
    node_down_ms: 3000,
    ...b,
    node_down_events: watch.down,
    max_heartbeat_lag_ms: Math.round(watch.lag),
    target_create_s: 6,
    phase_limit_s: PHASE_LIMIT_MS / 1000,
  };
  if (SWARM && swarm.length) {
    const s = medians(swarm);
    out.swarm = s;
    out.ratio_to_swarm = Object.fromEntries(
      Object.keys(b)
        .filter((k) => s[k])
        .map((k) => [k, Math.round((b[k] / s[k]) * 100) / 100]),
    );
  }
  if (failure) out.error = failure;
  console.log(JSON.stringify(out));
  if (failure || watch.down > 0) process.exitCode = 1;
}

void main();
