/**
 * Registry fuzz, long: the registry fuzzer of test/fuzz (same cases, same
 * pass criteria) for BERTH_FUZZ_REQUESTS requests (default 100,000) with
 * BERTH_FUZZ_CONCURRENCY in flight (default 4), seed BERTH_FUZZ_SEED or
 * random. Prints one JSON line; exits 1 on any 5xx, request without an
 * answer within 5 s, registry exit, or failed push/pull afterwards.
 * bench/fuzz.ts may instead import runRegistryFuzz and startFuzzRegistry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFuzzRegistry } from '../test/fuzz/registry-harness.js';
import { pushPullRoundTrip, runRegistryFuzz } from '../test/fuzz/registry-fuzz.js';

async function main(): Promise<void> {
  const requests = Number(process.env.BERTH_FUZZ_REQUESTS ?? 100_000);
  const seed = process.env.BERTH_FUZZ_SEED ? Number(process.env.BERTH_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  const concurrency = Number(process.env.BERTH_FUZZ_CONCURRENCY ?? 4);
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-fuzz-registry-'));
  const fz = await startFuzzRegistry(dir);
  let ok: boolean;
  try {
    const r = await runRegistryFuzz({ requests, seed, concurrency, baseUrl: fz.baseUrl, auth: fz.auth, onProgress: (n) => n % 10_000 === 0 && process.stderr.write(`${n} requests\n`) });
    const alive = fz.reg.proc.child.exitCode === null;
    const roundTrip = alive
      ? await pushPullRoundTrip(fz.baseUrl, fz.auth.token).then(
          () => 'ok',
          (e: Error) => e.message,
        )
      : 'registry exited';
    ok = alive && roundTrip === 'ok' && r.failures.length === 0;
    console.log(
      JSON.stringify({
        bench: 'fuzz-registry',
        seed,
        requests: r.sent,
        concurrency,
        duration_s: Math.round(r.durationMs / 100) / 10,
        by_status: r.byStatus,
        failures: r.failures.length,
        first_failures: r.failures.slice(0, 10),
        registry_alive: alive,
        push_pull_after: roundTrip,
        pass: ok,
      }),
    );
  } finally {
    await fz.stop();
    await rm(dir, { recursive: true, force: true });
  }
  process.exit(ok ? 0 : 1);
}

void main();
