/**
 * Volume: sequential write (1 GB, fsync'd) and read (page cache dropped
 * first) with busybox dd inside a container on a local volume, against the
 * same dd on a directory of the same filesystem from the host, seven rounds
 * with the first side alternating, in one run; medians, timed around dd by
 * the same shell line on both sides. Prints JSON.
 * Target: the container reaches ≥ 95 % of the host for both.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Lab } from '../test/lab/lab.js';
import { sh } from '../test/lab/sh.js';
import { percentile } from './common.js';

const MB = 1024;
/** timed: the same busybox shell line on both sides, timed around dd by the kernel clock in µs (adjtimex, read only). */
const NOW = `busybox adjtimex | busybox awk '/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%d.%06d", s, u}'`;
const timed = (dd: string) => `a=$(${NOW}); ${dd} 2>/dev/null; b=$(${NOW}); echo "took $a $b"`;
// Each write starts from an empty, synced disk: freeing the previous file's blocks is not timed.
const WRITE = `rm -f DIR/f; sync; ${timed(`dd if=/dev/zero of=DIR/f bs=1M count=${MB} conv=fsync`)}`;
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
    // Seven rounds, the side that goes first alternating, so drift of the disk hits both alike.
    for (let round = 0; round < 7; round++) {
      const sides = [async () => rates.hw.push(await onHost(WRITE)), async () => rates.cw.push(await inContainer(WRITE))];
      for (const side of round % 2 ? sides.reverse() : sides) {
        await dropCaches();
        await side();
      }
      const reads = [async () => rates.hr.push(await onHost(READ)), async () => rates.cr.push(await inContainer(READ))];
      for (const side of round % 2 ? reads.reverse() : reads) {
        await dropCaches();
        await side();
      }
    }
    const med = (xs: number[]) => Math.round(percentile(xs, 50));
    const [cw, cr, hw, hr] = [med(rates.cw), med(rates.cr), med(rates.hw), med(rates.hr)];
    console.log(
      JSON.stringify({
        bench: 'volume',
        size_mb: MB,
        container_write_mbs: cw,
        host_write_mbs: hw,
        write_ratio: Math.round((cw / hw) * 100) / 100,
        container_read_mbs: cr,
        host_read_mbs: hr,
        read_ratio: Math.round((cr / hr) * 100) / 100,
        target_ratio: 0.95,
      }),
    );
  } finally {
    await rm(hostDir, { recursive: true, force: true });
    await lab.cli(['volume', 'rm', 'benchvol']).catch(() => undefined);
    await lab.stop();
  }
}

void main();
