/**
 * Overlay: two lab hosts, one task each on an overlay network. iperf3 TCP
 * throughput and ping RTT between the two containers' namespaces (iperf3 runs
 * from the host inside them with nsenter), and the same between the two host
 * namespaces directly (the underlay), in one run: ROUNDS rounds, each
 * measuring overlay then underlay back to back, medians of the per-round
 * ratios and differences (single TCP flows between veths on a 2-vCPU VM swing
 * ±30 % from one run to the next with reordering between the cores, for
 * both paths alike). Each round also measures plain kernel VXLAN between the
 * two host namespaces (a VXLAN device with an address in each, nothing of
 * Berth): the best any VXLAN overlay can do on this machine. Last, task
 * start → reachable from another host's container (p50 of 10: from the
 * create request to the first answered ping, sent every 20 ms to the address
 * the controller gave the task).
 * Prints JSON. Targets: ≥ 90 % of the underlay's throughput, ≤ +50 µs RTT,
 * start → reachable p50 ≤ 200 ms.
 */
import { Lab } from '../test/lab/lab.js';
import { sh, waitFor } from '../test/lab/sh.js';
import { hostAddr, hostNs } from '../test/lab/net.js';
import { percentile } from './common.js';

const ROUNDS = 7;

type Task = { node: string; state: string; address: string; id: string };

async function taskPid(lab: Lab, host: number, taskId: string): Promise<number> {
  return (await lab.containers(host)).get(taskId)!.pid;
}

/** inNet runs a command in a network namespace (a path under /proc or /run/netns). */
function inNet(ns: string, cmd: string[], timeoutMs = 30_000) {
  return sh('nsenter', [`--net=${ns}`, ...cmd], { timeoutMs });
}

async function iperf(serverNs: string, clientNs: string, serverIp: string): Promise<number> {
  const server = sh('nsenter', [`--net=${serverNs}`, 'iperf3', '-s', '-1', '-p', '5201'], { timeoutMs: 30_000, allowFail: true });
  await new Promise((r) => setTimeout(r, 500));
  const out = JSON.parse((await inNet(clientNs, ['iperf3', '-c', serverIp, '-p', '5201', '-t', '3', '-J'])).stdout) as { end: { sum_received: { bits_per_second: number } } };
  await server;
  return out.end.sum_received.bits_per_second / 1e9;
}

async function rttUs(fromNs: string, ip: string): Promise<number> {
  const out = (await inNet(fromNs, ['busybox', 'ping', '-c', '20', '-i', '0.05', '-q', ip])).stdout;
  const m = /= [\d.]+\/([\d.]+)\//.exec(out);
  return Math.round(Number(m?.[1] ?? NaN) * 1000);
}

/** FLOOR: addresses of the bare VXLAN devices (VNI 9999), inside the two lab host namespaces only. */
const FLOOR = { vni: '9999', dev: 'vxfloor0', mac: (n: number) => `02:00:00:00:99:0${n}`, ip: (n: number) => `192.168.199.${n}` };

/** bareVxlan puts a VXLAN device with an address in each host namespace, each knowing the other statically. */
async function bareVxlan(): Promise<void> {
  for (const n of [1, 2]) {
    const ns = hostNs(n);
    const peer = 3 - n;
    await sh('ip', ['-n', ns, 'link', 'add', FLOOR.dev, 'address', FLOOR.mac(n), 'mtu', '1450', 'type', 'vxlan', 'id', FLOOR.vni, 'dstport', '4789', 'nolearning', 'local', hostAddr(n)]);
    await sh('ip', ['-n', ns, 'addr', 'add', `${FLOOR.ip(n)}/24`, 'dev', FLOOR.dev]);
    await sh('ip', ['-n', ns, 'link', 'set', FLOOR.dev, 'up']);
    await sh('bridge', ['-n', ns, 'fdb', 'add', FLOOR.mac(peer), 'dev', FLOOR.dev, 'dst', hostAddr(peer), 'self', 'permanent']);
    await sh('ip', ['-n', ns, 'neigh', 'add', FLOOR.ip(peer), 'lladdr', FLOOR.mac(peer), 'dev', FLOOR.dev, 'nud', 'permanent']);
  }
}

async function main(): Promise<void> {
  const lab = await Lab.start({ hosts: 2, controllers: 1 });
  try {
    await lab.cli(['network', 'create', '-d', 'overlay', '--attachable', 'ov']);
    await lab.cli(['service', 'create', '--name', 'pair', '--replicas', '2', '--network', 'ov', 'busybox', 'sleep', '3600']);
    const tasks = await waitFor(
      '2 running',
      async () => {
        const t = (await lab.api<Task[]>('GET', '/services/pair/tasks')).body.filter((x) => x.state === 'running' && x.address);
        return t.length === 2 ? t : undefined;
      },
      60_000,
    );
    const [a, b] = [tasks.find((t) => t.node === 'h1')!, tasks.find((t) => t.node === 'h2')!];
    const nsA = `/proc/${await taskPid(lab, 1, a.id)}/ns/net`;
    const nsB = `/proc/${await taskPid(lab, 2, b.id)}/ns/net`;
    await waitFor('overlay up', async () => (await inNet(nsA, ['busybox', 'ping', '-c', '1', '-W', '1', b.address]).catch(() => undefined)) !== undefined, 10_000, 200);
    const underA = `/run/netns/${hostNs(1)}`;
    const underB = `/run/netns/${hostNs(2)}`;
    await bareVxlan();
    const rounds: Array<Record<'overlayGbps' | 'underlayGbps' | 'floorGbps' | 'overlayRtt' | 'underlayRtt' | 'floorRtt', number>> = [];
    for (let i = 0; i < ROUNDS; i++) {
      rounds.push({
        overlayGbps: await iperf(nsB, nsA, b.address),
        underlayGbps: await iperf(underB, underA, hostAddr(2)),
        floorGbps: await iperf(underB, underA, FLOOR.ip(2)),
        overlayRtt: await rttUs(nsA, b.address),
        underlayRtt: await rttUs(underA, hostAddr(2)),
        floorRtt: await rttUs(underA, FLOOR.ip(2)),
      });
    }
    const median = (xs: number[]) => percentile(xs, 50);
    // Start → reachable: a new task answering pings from the container on the other host.
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      // The controller gives the address (and the node) when the container is created: ping it from
      // the other host's container every 20 ms from then on; the first answered sequence number dates
      // reachability.
      const r = await lab.api<{ id: string; node: string; networks: Array<{ address: string }> }>('POST', '/containers', { image: 'busybox', command: ['sleep', '600'], network: 'ov' });
      const ip = r.body.networks[0].address;
      const from = r.body.node === 'h1' ? nsB : nsA;
      const tPing = performance.now();
      const out = (await sh('nsenter', [`--net=${from}`, 'busybox', 'ping', '-c', '200', '-i', '0.02', '-w', '5', ip], { allowFail: true, timeoutMs: 10_000 })).stdout;
      const first = /seq=(\d+)/.exec(out);
      if (!first) throw new Error(`task ${ip} never answered: ${out.slice(-200)}`);
      samples.push(tPing - t0 + Number(first[1]) * 20);
      await lab.api('DELETE', `/containers/${r.body.id}?force=true`);
    }
    const r2 = (x: number) => Math.round(x * 100) / 100;
    console.log(
      JSON.stringify({
        bench: 'overlay',
        rounds: ROUNDS,
        overlay_gbps: r2(median(rounds.map((r) => r.overlayGbps))),
        underlay_gbps: r2(median(rounds.map((r) => r.underlayGbps))),
        throughput_ratio: r2(median(rounds.map((r) => r.overlayGbps / r.underlayGbps))),
        throughput_ratios: rounds.map((r) => r2(r.overlayGbps / r.underlayGbps)),
        overlay_rtt_us: median(rounds.map((r) => r.overlayRtt)),
        underlay_rtt_us: median(rounds.map((r) => r.underlayRtt)),
        rtt_overhead_us: median(rounds.map((r) => r.overlayRtt - r.underlayRtt)),
        bare_vxlan_throughput_ratio: r2(median(rounds.map((r) => r.floorGbps / r.underlayGbps))),
        bare_vxlan_rtt_overhead_us: median(rounds.map((r) => r.floorRtt - r.underlayRtt)),
        start_to_reachable_p50_ms: Math.round(percentile(samples, 50)),
        targets: { throughput_ratio: 0.9, rtt_overhead_us: 50, start_to_reachable_p50_ms: 200 },
      }),
    );
  } finally {
    await lab.stop();
  }
}

void main();
