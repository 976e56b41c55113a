/**
 * Volume: sequential write (512 MB, fsync'd) and read (page cache dropped
 * first) with busybox dd inside a container on a local volume, against the
 * same dd on a directory of the same filesystem from the host, alternating,
 * three rounds each, in one run; medians, timed around dd by the same shell
 * line on both sides. Prints JSON.
 * Target: the container reaches ≥ 95 % of the host for both.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Lab } from '../test/lab/lab.js';
import { sh } from '../test/lab/sh.js';
import { percentile } from './common.js';

const MB = 512;
/** timed: the same busybox shell line on both sides, timed by /proc/uptime around dd (10 ms resolution). */
const timed = (dd: string) => `a=$(cut -d' ' -f1 /proc/uptime); ${dd} 2>/dev/null; b=$(cut -d' ' -f1 /proc/uptime); echo "took $a $b"`;
const WRITE = timed(`dd if=/dev/zero of=DIR/f bs=1M count=${MB} conv=fsync`);
const READ = timed('dd if=DIR/f of=/dev/null bs=1M');

/** mbps: MB/s from the "took START END" line. */
function mbps(out: string): number {
  const m = /took ([\d.]+) ([\d.]+)/.exec(out);
  if (!m) throw new Error(`no timing in: ${out.slice(-300)}`);
  return (MB * 1.048576) / (Number(m[2]) - Number(m[1]));
}

async function dropCaches(): Promise<void> {
  await sh('sync', []);
  await writeFile('/proc/sys/vm/drop_caches', '3\n');
}

async function main(): Promise<void> {
  const lab = await Lab.start({ hosts: 1, controllers: 1 });
  const hostDir = path.join(path.dirname(lab.hostDir(1)), 'bench-host-dir');
  await mkdir(hostDir, { recursive: true });
  const inContainer = async (cmd: string) => {
    const r = await lab.cli(['run', '--rm', '--network', 'none', '-v', 'benchvol:/v', 'busybox', 'sh', '-c', cmd.replaceAll('DIR', '/v')], 300_000);
    if (r.code !== 0) throw new Error(`container dd failed: ${r.stderr}`);
    return mbps(r.stdout);
  };
  const onHost = async (cmd: string) => mbps((await sh('busybox', ['sh', '-c', cmd.replaceAll('DIR', hostDir)], { timeoutMs: 300_000 })).stdout);
  const rates = { cw: [] as number[], cr: [] as number[], hw: [] as number[], hr: [] as number[] };
  try {
    for (let round = 0; round < 3; round++) {
      rates.hw.push(await onHost(WRITE));
      rates.cw.push(await inContainer(WRITE));
      await dropCaches();
      rates.hr.push(await onHost(READ));
      await dropCaches();
      rates.cr.push(await inContainer(READ));
    }
    const med = (xs: number[]) => Math.round(percentile(xs, 50));
    const [cw, cr, hw, hr] = [med(rates.cw), med(rates.cr), med(rates.hw), med(rates.hr)];
    console.log(JSON.stringify({
      bench: 'volume', size_mb: MB, container_write_mbs: cw, host_write_mbs: hw, write_ratio: Math.round((cw / hw) * 100) / 100,
      container_read_mbs: cr, host_read_mbs: hr, read_ratio: Math.round((cr / hr) * 100) / 100, target_ratio: 0.95,
    }));
  } finally {
    await rm(hostDir, { recursive: true, force: true });
    await lab.cli(['volume', 'rm', 'benchvol']).catch(() => undefined);
    await lab.stop();
  }
}

void main();
