// The allocator on the real Postgres, under concurrency: requests made at once through the API never
// get the same task address, virtual IP or VXLAN id (each pool's advisory lock holds until commit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import pg from 'pg';
import { controllerApp } from '../fixtures/controller-app.js';

const ctl = controllerApp('allocator-token-0123456789');
const post = (path: string, body: object) => request(ctl.server).post(`/api/${path}`).set(ctl.auth).send(body);

async function query<T>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: ctl.db.url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

test('containers created at once on a macvlan network get distinct addresses, lowest first', async () => {
  assert.equal((await post('networks', { name: 'seg', driver: 'macvlan', subnet: '10.66.0.0/28', options: { parent: 'eth0' } })).status, 201);
  const made = await Promise.all(Array.from({ length: 12 }, (_, i) => post('containers', { name: `c${i}`, image: 'busybox', network: 'seg' })));
  assert.deepEqual(
    made.map((r) => r.status),
    Array(12).fill(201),
    JSON.stringify(made.find((r) => r.status !== 201)?.body),
  );
  const rows = await query<{ ip: string }>(`SELECT networks->0->>'ip' AS ip FROM "Task" WHERE networks @> '[{"name":"seg"}]'`);
  const ips = rows.map((r) => r.ip).sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3]));
  assert.deepEqual(
    ips,
    Array.from({ length: 12 }, (_, i) => `10.66.0.${i + 2}`),
    'the gateway (.1) never, no address twice',
  );
});

test('services created at once get distinct virtual IPs; overlays created at once distinct VXLAN ids', async () => {
  const nets = await Promise.all(Array.from({ length: 6 }, (_, i) => post('networks', { name: `ov${i}`, driver: 'overlay', subnet: `10.80.${i}.0/24` })));
  assert.deepEqual(
    nets.map((r) => r.status),
    Array(6).fill(201),
    JSON.stringify(nets.find((r) => r.status !== 201)?.body),
  );
  assert.deepEqual(nets.map((r) => Number(r.body.options.vni)).sort(), [4096, 4097, 4098, 4099, 4100, 4101]);
  const svcs = await Promise.all(Array.from({ length: 8 }, (_, i) => post('services', { name: `s${i}`, image: 'busybox', replicas: 1, network: 'ov0' })));
  assert.deepEqual(
    svcs.map((r) => r.status),
    Array(8).fill(201),
    JSON.stringify(svcs.find((r) => r.status !== 201)?.body),
  );
  const vips = svcs.map((r) => r.body.vip as string);
  assert.equal(new Set(vips).size, 8, `no VIP twice: ${vips.join(' ')}`);
});
