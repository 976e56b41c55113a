/**
 * Registry throughput: push and pull of one 200 MB single-layer blob
 * (random, incompressible) with the same plain HTTP client — a monolithic
 * POST + PUT upload streamed from disk and a GET streamed to nowhere —
 * against apps/registry and against Docker Distribution 2.8 (Debian's
 * docker-registry) in the same run, each on loopback without auth. Each
 * figure is the best of 5. Prints JSON: MB/s and Berth / Distribution.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { freePort, startRegistry } from '../test/fixtures/registry-process.js';
import { startProcess, stopProcess } from '../test/lab/proc.js';
import { until } from './common.js';

const SIZE = 200 * 1024 * 1024;
const ROUNDS = 5;

function request(method: string, url: string, body?: () => NodeJS.ReadableStream, size?: number): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: size !== undefined ? { 'content-length': size, 'content-type': 'application/octet-stream' } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) body().pipe(req);
    else req.end();
  });
}

async function push(base: string, repo: string, file: string, digest: string): Promise<number> {
  const t0 = performance.now();
  const start = await request('POST', `${base}/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status}`);
  const loc = new URL(start.headers.location!, base);
  loc.searchParams.set('digest', digest);
  const put = await request('PUT', loc.toString(), () => createReadStream(file, { highWaterMark: 1 << 20 }), SIZE);
  if (put.status !== 201) throw new Error(`upload: HTTP ${put.status}`);
  return SIZE / 1e6 / ((performance.now() - t0) / 1000);
}

async function pull(base: string, repo: string, digest: string): Promise<number> {
  const t0 = performance.now();
  const r = await request('GET', `${base}/v2/${repo}/blobs/${digest}`);
  if (r.status !== 200 || r.bytes !== SIZE) throw new Error(`pull: HTTP ${r.status}, ${r.bytes} bytes`);
  return SIZE / 1e6 / ((performance.now() - t0) / 1000);
}

async function measure(base: string, file: string, digest: string): Promise<{ push: number; pull: number }> {
  let bestPush = 0;
  let bestPull = 0;
  for (let i = 0; i < ROUNDS; i++) {
    // A new repository each round, and no blob left from the last: every push really uploads.
    bestPush = Math.max(bestPush, await push(base, `bench/r${i}`, file, digest));
    bestPull = Math.max(bestPull, await pull(base, `bench/r${i}`, digest));
    await request('DELETE', `${base}/v2/bench/r${i}/blobs/${digest}`);
  }
  return { push: Math.round(bestPush), pull: Math.round(bestPull) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-registry-'));
  try {
    const file = path.join(dir, 'layer.bin');
    const out = createWriteStream(file);
    const h = createHash('sha256');
    for (let written = 0; written < SIZE; written += 1 << 20) {
      const chunk = randomBytes(1 << 20);
      h.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const digest = `sha256:${h.digest('hex')}`;

    const berth = await startRegistry(dir);
    const ours = await measure(`http://${berth.host}`, file, digest).finally(() => berth.stop());

    if (!existsSync('/usr/bin/docker-registry')) throw new Error('docker-registry (Debian package) is not installed');
    const port = await freePort();
    const cfg = path.join(dir, 'distribution.yml');
    // Blob deletes on, so each round uploads again as with Berth.
    await writeFile(
      cfg,
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'distribution')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    const dist = startProcess('distribution', '/usr/bin/docker-registry', ['serve', cfg], path.join(dir, 'distribution.log'));
    let theirs;
    try {
      await until('distribution', async () => (await request('GET', `http://127.0.0.1:${port}/v2/`).catch(() => ({ status: 0 }))).status === 200, 10_000);
      theirs = await measure(`http://127.0.0.1:${port}`, file, digest);
    } finally {
      await stopProcess(dist);
    }
    const r = (x: number) => Math.round(x * 100) / 100;
    console.log(
      JSON.stringify({
        bench: 'registry',
        blob_mb: SIZE / 1e6,
        berth_push_mbs: ours.push,
        berth_pull_mbs: ours.pull,
        distribution_push_mbs: theirs.push,
        distribution_pull_mbs: theirs.pull,
        push_ratio: r(ours.push / theirs.push),
        pull_ratio: r(ours.pull / theirs.pull),
        target_ratio: 1,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
