// End-to-end published ports: a service publishing 8080 gets one task per host, each reached
// from another host's namespace at its host's address; extra replicas wait with the reason;
// removing the service removes the DNAT rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../lab/lab.js';
import { sh, waitFor } from '../lab/sh.js';
import { hostAddr, hostNs, httpGet } from '../lab/net.js';

let lab: Lab;
type Task = { name: string; node: string; state: string; message: string };

describe('published ports', { timeout: 600_000 }, () => {
  before(async () => {
    lab = await Lab.start({ hosts: 2, controllers: 1 });
  });

  after(async () => {
    await lab?.stop();
  });

  test('one task per host holds the port; each answers at its host address from the other host', async () => {
    const bad = await lab.cli(['service', 'create', '--name', 'x', '--network', 'host', '-p', '8080:80', 'busybox']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ports are published on bridge networks/);
    const r = await lab.cli([
      'service',
      'create',
      '--name',
      'web',
      '--replicas',
      '3',
      '-p',
      '8080:80',
      'busybox',
      'sh',
      '-c',
      'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const tasks = await waitFor(
      '2 running, 1 waiting',
      async () => {
        const t = (await lab.api<Task[]>('GET', '/services/web/tasks')).body;
        return t.filter((x) => x.state === 'running').length === 2 && t.some((x) => x.state === 'pending') ? t : undefined;
      },
      60_000,
    );
    assert.match(tasks.find((t) => t.state === 'pending')!.message, /published port in use/);
    assert.deepEqual(
      tasks
        .filter((t) => t.state === 'running')
        .map((t) => t.node)
        .sort(),
      ['h1', 'h2'],
    );
    for (const [from, to] of [
      [2, 1],
      [1, 2],
    ] as const) {
      const got = await waitFor(
        `h${to}:8080 from h${from}`,
        async () => {
          return (await httpGet(from, hostAddr(to), 8080)) || undefined;
        },
        20_000,
        250,
      );
      assert.match(got, /^hello from [0-9a-z]{12}$/m);
    }
  });

  test('-p CONTAINERPORT: each container gets a free host port of its node, shown by inspect and reachable', async () => {
    const ids: string[] = [];
    for (const name of ['rp1', 'rp2']) {
      const r = await lab.cli(['run', '-d', '--name', name, '-p', '80', 'busybox', 'sh', '-c', `mkdir -p /www && echo "hello from ${name}" > /www/index.html && exec httpd -f -p 80 -h /www`]);
      assert.equal(r.code, 0, r.stderr);
      ids.push(name);
    }
    for (const name of ids) {
      const c = await waitFor(
        `${name} running`,
        async () => {
          const v = (await lab.api<{ state: string; node: string; ports: string[] }>('GET', `/containers/${name}`)).body;
          return v.state === 'running' ? v : undefined;
        },
        60_000,
        250,
      );
      const [port] = c.ports;
      assert.match(port, /^(\d+):80\/tcp$/);
      const hostPort = Number(port.split(':')[0]);
      assert.ok(hostPort >= 32768 && hostPort <= 60999, `${hostPort} in the ephemeral range`);
      const n = Number(c.node.slice(1));
      const got = await waitFor(`${name} at h${n}:${hostPort}`, async () => (await httpGet(n === 1 ? 2 : 1, hostAddr(n), hostPort)) || undefined, 20_000, 250);
      assert.match(got, new RegExp(`hello from ${name}`));
    }
    const ports = await Promise.all(ids.map(async (n) => (await lab.api<{ node: string; ports: string[] }>('GET', `/containers/${n}`)).body));
    if (ports[0].node === ports[1].node) assert.notEqual(ports[0].ports[0], ports[1].ports[0], 'two on one node never share a port');
    for (const n of ids) assert.equal((await lab.cli(['rm', '-f', n])).code, 0);
  });

  test('removing the service removes its port rules', async () => {
    assert.equal((await lab.cli(['service', 'rm', 'web'])).code, 0);
    await waitFor('no containers', async () => [...(await lab.containers(1)).values(), ...(await lab.containers(2)).values()].length === 0, 30_000, 250);
    for (const n of [1, 2]) {
      const rules = (await sh('ip', ['netns', 'exec', hostNs(n), 'iptables-save', '-t', 'nat'])).stdout;
      assert.doesNotMatch(rules, /dport 8080/, `h${n} has no DNAT for 8080 left`);
    }
    assert.equal(await httpGet(2, hostAddr(1), 8080), '');
  });
});
