// Private images end to end without a lab: the controller (in process, on a loopback port) is the
// token authority of a real registry process with auth on; the agent's ImageService pulls with
// what a task would carry — nothing, a user's password, or the controller's pull token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { freePort, pushBusybox, registryMissingReason, startRegistry, type RegistryProcess } from '../fixtures/registry-process.js';
import { createControllerApp } from '../../apps/controller/src/bootstrap.js';
import { BerthConfig } from '../../apps/controller/src/config/berth-config.js';
import { PullAuthResolver } from '../../apps/controller/src/dispatcher/pull-auth.js';
import { ImageService, type PullProgress } from '../../apps/agent/src/images/image-service.js';

const TOKEN = 'private-pull-token-0123456789';
const missing = registryMissingReason();
let db: TestDatabase;
let app: INestApplication;
let reg: RegistryProcess;
let dir: string;
let api: string;
let image: string;

async function call(method: string, p: string, body?: unknown): Promise<Response> {
  return fetch(`${api}/api${p}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
}

before(async () => {
  if (missing) return;
  dir = await mkdtemp(path.join(tmpdir(), 'private-pull-'));
  db = await createTestDatabase();
  // The registry's address must be known to the controller before it starts: reserve it first.
  const ctlPort = await freePort();
  api = `http://127.0.0.1:${ctlPort}`;
  reg = await startRegistry(dir, ['--auth-realm', `${api}/api/registry/token`, '--auth-service', 'berth-registry', '--auth-issuer', 'berth-controller', '--auth-jwks', `${api}/api/registry/jwks`]);
  app = await createControllerApp(
    new BerthConfig({
      BERTH_DATABASE_URL: db.url,
      BERTH_QUEUE_PREFIX: db.prefix,
      BERTH_GRPC_PORT: '0',
      BERTH_ADMIN_TOKEN: TOKEN,
      BERTH_STATE_DIR: path.join(dir, 'controller'),
      BERTH_ADVERTISE_ADDR: '127.0.0.1',
      BERTH_REGISTRY: reg.host,
    }),
  );
  await app.listen(ctlPort, '127.0.0.1');
  const admin = await fetch(`${api}/api/registry/token?service=berth-registry&scope=repository:team/private:pull,push`, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
  });
  image = await pushBusybox(reg, dir, 'team/private', 'v1', ((await admin.json()) as { token: string }).token);
  assert.equal((await call('POST', '/registry/users', { name: 'alice', password: 'wonderland' })).status, 201);
  assert.equal((await call('PUT', '/registry/repositories/team%2Fprivate/grants/alice', { actions: ['pull'] })).status, 204);
});

after(async () => {
  await app?.close();
  await reg?.stop();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function freshImages(name: string): Promise<ImageService> {
  return new ImageService(path.join(dir, name), [reg.host]);
}

test('anonymous pull of a private image is denied with a clear message', { skip: missing }, async () => {
  const svc = await freshImages('anon');
  await assert.rejects(svc.ensure(image), /denied pulling team\/private anonymously/);
});

test("a registry user's password pulls it, reporting per-layer progress", { skip: missing }, async () => {
  const svc = await freshImages('alice');
  const events: PullProgress[] = [];
  const img = await svc.ensure(image, { auth: { username: 'alice', password: 'wonderland', bearerToken: '' }, onProgress: (p) => events.push(p) });
  assert.equal(img.layerDirs.length, 1);
  assert.deepEqual([...new Set(events.map((e) => e.phase))], ['waiting', 'downloading', 'extracting', 'done']);
  const last = events.filter((e) => e.phase === 'downloading').at(-1)!;
  assert.equal(last.current, last.total);
  await assert.rejects((await freshImages('wrong')).ensure(image, { auth: { username: 'alice', password: 'nope-nope', bearerToken: '' } }), /refused the credentials \(HTTP 401\)/);
});

test("the controller's pull token for the task's repository pulls it, and only it", { skip: missing }, async () => {
  const auth = (await app.get(PullAuthResolver, { strict: false }).forImages([image])).get(image)!;
  assert.ok(auth.bearerToken);
  const img = await (await freshImages('task')).ensure(image, { auth });
  assert.ok(img.manifestDigest.startsWith('sha256:'));
  await assert.rejects((await freshImages('other')).ensure(`${reg.host}/team/other:v1`, { auth }), /denied/);
});

test('made public, it pulls anonymously', { skip: missing }, async () => {
  assert.equal((await call('PUT', '/registry/repositories/team%2Fprivate/visibility', { visibility: 'public' })).status, 200);
  const img = await (await freshImages('public')).ensure(image);
  assert.equal(img.layerDirs.length, 1);
});
