/**
 * REST fuzz at scale: a controller process of its own (fresh database,
 * Redis prefix and registry; no lab, no agents) takes a warm-up and then
 * BERTH_FUZZ_REQUESTS (default 100,000) seeded fuzz requests driven by its
 * OpenAPI document (test/fuzz/rest-cases.ts). Prints one JSON line:
 * requests, 5xx, slow (over 5 s), max latency and the controller's RSS
 * growth over the run. Exits non-zero when any 5xx or slow answer was seen.
 */
import { startControllerProcess } from '../test/fixtures/controller-process.js';
import { FUZZ_CONTROLLER_ARGS, runRestFuzz } from '../test/fuzz/rest-cases.js';
import { rssMb } from './common.js';

const REQUESTS = Number(process.env.BERTH_FUZZ_REQUESTS ?? 100_000);
const SEED = Number(process.env.BERTH_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WARM_UP = Math.min(2_000, REQUESTS);
const NEEDS_AGENT = /^(ImagesController_pull|ImagesController_prune|BuildsController_build)$/;

async function main(): Promise<void> {
  const target = await startControllerProcess({}, FUZZ_CONTROLLER_ARGS);
  try {
    const opts = { baseUrl: target.baseUrl, token: target.token, seed: SEED, allowUnavailable: NEEDS_AGENT };
    await runRestFuzz({ ...opts, requests: WARM_UP });
    const before = await rssMb(target.pid);
    const t0 = performance.now();
    const r = await runRestFuzz({ ...opts, requests: REQUESTS });
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((res) => setTimeout(res, 1_000));
    const after = await rssMb(target.pid);
    console.log(
      JSON.stringify({
        bench: 'fuzz',
        seed: SEED,
        requests: r.requests,
        requests_per_s: Math.round(r.requests / seconds),
        server_errors_5xx: r.serverErrors,
        slow_over_5s: r.slow,
        shapeless_4xx: r.shapeless,
        unavailable_503_no_agent: r.unavailable,
        max_latency_ms: r.maxLatencyMs,
        rss_before_mb: before,
        rss_after_mb: after,
        rss_growth_pct: Math.round(((after - before) / before) * 1000) / 10,
        statuses: r.statuses,
        controller_node_args: FUZZ_CONTROLLER_ARGS.join(' '),
      }),
    );
    if (r.serverErrors || r.slow) {
      console.error(JSON.stringify({ serverErrorSamples: r.serverErrorSamples, slowSamples: r.slowSamples }, null, 1));
      process.exitCode = 1;
    }
  } finally {
    await target.stop();
  }
}

void main();
