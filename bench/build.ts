/**
 * Build cache: the agent's Builder (in this process, real runc and the real
 * registry process) builds a small multi-step Dockerfile once, then again
 * unchanged. Prints JSON: seconds for the first build and for the rebuild,
 * which hits the cache for every step (target < 1 s; it still pushes).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pushBusybox, startRegistry } from '../test/fixtures/registry-process.js';
import { sh } from '../test/lab/sh.js';
import { ImageService } from '../apps/agent/src/images/image-service.js';
import { Builder } from '../apps/agent/src/builder/builder.js';
import { createNetworks } from '../apps/agent/src/network/index.js';

const DOCKERFILE = `FROM busybox
ENV APP=/srv/app
WORKDIR /srv/app
COPY src/ ./
RUN sh -c 'for f in *.txt; do wc -c "$f"; done > sizes && echo built'
RUN mkdir -p /data && echo ok > /data/state
CMD ["cat", "sizes"]
`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-build-'));
  const cgroupParent = `berth-bench-build-${randomBytes(3).toString('hex')}`;
  const reg = await startRegistry(dir);
  try {
    await pushBusybox(reg, dir);
    const ctx = path.join(dir, 'ctx');
    await mkdir(path.join(ctx, 'src'), { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(path.join(ctx, 'src', `f${i}.txt`), 'x'.repeat(1000 * (i + 1)));
    await writeFile(path.join(ctx, 'Dockerfile'), DOCKERFILE);
    const images = new ImageService(path.join(dir, 'agent'), [reg.host]);
    // The bench runs on the host's own stack: its RUN steps need no network and get none.
    const bridge = createNetworks('/usr/lib/cni', { bridgeName: 'bn-benchbuild', subnet: '10.214.0.0/24', stateDir: path.join(dir, 'agent') }).get('bridge');
    const builder = new Builder({ stateDir: path.join(dir, 'agent'), images, runcRoot: path.join(dir, 'runc'), cgroupParent, nofile: 1024, pidsLimit: 1024, bridge, insecureRegistries: [reg.host] });
    const opts = { contextDir: ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: false, network: 'none' as const, tag: `${reg.host}/bench/app:1` };
    let t0 = performance.now();
    await builder.build(opts, () => {});
    const first = (performance.now() - t0) / 1000;
    const lines: string[] = [];
    t0 = performance.now();
    await builder.build(opts, (l) => lines.push(l));
    const rebuild = (performance.now() - t0) / 1000;
    const hits = lines.filter((l) => l.includes('Using cache')).length;
    const r = (x: number) => Math.round(x * 1000) / 1000;
    console.log(JSON.stringify({ bench: 'build-cache', first_build_s: r(first), rebuild_s: r(rebuild), cached_steps: hits, target_rebuild_s: 1 }));
  } finally {
    await reg.stop();
    const mounts = (await readFile('/proc/mounts', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.reverse()) await sh('umount', ['-l', m], { allowFail: true });
    for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) await rmdir(path.join('/sys/fs/cgroup', ctl, cgroupParent)).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
