/**
 * Agent pull: the agent's ImageService pulls a 5-layer, 200 MB image
 * (random, incompressible data, gzip layers) from the real registry process
 * into an empty image store, in this process; RSS is sampled every 10 ms.
 * Prints JSON: wall time, RSS before and at peak. Target: peak ≤ idle + 64 MB
 * (layers are streamed, never held whole in memory).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { startRegistry } from '../test/fixtures/registry-process.js';
import { ImageService } from '../apps/agent/src/images/image-service.js';
import { fileBody, MediaType, pushBlob } from '#libs/oci';

const LAYERS = 5;
const LAYER_BYTES = 40 * 1024 * 1024;

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-pull-'));
  const reg = await startRegistry(dir);
  try {
    const layers = [];
    for (let i = 0; i < LAYERS; i++) {
      const src = path.join(dir, `src${i}`);
      await mkdir(src);
      const out = createWriteStream(path.join(src, `data${i}.bin`));
      for (let n = 0; n < LAYER_BYTES; n += 1 << 20) if (!out.write(randomBytes(1 << 20))) await once(out, 'drain');
      out.end();
      await once(out, 'finish');
      const tarFile = path.join(dir, `layer${i}.tar`);
      execFileSync('tar', ['-C', src, '-cf', tarFile, '.']);
      const gz = `${tarFile}.gz`;
      await pipeline(createReadStream(tarFile), createGzip({ level: 1 }), createWriteStream(gz));
      const layer = { diffId: await sha256File(tarFile), digest: await sha256File(gz), size: (await stat(gz)).size, file: gz };
      await pushBlob(reg.host, 'bench/big', layer.digest, layer.size, () => fileBody(gz));
      layers.push(layer);
      await rm(src, { recursive: true, force: true });
      await rm(tarFile);
    }
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    await pushBlob(reg.host, 'bench/big', configDigest, config.length, () => config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.OciLayerGzip, digest: l.digest, size: l.size })),
    });
    const put = await fetch(`http://${reg.host}/v2/bench/big/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': MediaType.OciManifest } });
    if (put.status !== 201) throw new Error(`manifest push: HTTP ${put.status}`);

    const images = new ImageService(path.join(dir, 'agent'), [reg.host]);
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 500));
    const rss = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))![1]) / 1024;
    const idle = await rss();
    let peak = idle;
    const sampler = setInterval(
      () =>
        void rss().then((v) => {
          peak = Math.max(peak, v);
        }),
      10,
    );
    const t0 = performance.now();
    await images.ensure(`${reg.host}/bench/big:v1`);
    const wall = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, await rss());
    const mb = (x: number) => Math.round(x * 10) / 10;
    const total = layers.reduce((n, l) => n + l.size, 0);
    console.log(
      JSON.stringify({
        bench: 'agent-pull',
        layers: LAYERS,
        image_mb: mb(total / 1e6),
        wall_s: Math.round(wall * 100) / 100,
        mbs: Math.round(total / 1e6 / wall),
        rss_idle_mb: mb(idle),
        rss_peak_mb: mb(peak),
        rss_growth_mb: mb(peak - idle),
        target_growth_mb: 64,
      }),
    );
  } finally {
    await reg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
