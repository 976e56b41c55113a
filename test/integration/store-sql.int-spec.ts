// The stores' own SQL (node, service and task lists, containers with their task: the API's hot
// reads) returns exactly what Prisma returns for the same rows, in the same order, under a
// process time zone that is not UTC; a column added to the schema and not to a statement fails
// here. And a scheduling pass's one-statement commit keeps its re-checks and writes its events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { controllerApp } from '../fixtures/controller-app.js';
import { ConflictError, ContainerStore, NodeStore, NotFoundError, PrismaService, ServiceStore, TaskStore, Transactions } from '../../apps/controller/src/store/store.module.js';
import { TaskState } from '#libs/common';

process.env.TZ = 'America/New_York';
const ctl = controllerApp('store-sql-token-0123456789');

/**
 * sameAs: the SQL read equals the Prisma read taken just before it. The app's own scheduler
 * and reconciles write rows meanwhile, so a pair that straddles a write is read again.
 */
async function sameAs<T>(sql: () => Promise<T>, prisma: () => Promise<T>, what: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const want = await prisma();
    const got = await sql();
    try {
      assert.deepEqual(got, want, what);
      return;
    } catch (err) {
      if (attempt === 10) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('node, service and task lists in SQL match Prisma row for row', async () => {
  const db = ctl.app.get(PrismaService);
  await db.$executeRawUnsafe(`INSERT INTO "Node" (id, hostname, status, "memoryBytes", labels, "volumePlugins", "lastHeartbeatAt", "updatedAt") VALUES
    ('sqlnode1', 'b-host', 'ready', 8589934592, '{"zone":"a"}', '[{"name":"nfs","scope":"global"}]', (now() AT TIME ZONE 'UTC'), now()),
    ('sqlnode2', 'a-host', 'down', 0, '{}', '[]', NULL, now())`);
  for (const [name, replicas] of [
    ['web', 3],
    ['api', 2],
  ] as const) {
    await request(ctl.server)
      .post('/api/services')
      .set(ctl.auth)
      .send({ name, image: 'busybox', command: ['sleep', '9'], env: ['A=1'], publish: name === 'web' ? ['8080:80'] : [], replicas })
      .expect(201);
  }
  await request(ctl.server).post('/api/containers').set(ctl.auth).send({ image: 'busybox', name: 'one-off' }).expect(201);
  // Tasks in several states, on both nodes and on none.
  await db.$executeRawUnsafe(`UPDATE "Task" SET "nodeId" = 'sqlnode1', state = ${TaskState.RUNNING}, "exitCode" = 3, addresses = '{"bridge":"10.0.0.9"}'
    WHERE id IN (SELECT id FROM "Task" ORDER BY id LIMIT 2)`);
  await db.$executeRawUnsafe(
    `UPDATE "Task" SET "nodeId" = 'sqlnode2', "desiredState" = ${TaskState.SHUTDOWN} WHERE id = (SELECT id FROM "Task" WHERE "serviceId" IS NOT NULL ORDER BY id DESC LIMIT 1)`,
  );

  const nodes = ctl.app.get(NodeStore);
  await sameAs(
    () => nodes.list(),
    () => db.node.findMany({ orderBy: { hostname: 'asc' } }),
    'nodes',
  );
  await sameAs(
    () => nodes.activeTaskCounts(),
    async () => {
      const counts = await db.task.groupBy({ by: ['nodeId'], where: { nodeId: { not: null }, state: { lt: TaskState.COMPLETE } }, _count: { _all: true } });
      return new Map(counts.map((c) => [c.nodeId!, c._count._all]));
    },
    'active task counts',
  );

  const services = await db.service.findMany({ orderBy: { name: 'asc' } });
  const running = (id: string) => db.task.count({ where: { serviceId: id, state: TaskState.RUNNING, desiredState: TaskState.RUNNING } });
  const withRunning = async () => Promise.all((await db.service.findMany({ orderBy: { name: 'asc' } })).map(async (s) => ({ ...s, running: await running(s.id) })));
  await sameAs(() => ctl.app.get(ServiceStore).list(), withRunning, 'services');
  for (const svc of services)
    await sameAs(
      () => ctl.app.get(ServiceStore).withRunning(svc.id),
      async () => (await withRunning()).find((x) => x.id === svc.id)!,
      svc.name,
    );
  assert.ok((await withRunning()).some((s) => s.running > 0));

  const containers = ctl.app.get(ContainerStore);
  const viaPrisma = () => db.container.findFirst({ where: { name: 'one-off' }, include: { task: { include: { node: { select: { hostname: true } } } } } });
  await db.$executeRawUnsafe(`UPDATE "Task" SET "nodeId" = 'sqlnode1' WHERE "containerId" = (SELECT id FROM "Container" WHERE name = 'one-off')`);
  const one = (await viaPrisma())!;
  for (const ref of ['one-off', one.id, one.id.slice(0, 6)])
    await sameAs(
      () => containers.resolve(ref),
      async () => (await viaPrisma())!,
      `container ${ref}`,
    );
  await sameAs(() => containers.get(one.id), viaPrisma, 'container by id');
  assert.equal(one.task?.node?.hostname, 'b-host');
  await db.task.deleteMany({ where: { containerId: one.id } });
  await sameAs(() => containers.get(one.id), viaPrisma, 'container without a task');
  await request(ctl.server).post('/api/containers').set(ctl.auth).send({ image: 'busybox', name: 'two-off' }).expect(201);
  const include = { task: { include: { node: { select: { hostname: true } } } } };
  await sameAs(
    () => containers.list(true),
    () => db.container.findMany({ include, orderBy: { createdAt: 'desc' } }),
    'all containers',
  );
  await sameAs(
    () => containers.list(false),
    () => db.container.findMany({ where: { task: { state: { lt: TaskState.COMPLETE } } }, include, orderBy: { createdAt: 'desc' } }),
    'live containers',
  );

  // A scale answers with the row it wrote and the running count (scaling up stops none).
  const scaled = await ctl.app.get(ServiceStore).scale(services.find((x) => x.name === 'web')!.id, 4);
  assert.deepEqual(scaled, { ...(await db.service.findUnique({ where: { id: scaled.id } })), running: await running(scaled.id) });
  assert.equal(scaled.replicas, 4);
  // By name, by a unique id prefix (the slower path), and not at all.
  const store = ctl.app.get(ServiceStore);
  assert.equal((await store.scale('web', 5)).replicas, 5);
  const api = services.find((x) => x.name === 'api')!;
  assert.deepEqual([(await store.scale(api.id.slice(0, 8), 3)).name, (await db.service.findUnique({ where: { id: api.id } }))?.replicas], ['api', 3]);
  await assert.rejects(store.scale('no-such-service', 1), NotFoundError);

  const tasks = ctl.app.get(TaskStore);
  const web = services.find((s) => s.name === 'web')!;
  for (const f of [{}, { all: true }, { serviceId: web.id, all: true }, { nodeId: 'sqlnode1' }, { nodeId: 'sqlnode2', all: true }]) {
    const viaPrisma = async () =>
      (
        await db.task.findMany({
          where: { serviceId: (f as { serviceId?: string }).serviceId, nodeId: (f as { nodeId?: string }).nodeId, ...((f as { all?: boolean }).all ? {} : { desiredState: TaskState.RUNNING }) },
          include: { service: { select: { name: true } }, container: { select: { name: true } }, node: { select: { hostname: true } } },
          orderBy: [{ slot: 'asc' }, { createdAt: 'desc' }],
        })
      ).map(({ command: _c, env: _e, pinnedNode: _p, version: _v, options: _o, ...t }) => t);
    await sameAs(() => tasks.list(f), viaPrisma, JSON.stringify(f));
    assert.ok((await viaPrisma()).length > 0, JSON.stringify(f));
  }
});

test("a pass's placements commit in one statement: only tasks still unplaced and at the version read, each with its event", async () => {
  const db = ctl.app.get(PrismaService);
  // No node the app's own scheduler could place on while this test places by hand.
  await db.$executeRawUnsafe(`UPDATE "Node" SET status = 'down'`);
  await db.$executeRawUnsafe(`INSERT INTO "Task" (id, image, "desiredState", state, "updatedAt") VALUES
    ('sqltask-fresh', 'busybox', ${TaskState.RUNNING}, ${TaskState.NEW}, now()),
    ('sqltask-stale', 'busybox', ${TaskState.RUNNING}, ${TaskState.NEW}, now()),
    ('sqltask-stopping', 'busybox', ${TaskState.SHUTDOWN}, ${TaskState.NEW}, now())`);
  const tx = ctl.app.get(Transactions);
  const nodes = await tx.withLock('scheduler', (t) =>
    ctl.app.get(TaskStore).assign(t, [
      { taskId: 'sqltask-fresh', version: 1, nodeId: 'sqlnode1', ports: ['8081:80/tcp'] },
      { taskId: 'sqltask-stale', version: 0, nodeId: 'sqlnode2' },
      { taskId: 'sqltask-stopping', version: 1, nodeId: 'sqlnode2' },
    ]),
  );
  assert.deepEqual(nodes, ['sqlnode1']);
  const rows = await db.task.findMany({ where: { id: { startsWith: 'sqltask-' } }, orderBy: { id: 'asc' }, include: { events: true } });
  assert.deepEqual(
    rows.map((r) => [r.id, r.nodeId, r.state, r.version, r.ports, r.events.map((e) => e.message)]),
    [
      ['sqltask-fresh', 'sqlnode1', TaskState.ASSIGNED, 2, ['8081:80/tcp'], ['assigned to node sqlnode1']],
      ['sqltask-stale', null, TaskState.NEW, 1, [], []],
      ['sqltask-stopping', null, TaskState.NEW, 1, [], []],
    ],
  );
  assert.ok(Math.abs(rows[0].statusAt.getTime() - Date.now()) < 60_000, 'assigned now, on the database clock read as UTC');
});

test("a container's one-statement create gives back what a read does, with its task's first event, on both paths; a taken name is a conflict", async () => {
  const db = ctl.app.get(PrismaService);
  const containers = ctl.app.get(ContainerStore);
  const noAddresses = async () => {
    throw new Error('a container on built-in networks only needs no addresses');
  };
  const base = { image: 'busybox', command: ['sleep', '9'], env: ['A=1'], ports: ['8082:80/tcp'], autoRemove: true, options: { user: '1000', capDrop: ['CAP_NET_RAW'], memory: 64 << 20 } };
  const plain = await containers.create({ ...base, name: 'plain-one', networks: [{ name: 'bridge' }], mounts: [{ type: 'tmpfs', source: '', target: '/t' }] }, noAddresses);
  // With a named volume, the insert runs in the transaction that creates the volume.
  const withVolume = await containers.create(
    { ...base, name: '', networks: [{ name: 'bridge' }], mounts: [{ type: 'volume', source: '', target: '/data' }], pinnedNode: 'sqlnode1' },
    async (_tx, perTask) => perTask,
  );
  for (const c of [plain, withVolume]) {
    assert.deepEqual(c, await containers.get(c.id));
    assert.equal(c.task?.state, TaskState.NEW);
    assert.deepEqual([c.options, c.task?.options], [base.options, base.options], 'run options on the container and its task');
    assert.ok(Math.abs(c.createdAt.getTime() - Date.now()) < 60_000, 'created now, on the database clock read as UTC');
    const events = await db.taskEvent.findMany({ where: { taskId: c.task!.id } });
    assert.deepEqual(
      events.map((e) => [e.state, e.message, e.at.getTime()]),
      [[TaskState.NEW, 'created', c.task!.createdAt.getTime()]],
    );
  }
  assert.match(withVolume.name, /^c-/);
  const volume = (withVolume.task!.mounts as Array<{ source: string }>)[0].source;
  assert.ok(await db.volume.findUnique({ where: { name: volume } }), 'the anonymous volume was created with the container');
  assert.equal(withVolume.task!.pinnedNode, 'sqlnode1');

  for (const mounts of [[], [{ type: 'volume' as const, source: 'taken-vol', target: '/v' }]])
    await assert.rejects(
      containers.create({ ...base, name: 'plain-one', networks: [], mounts }, async (_tx, p) => p),
      (err: Error) => err instanceof ConflictError && err.message === 'container name "plain-one" is already in use',
    );
  assert.equal(await db.volume.count({ where: { name: 'taken-vol' } }), 0, 'the failed create left no volume behind');
});

test('a container is removed in one statement by id or name, by prefix after resolving, and not while its task runs unless forced', async () => {
  const db = ctl.app.get(PrismaService);
  const containers = ctl.app.get(ContainerStore);
  const make = (name: string) => containers.create({ name, image: 'busybox', command: [], env: [], networks: [{ name: 'bridge' }], ports: [], mounts: [], autoRemove: false }, async (_tx, p) => p);
  const running = await make('rm-running');
  await db.task.update({ where: { id: running.task!.id }, data: { state: TaskState.RUNNING } });
  const before = (await containers.get(running.id))!;
  assert.deepEqual(await containers.removeUnlessRunning('rm-running', false), { container: before, removed: false });
  assert.ok(await containers.get(running.id), 'a running container stays without force');
  assert.deepEqual(await containers.removeUnlessRunning(running.id.slice(0, 7), true), { container: before, removed: true });
  assert.equal(await containers.get(running.id), null);
  assert.equal(await db.task.count({ where: { id: running.task!.id } }), 0, 'its task went with it');
  assert.equal(await db.taskEvent.count({ where: { taskId: running.task!.id } }), 0, "and the task's events");

  // Ended, or no longer wanted running: removed without force. A name that is another's id loses to that id.
  const ended = await make('rm-ended');
  await db.task.update({ where: { id: ended.task!.id }, data: { state: TaskState.FAILED } });
  const stopping = await make(ended.id);
  await db.task.update({ where: { id: stopping.task!.id }, data: { state: TaskState.RUNNING, desiredState: TaskState.SHUTDOWN } });
  assert.deepEqual([(await containers.removeUnlessRunning(ended.id, false)).container.name, (await containers.get(ended.id)) === null], ['rm-ended', true]);
  assert.equal((await containers.removeUnlessRunning(ended.id, false)).removed, true, 'now the name');
  assert.equal(await containers.get(stopping.id), null);
  await assert.rejects(containers.removeUnlessRunning('rm-no-such', true), NotFoundError);
});
