/**
 * runRegistryFuzz: sends `requests` hostile requests (RegistryCases, seeded)
 * to a running registry and reports what came back: counts by status, and
 * every failure — a 5xx, no answer at all, or no answer within
 * REQUEST_TIMEOUT_MS. With `auth`, each request carries a valid token, none,
 * a forged or a garbage one. pushPullRoundTrip checks afterwards that the
 * registry still serves a normal push and pull. Used by
 * test/fuzz/registry.fuzz-spec.ts (CI) and bench/fuzz-registry.ts (long runs).
 */
import { Agent, request } from 'node:http';
import { buildSingleLayerImage, pushImage, MANIFEST_ACCEPT, parseManifest, digestOf } from '#libs/oci';
import { rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tar from 'tar-stream';
import { RegistryCases, type FuzzFixture, type FuzzRequest } from './registry-cases.js';
import { rng } from './hostile-values.js';

/** REQUEST_TIMEOUT_MS: an answer slower than this counts as a hang (issue 11's pass criterion). */
export const REQUEST_TIMEOUT_MS = 5_000;

export interface FuzzAuth {
  /** A token granting everything (as the controller signs for itself). */
  token: string;
  /** A well-formed token signed with a key the registry does not know. */
  forged: string;
}

export interface FuzzFailure {
  label: string;
  method: string;
  path: string;
  problem: string;
}

export interface FuzzResult {
  seed: number;
  sent: number;
  byStatus: Record<string, number>;
  failures: FuzzFailure[];
  durationMs: number;
}

interface Answer {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
}

/** send makes one request and resolves with the answer, or rejects (no answer / timeout). */
function send(agent: Agent, base: URL, q: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...q.headers };
    if (Buffer.isBuffer(q.body)) headers['content-length'] = q.body.length;
    const req = request({ agent, host: base.hostname, port: base.port, method: q.method, path: q.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        if ((n += c.length) <= 4096) chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString().slice(0, 300) });
      });
      res.on('error', (e) => reject(e));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    // Writing may fail once the registry answered early (e.g. an oversized body); the answer is what counts.
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (Array.isArray(q.body)) {
      for (const c of q.body) req.write(c);
      req.end();
    } else req.end(q.body);
  });
}

/** authHeader picks how a request authenticates: mostly validly, so requests reach the handlers. */
function authHeader(r: ReturnType<typeof rng>, auth?: FuzzAuth): Record<string, string> {
  if (!auth) return {};
  const x = r.float();
  if (x < 0.7) return { authorization: `Bearer ${auth.token}` };
  if (x < 0.8) return {};
  if (x < 0.85) return { authorization: `Bearer ${auth.forged}` };
  return {
    authorization: r.pick([
      'Bearer',
      'Bearer ',
      'Bearer a.b.c',
      `Bearer ${'A'.repeat(8000)}`,
      'Basic YWRtaW46YWRtaW4=',
      `Bearer ${auth.token.split('.').slice(0, 2).join('.')}.x`,
      'bearer x y',
      `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`,
    ]),
  };
}

/** pushFixture pushes a small valid image the cases refer to (known digests, a tag). */
async function pushFixture(baseUrl: string, token?: string): Promise<FuzzFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fuzz-fixture-'));
  try {
    const pack = tar.pack();
    pack.entry({ name: 'hello.txt', mode: 0o644, mtime: new Date(0) }, 'fuzz fixture\n');
    pack.finalize();
    const parts: Buffer[] = [];
    for await (const c of pack as unknown as AsyncIterable<Buffer>) parts.push(c);
    await writeFile(path.join(dir, 'rootfs.tar'), Buffer.concat(parts));
    const img = await buildSingleLayerImage(path.join(dir, 'rootfs.tar'), { cmd: ['cat', '/hello.txt'] });
    await pushImage(baseUrl, 'fuzz/base', 'v1', img, { token }).finally(() => rm(path.dirname(img.layer.path), { recursive: true, force: true }));
    return { repo: 'fuzz/base', tag: 'v1', layer: img.layer.digest, config: img.config.digest, manifest: { digest: img.manifest.digest, bytes: img.manifest.bytes } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** http://host:port of the registry. */
  baseUrl: string;
  /** Set when the registry has token auth on. */
  auth?: FuzzAuth;
  /**
   * Requests in flight at once (default 1). With 1 a seed replays exactly;
   * more finds races (chunks of one upload at once) but the order of answers,
   * and so the uploads later cases pick, then depends on timing.
   */
  concurrency?: number;
  onProgress?: (done: number) => void;
}

export async function runRegistryFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const base = new URL(opts.baseUrl);
  const r = rng(opts.seed);
  const cases = new RegistryCases(r, await pushFixture(opts.baseUrl, opts.auth?.token));
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const result: FuzzResult = { seed: opts.seed, sent: 0, byStatus: {}, failures: [], durationMs: 0 };
  const t0 = Date.now();
  const worker = async () => {
    while (result.sent < opts.requests) {
      const q = cases.next();
      q.headers = { ...authHeader(r, opts.auth), ...q.headers };
      const fail = (problem: string) => result.failures.push({ label: q.label, method: q.method, path: q.path.slice(0, 200), problem });
      if (++result.sent % 1000 === 0) opts.onProgress?.(result.sent);
      try {
        const a = await send(agent, base, q);
        result.byStatus[a.status] = (result.byStatus[a.status] ?? 0) + 1;
        if (a.status >= 500) fail(`HTTP ${a.status}: ${a.body}`);
        q.onAnswer?.(a.status, a.headers);
      } catch (err) {
        result.byStatus.none = (result.byStatus.none ?? 0) + 1;
        fail(`no answer: ${(err as Error).message}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  result.durationMs = Date.now() - t0;
  return result;
}

/** pushPullRoundTrip pushes a fresh image and pulls it back, checking every digest; throws on any problem. */
export async function pushPullRoundTrip(baseUrl: string, token?: string): Promise<void> {
  const fx = await pushFixture(baseUrl, token);
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const m = await fetch(`${baseUrl}/v2/${fx.repo}/manifests/${fx.tag}`, { headers: { accept: MANIFEST_ACCEPT, ...auth }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (m.status !== 200) throw new Error(`pull of ${fx.repo}:${fx.tag}: HTTP ${m.status}`);
  const bytes = Buffer.from(await m.arrayBuffer());
  if (digestOf(bytes) !== fx.manifest.digest) throw new Error(`pulled manifest is ${digestOf(bytes)}, pushed ${fx.manifest.digest}`);
  const parsed = parseManifest(bytes, m.headers.get('content-type') ?? '');
  if (parsed.kind !== 'manifest') throw new Error('pulled an index, pushed a manifest');
  for (const d of [parsed.manifest.config.digest, ...parsed.manifest.layers.map((l) => l.digest)]) {
    const b = await fetch(`${baseUrl}/v2/${fx.repo}/blobs/${d}`, { headers: auth, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (b.status !== 200) throw new Error(`pull of blob ${d}: HTTP ${b.status}`);
    const got = digestOf(Buffer.from(await b.arrayBuffer()));
    if (got !== d) throw new Error(`blob ${d} came back as ${got}`);
  }
}
