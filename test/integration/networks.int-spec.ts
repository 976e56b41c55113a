// The networks API on the real Postgres: built-ins listed, user-defined bridge networks created
// with allocated or given addressing, every bad input a 4xx naming the field, in-use networks kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import pg from 'pg';
import { waitFor } from '../lab/sh.js';
import { controllerApp } from '../fixtures/controller-app.js';

const ctl = controllerApp('networks-token-0123456789', { BERTH_NETWORK_POOL: '10.77.0.0/23' });
const auth = ctl.auth;
const post = (body: object) => request(ctl.server).post('/api/networks').set(auth).send(body);

test('create with pool or given addressing; ls shows built-ins first; inspect by name or id prefix', async () => {
  const a = await post({ name: 'front' });
  assert.equal(a.status, 201);
  assert.deepEqual([a.body.driver, a.body.subnet, a.body.gateway, a.body.internal], ['bridge', '10.77.0.0/24', '10.77.0.1', false]);
  const b = await post({ name: 'back', subnet: '10.88.0.0/24', gateway: '10.88.0.254', ipRange: '10.88.0.128/25', internal: true });
  assert.equal(b.status, 201, JSON.stringify(b.body));
  assert.deepEqual([b.body.subnet, b.body.gateway, b.body.ipRange, b.body.internal], ['10.88.0.0/24', '10.88.0.254', '10.88.0.128/25', true]);
  const c = await post({ name: 'third' });
  assert.equal(c.body.subnet, '10.77.1.0/24', 'the next free block');
  assert.equal((await post({ name: 'fourth' })).status, 409, 'pool exhausted');
  const ls = await request(ctl.server).get('/api/networks').set(auth);
  assert.deepEqual(
    ls.body.map((n: { name: string }) => n.name),
    ['bridge', 'host', 'none', 'back', 'front', 'third'],
  );
  assert.equal(
    (
      await request(ctl.server)
        .get(`/api/networks/${a.body.id.slice(0, 6)}`)
        .set(auth)
    ).body.name,
    'front',
  );
  assert.equal((await request(ctl.server).get('/api/networks/host').set(auth)).body.builtin, true);
  assert.equal((await request(ctl.server).get('/api/networks/nope').set(auth)).status, 404);
});

test('bad input is a 4xx naming the field, and creates nothing', async () => {
  const cases: Array<[object, number, string | RegExp]> = [
    [{ name: 'x1', subnet: '10.88.0.128/25' }, 400, /subnet: 10.88.0.128\/25 overlaps 10.88.0.0\/24/],
    [{ name: 'x2', subnet: '10.210.5.0/24' }, 400, /overlaps 10.210.0.0\/16/],
    [{ name: 'x3', subnet: '10.99.0.1/24' }, 400, /host bits set/],
    [{ name: 'x4', subnet: 'banana' }, 400, /not an IPv4 CIDR/],
    [{ name: 'x5', subnet: '10.99.0.0/24', gateway: '10.98.0.1' }, 400, /gateway: 10.98.0.1 is not a host address/],
    [{ name: 'x6', subnet: '10.99.0.0/24', ipRange: '10.98.0.0/25' }, 400, /ipRange: 10.98.0.0\/25 is not inside/],
    [{ name: 'x7', gateway: '10.99.0.1' }, 400, /needs the subnet/],
    [{ name: 'front' }, 409, /already exists/],
    [{ name: 'bridge' }, 409, /built in/],
    [{ name: 'x8', driver: 'overlay', options: { parent: 'eth0' } }, 400, /overlay networks take no options/],
    [{ name: '-bad' }, 400, /name must start/],
    [{ name: 'x9', driver: 'weird' }, 400, /driver must be/],
  ];
  for (const [body, status, re] of cases) {
    const r = await post(body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.match(r.body.error.message, re instanceof RegExp ? re : new RegExp(re));
  }
  const names = (await request(ctl.server).get('/api/networks').set(auth)).body.map((n: { name: string }) => n.name);
  assert.ok(!names.some((n: string) => /^x\d$/.test(n)), 'nothing half-created');
});

test('services and containers need a network that exists; a network in use cannot be removed', async () => {
  const bad = await request(ctl.server).post('/api/services').set(auth).send({ name: 'svc', image: 'busybox', replicas: 1, network: 'missing' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.details[0].field, 'network');
  assert.equal((await request(ctl.server).post('/api/containers').set(auth).send({ image: 'busybox', network: 'missing' })).status, 400);
  assert.equal((await request(ctl.server).post('/api/services').set(auth).send({ name: 'svc', image: 'busybox', replicas: 2, network: 'front' })).status, 201);
  await new Promise((r) => setTimeout(r, 500));
  const busy = await request(ctl.server).delete('/api/networks/front').set(auth);
  assert.equal(busy.status, 409);
  assert.match(busy.body.error.message, /in use by 2 tasks/);
  assert.equal((await request(ctl.server).delete('/api/networks/bridge').set(auth)).status, 400);
  assert.equal((await request(ctl.server).delete('/api/networks/third').set(auth)).status, 204);
  assert.equal((await request(ctl.server).delete('/api/services/svc').set(auth)).status, 204);
  await new Promise((r) => setTimeout(r, 1000));
  const pruned = await request(ctl.server).post('/api/networks/prune').set(auth);
  assert.deepEqual(pruned.body.removed.sort(), ['back', 'front']);
});

test('published ports: stored per task in one form, refused on host and none, each host port once', async () => {
  const c = await request(ctl.server)
    .post('/api/containers')
    .set(auth)
    .send({ image: 'busybox', publish: ['8081:80', '5353:53/udp'] });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  assert.deepEqual(c.body.ports, ['8081:80/tcp', '5353:53/udp']);
  const cases: Array<[object, RegExp]> = [
    [{ image: 'busybox', network: 'host', publish: ['80:80'] }, /ports are published on bridge networks/],
    [{ image: 'busybox', publish: ['80:0'] }, /container port/],
    [{ image: 'busybox', publish: ['80:80', '80:81'] }, /published twice/],
    [{ image: 'busybox', publish: ['70000:80'] }, /from 1 to 65535/],
    [{ image: 'busybox', publish: ['a:b'] }, /\[HOSTPORT:\]CONTAINERPORT/],
  ];
  for (const [body, re] of cases) {
    const r = await request(ctl.server).post('/api/containers').set(auth).send(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.details[0].field, 'publish');
    assert.match(r.body.error.message, re);
  }
  const svc = await request(ctl.server)
    .post('/api/services')
    .set(auth)
    .send({ name: 'pub', image: 'busybox', replicas: 1, publish: ['9090:90'] });
  assert.deepEqual(svc.body.ports, ['9090:90/tcp']);
});

test('macvlan networks: the controller gives each task a unique address, lowest first, until the subnet is full', async () => {
  const n = await post({ name: 'seg', driver: 'macvlan', subnet: '10.66.0.0/29', options: { parent: 'eth0' } });
  assert.equal(n.status, 201, JSON.stringify(n.body));
  assert.deepEqual([n.body.scope, n.body.gateway, n.body.options], ['cluster', '10.66.0.1', { parent: 'eth0', mode: 'bridge' }]);
  assert.equal((await request(ctl.server).post('/api/services').set(auth).send({ name: 'mv', image: 'busybox', replicas: 6, network: 'seg' })).status, 201);
  const c = new pg.Client({ connectionString: ctl.db.url });
  await c.connect();
  try {
    const ips = await waitFor(
      '6 tasks',
      async () => {
        const rows = (await c.query(`SELECT COALESCE(networks->0->>'ip', '') AS ip FROM "Task" WHERE networks @> '[{"name":"seg"}]' ORDER BY ip`)).rows as Array<{ ip: string }>;
        return rows.length === 6 ? rows.map((r) => r.ip) : undefined;
      },
      10_000,
    );
    assert.deepEqual(ips, ['', '10.66.0.2', '10.66.0.3', '10.66.0.4', '10.66.0.5', '10.66.0.6'], 'five host addresses, the sixth task none');
  } finally {
    await c.end();
  }
  assert.equal((await post({ name: 'seg2', driver: 'macvlan', subnet: '10.67.0.0/24', internal: true, options: { parent: 'eth0' } })).status, 400);
  assert.equal((await post({ name: 'br2', options: { parent: 'eth0' } })).status, 400, 'bridge networks take no options');
  const o1 = await post({ name: 'ov1', driver: 'overlay', subnet: '10.68.0.0/24' });
  const o2 = await post({ name: 'ov2', driver: 'overlay', subnet: '10.69.0.0/24' });
  assert.deepEqual([o1.body.scope, o1.body.options.vni, o2.body.options.vni], ['cluster', '4096', '4097'], 'each overlay its own VXLAN id');
});

test('several networks per container and service, with aliases; every bad combination a 400 naming the field', async () => {
  for (const name of ['multi-a', 'multi-b']) assert.equal((await post({ name })).status, 201);
  const ov = await post({ name: 'multi-ov', driver: 'overlay', subnet: '10.70.0.0/24' });
  assert.equal(ov.body.attachable, false, 'overlays are for services unless created attachable');
  const c = await request(ctl.server)
    .post('/api/containers')
    .set(auth)
    .send({ image: 'busybox', networks: [{ name: 'multi-a', aliases: ['db', 'primary.db'] }, { name: 'multi-b' }] });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  assert.deepEqual(
    c.body.networks.map((n: { name: string; aliases: string[] }) => [n.name, n.aliases]),
    [
      ['multi-a', ['db', 'primary.db']],
      ['multi-b', []],
    ],
  );
  const cases: Array<[object, string, RegExp]> = [
    [{ network: 'multi-a', networks: [{ name: 'multi-b' }] }, 'networks', /not both/],
    [{ networks: [] }, 'networks', /at least one/],
    [{ networks: [{ name: 'multi-a' }, { name: 'multi-a' }] }, 'networks', /given twice/],
    [{ networks: [{ name: 'host' }, { name: 'multi-a' }] }, 'networks', /host network cannot be combined/],
    [{ networks: [{ name: 'bridge', aliases: ['x'] }] }, 'networks', /aliases are for user-defined networks/],
    [{ networks: [{ name: 'multi-a', aliases: ['bad_alias!'] }] }, 'networks.0.aliases', /DNS names/],
    [{ networks: [{ name: 'nope' }] }, 'network', /not found/],
    [{ networks: [{ name: 'multi-ov' }] }, 'network', /not attachable/],
  ];
  for (const [extra, field, re] of cases) {
    const r = await request(ctl.server)
      .post('/api/containers')
      .set(auth)
      .send({ image: 'busybox', ...extra });
    assert.equal(r.status, 400, JSON.stringify(extra));
    assert.equal(r.body.error.details[0].field, field, JSON.stringify(r.body));
    assert.match(r.body.error.message, re);
  }
  // Services may join any overlay; tasks get addresses there and the service a virtual IP.
  const svc = await request(ctl.server)
    .post('/api/services')
    .set(auth)
    .send({ name: 'multi', image: 'busybox', replicas: 2, networks: [{ name: 'multi-ov', aliases: ['m'] }, { name: 'multi-a' }] });
  assert.equal(svc.status, 201, JSON.stringify(svc.body));
  assert.deepEqual([svc.body.endpointMode, svc.body.vip], ['vip', '10.212.0.1']);
  const rr = await request(ctl.server).post('/api/services').set(auth).send({ name: 'multi-rr', image: 'busybox', replicas: 1, network: 'multi-a', endpointMode: 'dnsrr' });
  assert.deepEqual([rr.body.endpointMode, rr.body.vip], ['dnsrr', '']);
  const plain = await request(ctl.server).post('/api/services').set(auth).send({ name: 'multi-plain', image: 'busybox', replicas: 1 });
  assert.equal(plain.body.vip, '', 'no virtual IP on the default bridge, which has no names');
  assert.equal((await request(ctl.server).post('/api/services').set(auth).send({ name: 'x', image: 'busybox', replicas: 1, endpointMode: 'round' })).status, 400);
  const tasks = await waitFor(
    '2 tasks',
    async () => {
      const t = (await request(ctl.server).get('/api/services/multi/tasks').set(auth)).body as Array<{ networks: Array<{ name: string; aliases: string[]; address: string }> }>;
      return t.length === 2 ? t : undefined;
    },
    10_000,
  );
  assert.deepEqual(tasks.map((t) => t.networks[0].address).sort(), ['10.70.0.2', '10.70.0.3']);
  assert.deepEqual(
    tasks[0].networks.map((n) => n.name),
    ['multi-ov', 'multi-a'],
  );
  assert.equal((await post({ name: 'clash', subnet: '10.212.3.0/24' })).status, 400, 'the VIP pool is no network subnet');
});

test('network connect / disconnect: stored on the container and its task, with errors for what cannot be', async () => {
  const c = await request(ctl.server).post('/api/containers').set(auth).send({ image: 'busybox', name: 'hopper', network: 'multi-a' });
  assert.equal(c.status, 201);
  const ov2 = await post({ name: 'att-ov', driver: 'overlay', subnet: '10.71.0.0/24', attachable: true });
  assert.equal(ov2.body.attachable, true);
  const con = await request(ctl.server)
    .post('/api/networks/att-ov/connect')
    .set(auth)
    .send({ container: 'hopper', aliases: ['hop'] });
  assert.equal(con.status, 200, JSON.stringify(con.body));
  assert.deepEqual(
    con.body.networks.map((n: { name: string; aliases: string[]; address: string }) => [n.name, n.aliases, n.address]),
    [
      ['multi-a', [], ''],
      ['att-ov', ['hop'], '10.71.0.2'],
    ],
  );
  const cases: Array<[string, object, number, RegExp]> = [
    ['att-ov/connect', { container: 'hopper' }, 409, /already connected/],
    ['multi-ov/connect', { container: 'hopper' }, 400, /not attachable/],
    ['host/connect', { container: 'hopper' }, 400, /host network/],
    ['nope/connect', { container: 'hopper' }, 404, /nope/],
    ['multi-b/connect', { container: 'ghost' }, 404, /ghost/],
    ['multi-b/disconnect', { container: 'hopper' }, 409, /not connected/],
    ['multi-b/connect', { container: 'hopper', aliases: ['-x'] }, 400, /DNS names/],
  ];
  for (const [path, body, status, re] of cases) {
    const r = await request(ctl.server).post(`/api/networks/${path}`).set(auth).send(body);
    assert.equal(r.status, status, `${path} ${JSON.stringify(r.body)}`);
    assert.match(r.body.error.message, re);
  }
  assert.equal((await request(ctl.server).delete('/api/networks/att-ov').set(auth)).status, 409, 'in use by the connected container');
  const dis = await request(ctl.server).post('/api/networks/att-ov/disconnect').set(auth).send({ container: 'hopper' });
  assert.equal(dis.status, 200);
  assert.deepEqual(
    dis.body.networks.map((n: { name: string }) => n.name),
    ['multi-a'],
  );
  assert.equal((await request(ctl.server).delete('/api/networks/att-ov').set(auth)).status, 204, 'free once disconnected');
  const pub = await request(ctl.server)
    .post('/api/containers')
    .set(auth)
    .send({ image: 'busybox', name: 'porter', network: 'multi-a', publish: ['8181:80'] });
  assert.equal(pub.status, 201);
  const leave = await request(ctl.server).post('/api/networks/multi-a/disconnect').set(auth).send({ container: 'porter' });
  assert.equal(leave.status, 409);
  assert.match(leave.body.error.message, /publishes ports through network multi-a/);
  // The ports go through the first bridge network only: a later one may leave.
  const two = await request(ctl.server)
    .post('/api/containers')
    .set(auth)
    .send({ image: 'busybox', name: 'porter2', networks: [{ name: 'multi-b' }, { name: 'multi-a' }], publish: ['8182:80'] });
  assert.equal(two.status, 201);
  assert.equal((await request(ctl.server).post('/api/networks/multi-a/disconnect').set(auth).send({ container: 'porter2' })).status, 200);
  assert.equal((await request(ctl.server).post('/api/networks/multi-b/disconnect').set(auth).send({ container: 'porter2' })).status, 409);
});
