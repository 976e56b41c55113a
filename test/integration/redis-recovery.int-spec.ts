// Redis restarting empty under a running controller (issue 11, finding 2 and part of 7): the
// API answers while Redis is down, and once Redis is back the controller re-creates its job
// schedulers, so node failures are detected and the work queued meanwhile is done.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import pg from 'pg';
import type { INestApplication } from '@nestjs/common';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startRedisServer, type RedisServer } from '../fixtures/redis-server.js';
import { createControllerApp } from '../../apps/controller/src/bootstrap.js';
import { BerthConfig } from '../../apps/controller/src/config/berth-config.js';
import { waitFor } from '../lab/sh.js';

const TOKEN = 'redis-recovery-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let db: TestDatabase;
let redis: RedisServer;
let app: INestApplication;
let server: Parameters<typeof request>[0];

async function sql(q: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(q, params)).rows;
  } finally {
    await c.end();
  }
}

const addNode = (id: string, heartbeat: string) =>
  sql(`INSERT INTO "Node" (id, hostname, status, "lastHeartbeatAt", "updatedAt") VALUES ($1, $1, 'ready', (now() AT TIME ZONE 'UTC') + $2::interval, now())`, [id, heartbeat]);
const nodeStatus = async (id: string) => (await request(server).get(`/api/nodes/${id}`).set(auth)).body.status as string;

before(async () => {
  db = await createTestDatabase();
  redis = await startRedisServer(`/tmp/${db.prefix}-redis`);
  app = await createControllerApp(
    new BerthConfig({
      BERTH_DATABASE_URL: db.url,
      BERTH_REDIS_URL: redis.url,
      BERTH_QUEUE_PREFIX: db.prefix,
      BERTH_GRPC_PORT: '0',
      BERTH_ADMIN_TOKEN: TOKEN,
      BERTH_STATE_DIR: `/tmp/${db.prefix}`,
      BERTH_ADVERTISE_ADDR: '127.0.0.1',
      BERTH_NODE_DOWN_MS: '1500',
      BERTH_HEARTBEAT_MS: '500',
      BERTH_REGISTRY: '127.0.0.1:1',
    }),
  );
  server = app.getHttpServer();
});

after(async () => {
  await app?.close();
  await redis?.stop();
  await db?.drop();
});

test('node failures are detected before Redis restarts', async () => {
  for (const id of ['nodeokaaaaaaaaaaaaaaaaaaa', 'nodeokbbbbbbbbbbbbbbbbbbb']) await addNode(id, '1 hour');
  await addNode('nodesilentaaaaaaaaaaaaaaa', '-1 minute');
  await waitFor('the silent node down', async () => (await nodeStatus('nodesilentaaaaaaaaaaaaaaa')) === 'down', 15_000);
});

test('with Redis down, creating and scaling a service answers at once; the work is done once Redis is back', async () => {
  await redis.kill();
  const t0 = Date.now();
  const created = await request(server).post('/api/services').set(auth).send({ name: 'web', image: 'busybox', replicas: 2 }).timeout(10_000);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const scaled = await request(server).patch('/api/services/web').set(auth).send({ replicas: 4 }).timeout(10_000);
  assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
  assert.ok(Date.now() - t0 < 6_000, `the API took ${Date.now() - t0} ms with Redis down`);
  assert.equal((await request(server).get('/api/services/web').set(auth)).body.replicas, 4);

  await redis.start();
  // Redis came back empty: the schedulers must be re-created (checked every 5 s), and reconcile-all
  // then creates the service's tasks, which were never queued.
  const tasks = await waitFor(
    '4 tasks for web',
    async () => {
      const r = await request(server).get('/api/services/web/tasks').set(auth);
      return r.body.length === 4 ? r.body : undefined;
    },
    20_000,
  );
  assert.equal(tasks.length, 4);
});

test('after Redis restarted empty, a node that goes silent is still marked down', async () => {
  await sql(`UPDATE "Node" SET "lastHeartbeatAt" = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE id = 'nodeokaaaaaaaaaaaaaaaaaaa'`);
  await waitFor('node okaaa down', async () => (await nodeStatus('nodeokaaaaaaaaaaaaaaaaaaa')) === 'down', 20_000);
  assert.equal(await nodeStatus('nodeokbbbbbbbbbbbbbbbbbbb'), 'ready');
});
