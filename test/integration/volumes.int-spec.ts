// The volumes API and mounts on the real Postgres: create, list, inspect, remove and prune
// volumes; mounts of containers and services checked with the field and reason; a mount
// naming a new volume creates it, an anonymous one gets a volume of its own; in-use
// volumes are kept; --volumes-from needs a placed container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import pg from 'pg';
import { controllerApp } from '../fixtures/controller-app.js';

const ctl = controllerApp('volumes-token-0123456789');
const api = (method: 'get' | 'post' | 'delete', path: string, body?: object) => {
  const r = request(ctl.server)[method](`/api${path}`).set(ctl.auth);
  return body ? r.send(body) : r;
};

test('volume create / ls / inspect / rm / prune, with clear errors', async () => {
  const a = await api('post', '/volumes', { name: 'data', labels: { team: 'db' } });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  assert.deepEqual([a.body.name, a.body.driver, a.body.labels, a.body.node], ['data', 'local', { team: 'db' }, '']);
  const anon = await api('post', '/volumes', {});
  assert.match(anon.body.name, /^[0-9a-f]{64}$/, 'unnamed: a random id');
  assert.equal((await api('post', '/volumes', { name: 'data' })).status, 409);
  const cases: Array<[object, string, RegExp]> = [
    [{ name: 'bad name' }, 'name', /volume name/],
    [{ name: 'x', driver: 'nfs-plugin' }, 'driver', /unknown volume driver "nfs-plugin"/],
    [{ name: 'x', options: { size: '1g' } }, 'options', /takes type, device and o, not "size"/],
    [{ name: 'x', options: { device: '/dev/sdz' } }, 'options', /only with type=/],
  ];
  for (const [body, field, re] of cases) {
    const r = await api('post', '/volumes', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.details[0].field, field);
    assert.match(r.body.error.message, re);
  }
  assert.deepEqual((await api('get', '/volumes')).body.map((v: { name: string }) => v.name).sort(), [anon.body.name, 'data'].sort());
  assert.equal((await api('get', '/volumes/data')).body.inUse, 0);
  assert.equal((await api('get', '/volumes/nope')).status, 404);
  assert.deepEqual((await api('post', '/volumes/prune')).body.removed, [], 'only anonymous volumes by default, and that one was named by create');
  assert.equal((await api('delete', '/volumes/data')).status, 204);
  assert.deepEqual((await api('post', '/volumes/prune?all=true')).body.removed, [anon.body.name]);
});

test('mounts: checked with the field and reason; named volumes made on first use, anonymous ones named; in-use volumes kept', async () => {
  const bad: Array<[object, RegExp]> = [
    [{ mounts: [{ type: 'bind', source: 'rel', target: '/x' }] }, /absolute host path/],
    [{ mounts: [{ type: 'volume', source: 'v', target: 'x' }] }, /absolute path/],
    [{ mounts: [{ type: 'tmpfs', source: 'x', target: '/x' }] }, /no source/],
    [{ mounts: [{ type: 'nfs', target: '/x' }] }, /volume, bind or tmpfs/],
    [
      {
        mounts: [
          { type: 'volume', source: 'a', target: '/x' },
          { type: 'tmpfs', target: '/x' },
        ],
      },
      /two mounts on \/x/,
    ],
    [{ mounts: ['str'] }, /must be objects/],
    [{ mounts: [{ type: 'volume', source: 'o', target: '/x', volumeOptions: { size: '1g' } }] }, /local driver takes type, device and o/],
    [{ mounts: [{ type: 'volume', source: 'o', target: '/x', volumeDriver: 'nosuch' }] }, /unknown volume driver "nosuch"/],
  ];
  for (const [extra, re] of bad) {
    const r = await api('post', '/containers', { image: 'busybox', ...extra });
    assert.equal(r.status, 400, JSON.stringify(extra));
    assert.equal(r.body.error.details[0].field, 'mounts');
    assert.match(r.body.error.message, re);
  }
  const c = await api('post', '/containers', {
    image: 'busybox',
    name: 'writer',
    mounts: [
      { type: 'volume', source: 'shared', target: '/data' },
      { type: 'volume', target: '/scratch' },
      { type: 'tmpfs', target: '/run/t', tmpfsSize: 1048576 },
    ],
  });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const [shared, scratch] = c.body.mounts as Array<{ source: string }>;
  assert.equal(shared.source, 'shared');
  assert.match(scratch.source, /^[0-9a-f]{64}$/);
  const vols = (await api('get', '/volumes')).body as Array<{ name: string; anonymous: boolean }>;
  assert.deepEqual(vols.map((v) => [v.name === 'shared' ? 'shared' : 'anon', v.anonymous]).sort(), [
    ['anon', true],
    ['shared', false],
  ]);
  const busy = await api('delete', '/volumes/shared');
  assert.equal(busy.status, 409);
  assert.match(busy.body.error.message, /in use by 1 task/);
  const svc = await api('post', '/services', { name: 'vsvc', image: 'busybox', replicas: 2, mounts: [{ type: 'volume', target: '/cache' }] });
  assert.equal(svc.status, 201, JSON.stringify(svc.body));
  const from = await api('post', '/containers', { image: 'busybox', volumesFrom: ['writer:ro'] });
  assert.equal(from.status, 409, 'writer is not placed (no nodes here)');
  assert.match(from.body.error.message, /not been placed/);
  assert.equal((await api('post', '/containers', { image: 'busybox', volumesFrom: ['bad ref'] })).status, 400);
  assert.equal((await api('delete', '/containers/writer?force=true&volumes=true')).status, 204);
  const left = ((await api('get', '/volumes')).body as Array<{ name: string; anonymous: boolean }>).filter((v) => !v.anonymous || v.name === scratch.source);
  assert.deepEqual(
    left.map((v) => v.name),
    ['shared'],
    'rm -v took the anonymous volume, the named one stays',
  );
});

test("plugin drivers: known from the nodes' reports, with their scope, for named and anonymous volumes", async () => {
  const c = new pg.Client({ connectionString: ctl.db.url });
  await c.connect();
  try {
    await c.query(`INSERT INTO "Node" (id, hostname, status, "lastHeartbeatAt", "updatedAt", "volumePlugins") VALUES
      ('nodepluginsaaaaaaaaaaaaa', 'p1', 'ready', now() + interval '1 hour', now(), '[{"name":"shared","scope":"global"},{"name":"disk","scope":"local"}]')`);
  } finally {
    await c.end();
  }
  const g = await api('post', '/volumes', { name: 'gv', driver: 'shared', options: { size: '1g' } });
  assert.deepEqual([g.status, g.body.scope, g.body.options], [201, 'global', { size: '1g' }]);
  assert.equal((await api('post', '/volumes', { name: 'lv', driver: 'disk' })).body.scope, 'local');
  const made = await api('post', '/containers', {
    image: 'busybox',
    mounts: [
      { type: 'volume', target: '/a', volumeDriver: 'shared' },
      { type: 'volume', source: 'named-g', target: '/b', volumeDriver: 'shared' },
    ],
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const vols = new Map(((await api('get', '/volumes')).body as Array<{ name: string; driver: string; scope: string }>).map((v) => [v.name, v]));
  const anon = (made.body.mounts as Array<{ source: string }>)[0].source;
  assert.deepEqual([vols.get(anon)?.driver, vols.get(anon)?.scope], ['shared', 'global'], 'an anonymous plugin volume takes the plugin scope');
  assert.equal(vols.get('named-g')?.scope, 'global');
  const clash = await api('post', '/containers', { image: 'busybox', mounts: [{ type: 'volume', source: 'named-g', target: '/b', volumeDriver: 'disk' }] });
  assert.equal(clash.status, 409);
  assert.match(clash.body.error.message, /exists with driver shared/);
});
