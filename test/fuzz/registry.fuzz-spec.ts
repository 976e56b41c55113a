// Registry fuzzer (issue 11): the real registry process, with token auth on, gets a seeded
// stream of hostile requests (test/fuzz/registry-cases.ts). Pass: no 5xx, every request answered
// within 5 s, the process alive and serving a normal push and pull afterwards, and nothing
// written outside its root. BERTH_FUZZ_SEED replays a run; BERTH_FUZZ_REQUESTS sets its length.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registryMissingReason } from '../fixtures/registry-process.js';
import { tail } from '../lab/proc.js';
import { pushPullRoundTrip, runRegistryFuzz } from './registry-fuzz.js';
import { startFuzzRegistry, type FuzzRegistry } from './registry-harness.js';
import { CANARY } from './hostile-values.js';

const SEED = process.env.BERTH_FUZZ_SEED ? Number(process.env.BERTH_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const REQUESTS = Number(process.env.BERTH_FUZZ_REQUESTS ?? 1000);
const skip = registryMissingReason();

let dir: string;
let fz: FuzzRegistry;

/** tree: every path under dir (but skipped ones) with its content hash. */
async function tree(d: string, skipped: Set<string>): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (skipped.has(p)) continue;
    if (e.isDirectory()) out.push(`${p}/`, ...(await tree(p, skipped)));
    else
      out.push(
        `${p} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`,
      );
  }
  return out.sort();
}

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(tmpdir(), 'registry-fuzz-'));
  await mkdir(path.join(dir, 'outside'));
  await writeFile(path.join(dir, 'outside', 'keep'), 'untouched');
  fz = await startFuzzRegistry(dir);
});

after(async () => {
  await fz?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test(`registry fuzz: ${REQUESTS} hostile requests, seed ${SEED} (replay with BERTH_FUZZ_SEED=${SEED})`, { skip }, async () => {
  console.log(`registry fuzz: seed ${SEED}, ${REQUESTS} requests`);
  const skipped = new Set([path.join(dir, 'registry'), path.join(dir, 'registry.log')]);
  const before = await tree(dir, skipped);
  const r = await runRegistryFuzz({ requests: REQUESTS, seed: SEED, baseUrl: fz.baseUrl, auth: fz.auth });
  console.log(JSON.stringify({ seed: r.seed, sent: r.sent, by_status: r.byStatus, failures: r.failures.length, duration_ms: r.durationMs }));
  for (const f of r.failures.slice(0, 20)) console.log(`  ${f.method} ${f.path} [${f.label}]: ${f.problem}`);
  assert.equal(fz.reg.proc.child.exitCode, null, `the registry exited:\n${tail(fz.reg.proc)}`);
  assert.deepEqual(r.failures, [], `seed ${SEED}: ${r.failures.length} request(s) got a 5xx or no answer within 5 s`);
  await pushPullRoundTrip(fz.baseUrl, fz.auth.token);
  assert.deepEqual(await tree(dir, skipped), before, 'nothing written next to the registry root');
  for (const p of [path.join(dir, CANARY), path.join(tmpdir(), CANARY), path.join('/', CANARY)]) await assert.rejects(stat(p), /ENOENT/, `${p} must not exist`);
  const log = await readFile(path.join(dir, 'registry.log'), 'utf8');
  assert.doesNotMatch(log, /internal error|Error:|at .*\.js:\d+/, 'no internal error logged');
});
