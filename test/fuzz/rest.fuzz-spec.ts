/**
 * REST fuzz: a real controller process (own database, Redis prefix and
 * registry; no agents) takes a warm-up and then two identical seeded runs
 * of fuzz requests driven by its OpenAPI document. Pass: no 5xx, no answer
 * slower than 5 s, every 4xx in the API's error shape, the second run
 * grows the controller's RSS by under 10 %, and normal requests still work.
 * BERTH_FUZZ_SEED repeats a run (the seed is printed); BERTH_FUZZ_REQUESTS
 * sets the requests per run (default 1,000).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startControllerProcess } from '../fixtures/controller-process.js';
import { FUZZ_CONTROLLER_ARGS, runRestFuzz, type FuzzReport } from './rest-cases.js';

const SEED = Number(process.env.BERTH_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REQUESTS = Number(process.env.BERTH_FUZZ_REQUESTS ?? 1_000);
/** Without agents these need a ready node and answer 503 UNAVAILABLE, as they should. */
const NEEDS_AGENT = /^(ImagesController_pull|ImagesController_prune|BuildsController_build)$/;
const MAX_RSS_GROWTH = 0.1;
/** rssKb: the controller's resident set, read after a short pause so answers in flight have settled. */
async function rssKb(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 1_000));
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

function summary(r: FuzzReport): string {
  return JSON.stringify({ statuses: r.statuses, serverErrors: r.serverErrors, slow: r.slow, shapeless: r.shapeless, held: r.held, unavailable: r.unavailable, maxLatencyMs: r.maxLatencyMs });
}

/** loggedErrors: the controller's ERROR log entries (with their stacks), to explain a 5xx. */
async function loggedErrors(logFile: string): Promise<string> {
  const log = (await readFile(logFile, 'utf8').catch(() => '')).split('\n');
  const at = log.findIndex((l) => / ERROR /.test(l));
  return at < 0 ? '(none logged)' : log.slice(at, at + 40).join('\n');
}

function assertClean(r: FuzzReport, run: string, errors: string): void {
  assert.equal(r.requests, REQUESTS);
  assert.equal(r.serverErrors, 0, `${run}: 5xx answers (seed ${SEED}):\n${JSON.stringify(r.serverErrorSamples, null, 1)}\ncontroller log:\n${errors}`);
  assert.equal(r.slow, 0, `${run}: answers over 5 s (seed ${SEED}):\n${JSON.stringify(r.slowSamples, null, 1)}`);
  assert.equal(r.shapeless, 0, `${run}: 4xx answers not in the error shape (seed ${SEED}):\n${JSON.stringify(r.shapelessSamples, null, 1)}`);
}

test(`REST fuzz, seed ${SEED}, ${REQUESTS} requests per run`, async () => {
  console.log(`# BERTH_FUZZ_SEED=${SEED} BERTH_FUZZ_REQUESTS=${REQUESTS}`);
  const target = await startControllerProcess({}, FUZZ_CONTROLLER_ARGS);
  try {
    const opts = { baseUrl: target.baseUrl, token: target.token, seed: SEED, requests: REQUESTS, allowUnavailable: NEEDS_AGENT };
    // Warm-up: the same requests once, so lazily built code paths, pools and caches exist before measuring.
    await runRestFuzz(opts);
    const before = await rssKb(target.pid);
    const first = await runRestFuzz(opts);
    const between = await rssKb(target.pid);
    const second = await runRestFuzz(opts);
    const after = await rssKb(target.pid);
    const growth = (after - between) / between;
    console.log(`# first run ${summary(first)}`);
    console.log(`# second run ${summary(second)}`);
    console.log(`# controller RSS ${before} -> ${between} -> ${after} kB (second run ${(growth * 100).toFixed(1)} %)`);
    const errors = await loggedErrors(target.proc.logFile);
    assertClean(first, 'first run', errors);
    assertClean(second, 'second run', errors);
    assert.ok(growth < MAX_RSS_GROWTH, `the second run grew the controller's RSS by ${(growth * 100).toFixed(1)} % (${between} -> ${after} kB)`);

    // The controller still serves ordinary requests.
    const headers = { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' };
    assert.equal((await fetch(`${target.baseUrl}/api/info`, { headers })).status, 200);
    const created = await fetch(`${target.baseUrl}/api/services`, { method: 'POST', headers, body: JSON.stringify({ name: 'after-fuzz', image: 'busybox', replicas: 1 }) });
    assert.equal(created.status, 201, await created.text());
    assert.equal((await fetch(`${target.baseUrl}/api/services/after-fuzz`, { headers })).status, 200);
    assert.equal((await fetch(`${target.baseUrl}/api/services/after-fuzz`, { method: 'DELETE', headers })).status, 204);
  } finally {
    await target.stop();
  }
});
