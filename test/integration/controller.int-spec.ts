// The controller app on the real Postgres and Redis, driven over HTTP with supertest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import pg from 'pg';
import { controllerApp } from '../fixtures/controller-app.js';
import { createControllerApp } from '../../apps/controller/src/bootstrap.js';
import { BerthConfig } from '../../apps/controller/src/config/berth-config.js';
import { waitFor } from '../lab/sh.js';
import { TaskStore, type StatusReport } from '../../apps/controller/src/store/store.module.js';
import { TaskState } from '#libs/common';

const TOKEN = 'integration-token-0123456789';
const ctl = controllerApp(TOKEN, { BERTH_NODE_DOWN_MS: '1500', BERTH_HEARTBEAT_MS: '500' });
const { auth } = ctl;

async function sql<T = Record<string, unknown>>(q: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: ctl.db.url });
  await c.connect();
  try {
    return (await c.query(q, params)).rows as T[];
  } finally {
    await c.end();
  }
}

test('every request needs a valid bearer token', async () => {
  assert.equal((await request(ctl.server).get('/api/nodes')).status, 401);
  const bad = await request(ctl.server).get('/api/nodes').set({ authorization: 'Bearer nope' });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.error.code, 'UNAUTHORIZED');
  assert.equal((await request(ctl.server).get('/api/openapi.json')).status, 200);
});

test('bad input is a 400 naming each field, never a 500', async () => {
  const r = await request(ctl.server).post('/api/services').set(auth).send({ name: '-bad', image: 'a b', replicas: 'x', extra: 1 });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), ['extra', 'image', 'name', 'replicas']);
  const json = await request(ctl.server)
    .post('/api/services')
    .set({ ...auth, 'content-type': 'application/json' })
    .send('{oops');
  assert.equal(json.status, 400);
  assert.match(json.body.error.message, /not valid JSON/);
  const img = await request(ctl.server).post('/api/containers').set(auth).send({ image: 'UPPER/Case' });
  assert.equal(img.status, 400);
  assert.equal(img.body.error.details[0].field, 'image');
  assert.equal((await request(ctl.server).get('/api/services/unknown').set(auth)).status, 404);
  const images = await request(ctl.server).get('/api/images').set(auth);
  assert.equal(images.status, 503, 'nothing listens on port 1');
  assert.match(images.body.error.message, /registry 127\.0\.0\.1:1 unreachable/);
});

test('with no nodes, tasks wait with an explanation; ready nodes get them spread', async () => {
  const created = await request(ctl.server).post('/api/services').set(auth).send({ name: 'web', image: 'busybox', replicas: 6 });
  assert.equal(created.status, 201);
  assert.equal(created.body.image, '127.0.0.1:1/library/busybox:latest');
  assert.equal((await request(ctl.server).post('/api/services').set(auth).send({ name: 'web', image: 'busybox', replicas: 1 })).status, 409);
  const pending = await waitFor(
    '6 pending tasks',
    async () => {
      const r = await request(ctl.server).get('/api/services/web/tasks').set(auth);
      return r.body.length === 6 && r.body.every((t: { state: string }) => t.state === 'pending') ? r.body : undefined;
    },
    15_000,
  );
  assert.match(pending[0].message, /no suitable node/);
  for (const id of ['nodeaaaaaaaaaaaaaaaaaaaaa', 'nodebbbbbbbbbbbbbbbbbbbbb']) {
    await sql(`INSERT INTO "Node" (id, hostname, status, "lastHeartbeatAt", "updatedAt") VALUES ($1, $1, 'ready', now() + interval '1 hour', now())`, [id]);
  }
  const placed = await waitFor(
    '6 assigned tasks',
    async () => {
      const r = await request(ctl.server).get('/api/services/web/tasks').set(auth);
      return r.body.every((t: { state: string }) => t.state === 'assigned') ? r.body : undefined;
    },
    15_000,
  );
  const per: Record<string, number> = {};
  for (const t of placed) per[t.nodeId] = (per[t.nodeId] ?? 0) + 1;
  assert.deepEqual(Object.values(per), [3, 3]);
});

test('scaling down marks the extra tasks for shutdown; a silent node is marked down and its tasks replaced', async () => {
  assert.equal((await request(ctl.server).patch('/api/services/web').set(auth).send({ replicas: 2 })).status, 200);
  await waitFor(
    '4 tasks desired shutdown',
    async () => {
      const r = await request(ctl.server).get('/api/services/web/tasks?all=true').set(auth);
      return r.body.filter((t: { desiredState: string }) => t.desiredState === 'shutdown').length === 4;
    },
    15_000,
  );
  await sql(`UPDATE "Node" SET "lastHeartbeatAt" = now() - interval '1 minute' WHERE id = 'nodeaaaaaaaaaaaaaaaaaaaaa'`);
  await waitFor('node a down', async () => (await request(ctl.server).get('/api/nodes/nodeaaaaaaaaaaaaaaaaaaaaa').set(auth)).body.status === 'down', 15_000);
  const live = await waitFor(
    '2 live tasks on node b',
    async () => {
      const r = await request(ctl.server).get('/api/services/web/tasks').set(auth);
      return r.body.length === 2 && r.body.every((t: { nodeId: string }) => t.nodeId === 'nodebbbbbbbbbbbbbbbbbbbbb') ? r.body : undefined;
    },
    15_000,
  );
  assert.deepEqual(live.map((t: { slot: number }) => t.slot).sort(), [1, 2]);
});

test('two controller replicas scaling the same service at once create no duplicate slots', async () => {
  const second = await createControllerApp(
    new BerthConfig({
      BERTH_DATABASE_URL: ctl.db.url,
      BERTH_QUEUE_PREFIX: ctl.db.prefix,
      BERTH_GRPC_PORT: '0',
      BERTH_STATE_DIR: `/tmp/${ctl.db.prefix}-2`,
      BERTH_ADVERTISE_ADDR: '127.0.0.1',
    }),
  );
  try {
    const s2 = second.getHttpServer();
    await Promise.all(
      [10, 12, 14, 16].map((n, i) =>
        request(i % 2 ? s2 : ctl.server)
          .patch('/api/services/web')
          .set(auth)
          .send({ replicas: n }),
      ),
    );
    await request(ctl.server).patch('/api/services/web').set(auth).send({ replicas: 16 });
    const tasks = await waitFor(
      '16 live slots',
      async () => {
        const r = await request(s2).get('/api/services/web/tasks').set(auth);
        return r.body.length === 16 ? r.body : undefined;
      },
      20_000,
    );
    assert.deepEqual(
      tasks.map((t: { slot: number }) => t.slot).sort((a: number, b: number) => a - b),
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    const events = await sql<{ n: string }>(`SELECT count(*) AS n FROM "TaskEvent"`);
    assert.ok(Number(events[0].n) > 16, 'transitions are recorded as events');
  } finally {
    await second.close();
  }
});

test('agent status reports move tasks forward only, keeping exit code and address once known', async () => {
  const tasks = ctl.app.get(TaskStore);
  await sql(`INSERT INTO "Node" (id, hostname, status, "lastHeartbeatAt", "updatedAt") VALUES ('nodereportsaaaaaaaaaaaaa', 'reports', 'ready', now() + interval '1 hour', now())`);
  await sql(
    `INSERT INTO "Task" (id, "nodeId", image, command, env, "desiredState", state, "updatedAt") VALUES
    ('taskreport1', 'nodereportsaaaaaaaaaaaaa', 'busybox', '{}', '{}', $1, $2, now()),
    ('taskreport2', 'nodereportsaaaaaaaaaaaaa', 'busybox', '{}', '{}', $1, $2, now()),
    ('taskforeign', 'nodebbbbbbbbbbbbbbbbbbbbb', 'busybox', '{}', '{}', $1, $2, now())`,
    [TaskState.RUNNING, TaskState.ASSIGNED],
  );
  const at = new Date('2026-01-02T03:04:05.678Z');
  const r = (taskId: string, state: number, extra: Partial<StatusReport> = {}): StatusReport => ({ taskId, state, message: '', error: '', address: '', at, ...extra });
  const out = await tasks.applyReports('nodereportsaaaaaaaaaaaaa', [
    r('taskreport1', TaskState.STARTING, { address: '10.1.2.3' }),
    r('taskreport1', TaskState.RUNNING),
    r('taskreport2', TaskState.RUNNING),
    r('taskreport2', TaskState.FAILED, { exitCode: 3, error: 'exit status 3' }),
    r('taskreport2', TaskState.STARTING),
    r('taskforeign', TaskState.RUNNING),
  ]);
  assert.equal(out.changed, 4);
  const rows = await sql<{ id: string; state: number; address: string; exitCode: number | null; error: string; statusAt: Date; version: number }>(
    `SELECT id, state, address, "exitCode", error, "statusAt", version FROM "Task" WHERE id LIKE 'task%' ORDER BY id`,
  );
  assert.deepEqual(
    rows.map((x) => [x.id, x.state, x.address, x.exitCode, x.error, x.version]),
    [
      ['taskforeign', TaskState.ASSIGNED, '', null, '', 1],
      ['taskreport1', TaskState.RUNNING, '10.1.2.3', null, '', 2],
      ['taskreport2', TaskState.FAILED, '', 3, 'exit status 3', 2],
    ],
  );
  assert.equal((await sql<{ at: string }>(`SELECT "statusAt"::text AS at FROM "Task" WHERE id = 'taskreport1'`))[0].at, '2026-01-02 03:04:05.678');
  // A later batch without address or exit code keeps the ones stored.
  await tasks.applyReports('nodereportsaaaaaaaaaaaaa', [r('taskreport1', TaskState.COMPLETE, { exitCode: 0 })]);
  await tasks.applyReports('nodereportsaaaaaaaaaaaaa', [r('taskreport1', TaskState.SHUTDOWN)]);
  const after1 = await sql<{ state: number; address: string; exitCode: number }>(`SELECT state, address, "exitCode" FROM "Task" WHERE id = 'taskreport1'`);
  assert.deepEqual(after1[0], { state: TaskState.COMPLETE, address: '10.1.2.3', exitCode: 0 }, 'nothing moves a task out of a terminal state');
  const events = await sql<{ n: string }>(`SELECT count(*) AS n FROM "TaskEvent" WHERE "taskId" LIKE 'taskreport%'`);
  assert.equal(Number(events[0].n), 5);
});

test('a container is renamed by id or name; a taken name is a 409, a bad one a 400, an unknown container a 404', async () => {
  const a = (await request(ctl.server).post('/api/containers').set(auth).send({ image: 'busybox', name: 'old-name' }).expect(201)).body;
  await request(ctl.server).post('/api/containers').set(auth).send({ image: 'busybox', name: 'taken' }).expect(201);
  const renamed = await request(ctl.server).post('/api/containers/old-name/rename').set(auth).send({ name: 'new-name' }).expect(200);
  assert.deepEqual([renamed.body.id, renamed.body.name], [a.id, 'new-name']);
  assert.equal((await request(ctl.server).get('/api/containers/new-name').set(auth).expect(200)).body.id, a.id);
  await request(ctl.server).get('/api/containers/old-name').set(auth).expect(404);
  const taken = await request(ctl.server).post(`/api/containers/${a.id}/rename`).set(auth).send({ name: 'taken' }).expect(409);
  assert.match(taken.body.error.message, /container name "taken" is already in use/);
  const bad = await request(ctl.server).post(`/api/containers/${a.id}/rename`).set(auth).send({ name: '-x' }).expect(400);
  assert.equal(bad.body.error.details[0].field, 'name');
  await request(ctl.server).post('/api/containers/no-such/rename').set(auth).send({ name: 'z' }).expect(404);
});
