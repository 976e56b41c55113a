// With the database away, every API read and write answers 503 with Retry-After (never a 500
// or a hang), whether Prisma or the stores' own SQL meets the failure, and all answer again
// once it is back. The controller reaches Postgres through a TCP relay the test cuts: open
// connections are reset and new ones refused, as when the server restarts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { createControllerApp } from '../../apps/controller/src/bootstrap.js';
import { BerthConfig } from '../../apps/controller/src/config/berth-config.js';

/** Relay: a TCP relay to Postgres that can drop every connection and refuse new ones. */
class Relay {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private up = true;

  constructor(target: URL) {
    this.server = net.createServer((client) => {
      if (!this.up) return client.destroy();
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.open.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.up = false;
    for (const s of this.open) s.resetAndDestroy();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}

const TOKEN = 'database-away-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let db: TestDatabase;
let relay: Relay;
let app: INestApplication;

before(async () => {
  db = await createTestDatabase();
  relay = new Relay(new URL(db.url));
  const url = new URL(db.url);
  url.host = `127.0.0.1:${await relay.listen()}`;
  app = await createControllerApp(
    new BerthConfig({
      BERTH_DATABASE_URL: url.toString(),
      BERTH_QUEUE_PREFIX: db.prefix,
      BERTH_GRPC_PORT: '0',
      BERTH_ADMIN_TOKEN: TOKEN,
      BERTH_STATE_DIR: `/tmp/${db.prefix}`,
      BERTH_ADVERTISE_ADDR: '127.0.0.1',
      BERTH_REGISTRY: '127.0.0.1:1',
    }),
  );
});

after(async () => {
  await app?.close();
  await relay?.close();
  await db?.drop();
});

const CALLS: Array<[string, string, object?]> = [
  ['get', '/api/nodes'],
  ['get', '/api/services'],
  ['get', '/api/tasks'],
  ['get', '/api/containers/c1'],
  ['patch', '/api/services/s1', { replicas: 2 }],
  ['delete', '/api/containers/c1?force=true'],
  ['post', '/api/containers', { image: 'busybox', name: 'c2' }],
];

function call(method: string, path: string, body?: object) {
  const r = (request(app.getHttpServer()) as unknown as Record<string, (p: string) => request.Test>)[method](path).set(auth).timeout(20_000);
  return body ? r.send(body) : r;
}

test('every read and write is a 503 with Retry-After while the database is away, and works once it is back', async () => {
  await call('post', '/api/services', { name: 's1', image: 'busybox', replicas: 1 }).expect(201);
  await call('post', '/api/containers', { image: 'busybox', name: 'c1' }).expect(201);
  relay.cut();
  for (const [method, path, body] of CALLS) {
    const r = await call(method, path, body);
    assert.equal(r.status, 503, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.headers['retry-after'], '1', `${method} ${path}`);
    assert.doesNotMatch(JSON.stringify(r.body), /SELECT|UPDATE|INSERT|prisma/i, 'no query text leaks');
  }
  relay.restore();
  const back = Date.now() + 15_000;
  for (const [method, path, body] of CALLS) {
    let status = 0;
    while (Date.now() < back) {
      status = (await call(method, path, body)).status;
      if (status !== 503) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(status >= 200 && status < 300, `${method} ${path} after the database came back: ${status}`);
  }
});
