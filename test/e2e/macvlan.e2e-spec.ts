// End-to-end macvlan: containers on the lab segment itself, with addresses the controller
// allocates cluster-wide, reached from another host's namespace on that segment.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../lab/lab.js';
import { waitFor } from '../lab/sh.js';
import { httpGet } from '../lab/net.js';

let lab: Lab;
type Task = { name: string; node: string; state: string; address: string; error: string };

describe('macvlan', { timeout: 600_000 }, () => {
  before(async () => {
    lab = await Lab.start({ hosts: 2, controllers: 1 });
  });

  after(async () => {
    await lab?.stop();
  });

  test('bad macvlan settings are refused with the field named', async () => {
    for (const [args, re] of [
      [['-d', 'macvlan', '--subnet', '10.250.0.0/24', 'nopar'], /parent=IFACE/],
      [['-d', 'macvlan', '-o', 'parent=eth0', 'nosub'], /segment's subnet/],
      [['-d', 'macvlan', '-o', 'parent=eth0', '-o', 'mode=loud', '--subnet', '10.250.0.0/24', 'badmode'], /mode must be one of/],
      [['-d', 'overlay', '-o', 'parent=eth0', 'ov'], /overlay networks take no options/],
    ] as Array<[string[], RegExp]>) {
      const r = await lab.cli(['network', 'create', ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, re);
    }
  });

  test('tasks get unique addresses on the segment and answer from another host there', async () => {
    const net = await lab.cli(['network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '10.250.0.0/24', '--gateway', '10.250.0.1', '--ip-range', '10.250.0.128/26', 'seg']);
    assert.equal(net.code, 0, net.stderr);
    const pub = await lab.cli(['run', '--network', 'seg', '-p', '80:80', 'busybox', 'true']);
    assert.equal(pub.code, 1);
    assert.match(pub.stderr, /own address/);
    const svc = await lab.cli([
      'service',
      'create',
      '--name',
      'mv',
      '--replicas',
      '2',
      '--network',
      'seg',
      'busybox',
      'sh',
      '-c',
      'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www',
    ]);
    assert.equal(svc.code, 0, svc.stderr);
    const tasks = await waitFor(
      '2 running',
      async () => {
        const t = (await lab.api<Task[]>('GET', '/services/mv/tasks')).body.filter((x) => x.state === 'running');
        return t.length === 2 ? t : undefined;
      },
      60_000,
    );
    assert.deepEqual(tasks.map((t) => t.address).sort(), ['10.250.0.128', '10.250.0.129']);
    assert.deepEqual(tasks.map((t) => t.node).sort(), ['h1', 'h2']);
    for (const t of tasks) {
      const other = t.node === 'h1' ? 2 : 1;
      const got = await waitFor(`${t.address} from h${other}`, async () => (await httpGet(other, t.address, 80)) || undefined, 20_000, 250);
      assert.match(got, /hello from [0-9a-z]{12}/);
    }
    assert.equal((await lab.cli(['service', 'scale', 'mv=3'])).code, 0);
    const three = await waitFor(
      '3 running',
      async () => {
        const t = (await lab.api<Task[]>('GET', '/services/mv/tasks')).body.filter((x) => x.state === 'running');
        return t.length === 3 ? t : undefined;
      },
      60_000,
    );
    assert.equal(new Set(three.map((t) => t.address)).size, 3, 'no address given twice');
    assert.equal((await lab.cli(['service', 'rm', 'mv'])).code, 0);
    await waitFor('the network free', async () => (await lab.cli(['network', 'rm', 'seg'])).code === 0, 30_000, 500);
  });
});
