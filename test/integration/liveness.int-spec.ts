// Liveness and sessions on the real Postgres and Redis (issue 11, findings 1 and 7): node
// silence judged on the database's clock, a touch winning over a mark-down, the forward-only
// rule holding inside the UPDATE when another writer changed the row meanwhile, and an older
// session of a node ended when the node opens a newer one on another replica.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { controllerApp } from '../fixtures/controller-app.js';
import { waitFor } from '../lab/sh.js';
import { LivenessStore, TaskStore, type StatusReport } from '../../apps/controller/src/store/store.module.js';
import { NodeRouter, type LocalSession } from '../../apps/controller/src/dispatcher/node-router.js';
import { BerthConfig } from '../../apps/controller/src/config/berth-config.js';
import { TaskState } from '#libs/common';

const ctl = controllerApp('liveness-token-0123456789', { BERTH_NODE_DOWN_MS: '60000', BERTH_HEARTBEAT_MS: '1000' });

async function sql(q: string, params: unknown[] = [], client?: pg.Client): Promise<Array<Record<string, unknown>>> {
  if (client) return (await client.query(q, params)).rows;
  const c = new pg.Client({ connectionString: ctl.db.url });
  await c.connect();
  try {
    return (await c.query(q, params)).rows;
  } finally {
    await c.end();
  }
}

test('silence is measured on the database clock, and a touch that comes first wins over marking down', async () => {
  const live = ctl.app.get(LivenessStore);
  await sql(`INSERT INTO "Node" (id, hostname, status, "lastHeartbeatAt", "updatedAt") VALUES
    ('nodelivefresh', 'fresh', 'ready', (now() AT TIME ZONE 'UTC') - interval '1 second', now()),
    ('nodelivequiet', 'quiet', 'ready', (now() AT TIME ZONE 'UTC') - interval '30 seconds', now()),
    ('nodelivegone', 'gone', 'down', (now() AT TIME ZONE 'UTC') - interval '1 hour', now())`);
  // (The app's own health check marks nodes down after 60 s: these stay below that.)
  const s = await live.silence(20_000);
  assert.deepEqual([s.total, s.down], [3, 1]);
  assert.deepEqual(
    s.silent.map((n) => n.id),
    ['nodelivequiet'],
  );
  assert.ok(s.silent[0].silentMs >= 29_000 && s.silent[0].silentMs < 60_000, `silent for ${s.silent[0].silentMs} ms`);

  // The agent speaks between the health check's read and its write: the node stays ready.
  assert.deepEqual(await live.touch('replica-a', ['nodelivequiet']), []);
  assert.deepEqual(await live.markDown(['nodelivequiet'], 20_000, 'test'), []);
  assert.deepEqual(await live.markDown(['nodelivefresh'], 500, 'test'), ['nodelivefresh']);
  // A touch brings a down node back and says so.
  assert.deepEqual((await live.touch('replica-a', ['nodelivefresh', 'nodelivegone', 'nodelivequiet'])).sort(), ['nodelivefresh', 'nodelivegone']);
  const rows = await sql(`SELECT id, status, "statusMessage", "sessionReplica" FROM "Node" WHERE id LIKE 'nodelive%' ORDER BY id`);
  assert.deepEqual(
    rows.map((r) => [r.id, r.status, r.statusMessage, r.sessionReplica]),
    [
      ['nodelivefresh', 'ready', '', 'replica-a'],
      ['nodelivegone', 'ready', '', 'replica-a'],
      ['nodelivequiet', 'ready', '', 'replica-a'],
    ],
  );
});

test("a node's silence counts only once its session's replica has run past it, or is gone", async () => {
  const live = ctl.app.get(LivenessStore);
  const at = (ago: string) => `(now() AT TIME ZONE 'UTC') - interval '${ago}'`;
  await sql(`INSERT INTO "ControllerReplica" (id, "lastFlushAt", "prevFlushAt") VALUES
    ('replica-stalled', ${at('30 seconds')}, ${at('31 seconds')}), ('replica-gone', ${at('2 minutes')}, ${at('2 minutes')})`);
  await sql(`INSERT INTO "Node" (id, hostname, status, "lastHeartbeatAt", "sessionReplica", "updatedAt") VALUES
    ('nodestallA', 'a', 'ready', ${at('30 seconds')}, 'replica-stalled', now()),
    ('nodestallB', 'b', 'ready', ${at('2 minutes')}, 'replica-gone', now())`);
  const silentIds = async () => (await live.silence(20_000)).silent.map((n) => n.id).filter((id) => id.startsWith('nodestall'));
  // replica-stalled has not flushed since it last heard from A: A's silence is its replica's stall.
  // replica-gone has not flushed for two minutes (over 3 node-down periods): B's silence counts.
  assert.deepEqual(await silentIds(), ['nodestallB']);
  // replica-stalled's flush comes through, late, without A: it may be a batch taken before the
  // stall (a frozen database held it), so A does not count yet. A session starting on the
  // replica is no flush. The next flush without A is one taken after the late one ran: A counts.
  await live.touch('replica-stalled', []);
  await live.touch('replica-stalled', ['nodestallnew'], false);
  assert.deepEqual(await silentIds(), ['nodestallB']);
  await live.touch('replica-stalled', []);
  assert.deepEqual((await silentIds()).sort(), ['nodestallA', 'nodestallB']);
  await sql(`DELETE FROM "Node" WHERE id LIKE 'nodestall%'`);
});

test('a report read against an older row cannot move a task back: the guard is in the UPDATE', async () => {
  const tasks = ctl.app.get(TaskStore);
  await sql(`INSERT INTO "Node" (id, hostname, status, "updatedAt") VALUES ('nodeguard', 'guard', 'ready', now())`);
  await sql(`INSERT INTO "Task" (id, "nodeId", image, command, env, "desiredState", state, "updatedAt") VALUES ('taskguard', 'nodeguard', 'busybox', '{}', '{}', $1, $2, now())`, [
    TaskState.RUNNING,
    TaskState.STARTING,
  ]);
  // Another writer (the same node's other session) has the task failed, not yet committed.
  const other = new pg.Client({ connectionString: ctl.db.url });
  await other.connect();
  try {
    await sql('BEGIN', [], other);
    await sql(`UPDATE "Task" SET state = $1, message = 'failed elsewhere' WHERE id = 'taskguard'`, [TaskState.FAILED], other);
    const report: StatusReport = { taskId: 'taskguard', state: TaskState.RUNNING, message: '', error: '', address: '', at: new Date() };
    const applying = tasks.applyReports('nodeguard', [report]);
    // applyReports has read the row as STARTING and now waits for the other writer's lock.
    await waitFor(
      'the report to wait on the row lock',
      async () => (await sql(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE "Task"%'`)).length > 0,
      10_000,
      20,
    );
    await sql('COMMIT', [], other);
    const out = await applying;
    assert.equal(out.changed, 0);
    assert.deepEqual(out.terminalServices, []);
  } finally {
    await other.end();
  }
  const [row] = await sql(`SELECT state, message FROM "Task" WHERE id = 'taskguard'`);
  assert.deepEqual(row, { state: TaskState.FAILED, message: 'failed elsewhere' });
  assert.equal((await sql(`SELECT 1 FROM "TaskEvent" WHERE "taskId" = 'taskguard' AND state = $1`, [TaskState.RUNNING])).length, 0);
});

test('a node that opens a new session on another replica has its old one ended', async () => {
  const prefix = `${ctl.db.prefix}-router-${randomBytes(3).toString('hex')}`;
  const routers = ['r1', 'r2'].map(
    (replica) =>
      new NodeRouter(
        new BerthConfig({
          BERTH_DATABASE_URL: ctl.db.url,
          BERTH_QUEUE_PREFIX: prefix,
          BERTH_REPLICA_ID: replica,
          BERTH_ADMIN_TOKEN: 'x'.repeat(24),
          BERTH_STATE_DIR: `/tmp/${prefix}`,
          BERTH_ADVERTISE_ADDR: '127.0.0.1',
          BERTH_REGISTRY: '127.0.0.1:1',
        }),
      ),
  );
  await Promise.all(routers.map((r) => r.onModuleInit()));
  try {
    const ended: string[] = [];
    const session = (name: string, registeredAt: number): LocalSession => ({
      registeredAt,
      pushAssignments() {},
      openStream: () => () => {},
      end: (reason) => ended.push(`${name}: ${reason}`),
    });
    const t = Date.now();
    const first = session('old on r1', t - 1000);
    await routers[0].register('nodemoved', first);
    // The same replica replacing its own session ends the old one at once.
    await routers[0].register('nodemoved', session('newer on r1', t - 500));
    assert.deepEqual(ended, ['old on r1: replaced by a newer session of the same node']);
    await routers[1].register('nodemoved', session('new on r2', t));
    await waitFor('the r1 session ended', async () => ended.length === 2, 5_000, 20);
    assert.match(ended[1], /^newer on r1: the node opened a newer session on r2/);
    // r2's session is not ended by its own announcement, nor by an older one arriving late.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ended.length, 2);
  } finally {
    await Promise.all(routers.map((r) => r.onModuleDestroy()));
  }
});
