/**
 * runRestFuzz: sends `requests` seeded fuzz requests (rest-requests.ts) for
 * the operations of the controller's OpenAPI document, a few at a time, and
 * reports what came back: counts by status, every 5xx, requests slower
 * than SLOW_MS, 4xx answers not in the API's error shape, and the longest
 * latency. Used by test/fuzz/rest.fuzz-spec.ts and bench/fuzz.ts.
 */
import http from 'node:http';
import { loadOperations } from './openapi-ops.js';
import { requestFor, type FuzzRequest } from './rest-requests.js';

/**
 * FUZZ_CONTROLLER_ARGS: node flags for a controller whose RSS is measured under fuzzing. Its
 * live heap stays near 60 MB over any number of runs (seen with --trace-gc), but unbounded,
 * V8 lets garbage from the huge bodies pile up to ~250 MB before a full collection, so RSS
 * measured how lazy the collector was. With a limit RSS follows what is live; a leak still
 * grows it, or ends the process, which the caller sees.
 */
export const FUZZ_CONTROLLER_ARGS = ['--max-old-space-size=192'];

/** SLOW_MS: an answer later than this is a failure (the "no request over 5 s"). */
export const SLOW_MS = 5_000;
/** Operations that wait by design (long polls); one still open at SLOW_MS is ended and counted as held, not slow. */
const LONG_POLL = /_wait$/;
const SAMPLES = 20;
/** MAX_BODY_KEPT: how much of an answer is kept to check its shape; error answers are far smaller. */
const MAX_BODY_KEPT = 256 * 1024;

export interface FuzzOptions {
  baseUrl: string;
  token: string;
  requests: number;
  seed: number;
  concurrency?: number;
  /** Operations whose 503 UNAVAILABLE is expected in this setup (e.g. ones that need an agent when none runs). */
  allowUnavailable?: RegExp;
}

export interface FuzzSample {
  op: string;
  kind: string;
  method: string;
  path: string;
  sent: string;
  status: number;
  ms: number;
  body: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  statuses: Record<string, number>;
  serverErrors: number;
  serverErrorSamples: FuzzSample[];
  slow: number;
  slowSamples: FuzzSample[];
  /** 4xx answers without `{ error: { code, message, details } }` (Node's own parser errors excepted). */
  shapeless: number;
  shapelessSamples: FuzzSample[];
  held: number;
  /** 503 UNAVAILABLE answers of the operations in allowUnavailable (not counted as server errors). */
  unavailable: number;
  maxLatencyMs: number;
}

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  ms: number;
  held: boolean;
}

function send(url: URL, req: FuzzRequest, agent: http.Agent): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let held = false;
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, agent, headers: { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY_KEPT) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, ms: performance.now() - t0, held }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers, ms: performance.now() - t0, held }));
      },
    );
    // Past SLOW_MS the request has failed already; end it so one hang cannot stall the run.
    r.setTimeout(SLOW_MS + 1_000, () => r.destroy(new Error('timeout')));
    const longPoll = LONG_POLL.test(req.op);
    const hold = longPoll
      ? setTimeout(() => {
          held = true;
          r.destroy(new Error('held'));
        }, SLOW_MS - 500)
      : undefined;
    r.on('close', () => clearTimeout(hold));
    r.on('error', (err) => resolve({ status: held ? -1 : 0, body: err.message, headers: {}, ms: performance.now() - t0, held }));
    r.end(req.body);
  });
}

/** hasErrorShape: the body is `{ error: { code: string, message: string, details: [] } }`. */
export function hasErrorShape(body: string): boolean {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
    return typeof e?.code === 'string' && typeof e.message === 'string' && e.message.length > 0 && Array.isArray(e.details);
  } catch {
    return false;
  }
}

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** fromNodeParser: Node's HTTP parser refused the request before the app saw it (bad request line, headers too large). */
function fromNodeParser(a: Answer): boolean {
  return (a.status === 400 || a.status === 431) && a.body === '' && !a.headers['content-type'];
}

export async function runRestFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const ops = await loadOperations(opts.baseUrl);
  const url = new URL(opts.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 8 });
  const report: FuzzReport = {
    seed: opts.seed,
    requests: 0,
    statuses: {},
    serverErrors: 0,
    serverErrorSamples: [],
    slow: 0,
    slowSamples: [],
    shapeless: 0,
    shapelessSamples: [],
    held: 0,
    unavailable: 0,
    maxLatencyMs: 0,
  };
  let next = 0;
  const worker = async () => {
    while (next < opts.requests) {
      const req = requestFor(ops, opts.token, opts.seed, next++);
      const a = await send(url, req, agent);
      const sample = (): FuzzSample => ({
        op: req.op,
        kind: req.kind,
        method: req.method,
        path: req.path.slice(0, 160),
        sent: req.body?.subarray(0, 300).toString('utf8') ?? '',
        status: a.status,
        ms: Math.round(a.ms),
        body: a.body.slice(0, 300),
      });
      report.requests++;
      if (a.held) {
        report.held++;
        continue;
      }
      const key = a.status > 0 ? String(a.status) : 'no-answer';
      report.statuses[key] = (report.statuses[key] ?? 0) + 1;
      report.maxLatencyMs = Math.max(report.maxLatencyMs, Math.round(a.ms));
      if (a.status === 503 && opts.allowUnavailable?.test(req.op) && errorCode(a.body) === 'UNAVAILABLE') report.unavailable++;
      else if (a.status >= 500 || a.status <= 0) {
        report.serverErrors++;
        if (report.serverErrorSamples.length < SAMPLES) report.serverErrorSamples.push(sample());
      }
      if (a.ms > SLOW_MS) {
        report.slow++;
        if (report.slowSamples.length < SAMPLES) report.slowSamples.push(sample());
      }
      if (a.status >= 400 && a.status < 500 && !fromNodeParser(a) && !hasErrorShape(a.body)) {
        report.shapeless++;
        if (report.shapelessSamples.length < SAMPLES) report.shapelessSamples.push(sample());
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  } finally {
    agent.destroy();
  }
  return report;
}
