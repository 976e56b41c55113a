// End-to-end overlay: one subnet over three hosts through VXLAN, containers on different hosts
// reaching each other by ICMP and TCP, peers following scaling, names and virtual IPs
// cluster-wide, network connect/disconnect of a running container, and cleanup of the devices.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../lab/lab.js';
import { sh, waitFor } from '../lab/sh.js';
import { hostNs } from '../lab/net.js';

let lab: Lab;
type Task = { name: string; node: string; state: string; address: string };

async function running(): Promise<Task[]> {
  return (await lab.api<Task[]>('GET', '/services/o/tasks')).body.filter((t) => t.state === 'running' && t.address);
}

/** probe runs busybox with `args` in a new container on the overlay (wherever the scheduler puts it). */
async function probe(args: string[]): Promise<{ code: number; stdout: string }> {
  return lab.cli(['run', '--rm', '--network', 'ov', 'busybox', ...args], 60_000);
}

describe('overlay', { timeout: 600_000 }, () => {
  before(async () => {
    lab = await Lab.start({ hosts: 3, controllers: 1 });
  });

  after(async () => {
    await lab?.stop();
  });

  test('tasks on three hosts share one subnet: ping and TCP across hosts, new tasks reachable at once', async () => {
    assert.equal((await lab.cli(['network', 'create', '-d', 'overlay', '--attachable', 'ov'])).code, 0);
    const svc = await lab.cli([
      'service',
      'create',
      '--name',
      'o',
      '--replicas',
      '3',
      '--network',
      'ov',
      'busybox',
      'sh',
      '-c',
      'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www',
    ]);
    assert.equal(svc.code, 0, svc.stderr);
    const tasks = await waitFor('3 running with addresses', async () => ((await running()).length === 3 ? running() : undefined), 60_000);
    assert.deepEqual(tasks.map((t) => t.node).sort(), ['h1', 'h2', 'h3']);
    for (const t of tasks) {
      const ping = await waitFor(
        `ping ${t.address} (${t.node})`,
        async () => {
          const r = await probe(['ping', '-c', '1', '-W', '2', t.address]);
          return r.code === 0 ? r : undefined;
        },
        20_000,
        500,
      );
      assert.match(ping.stdout, /1 packets received/);
      const http = await probe(['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${t.address} 80`]);
      assert.match(http.stdout, /hello from [0-9a-z]{12}/, `TCP to ${t.node}`);
    }
    const vx = (await sh('ip', ['-n', hostNs(1), '-d', 'link', 'show', 'type', 'vxlan'])).stdout;
    assert.match(vx, /vxlan id \d+ .*dstport 4789/);
    assert.match(vx, /mtu 1450/);
    // Containers sit on macvlan interfaces over the VXLAN device (no bridge); the host's own is bn-<id>, with the gateway.
    const gw = (await sh('ip', ['-n', hostNs(1), '-d', '-o', 'link', 'show', 'type', 'macvlan'])).stdout;
    assert.match(gw, /bn-[a-z0-9]{12}@vx-[a-z0-9]{12}.*macvlan mode bridge/);
    assert.equal((await sh('ip', ['-n', hostNs(1), '-o', 'link', 'show', 'type', 'bridge'])).stdout.match(/bn-/g), null, 'no bridge for the overlay');
    assert.match((await sh('ip', ['netns', 'exec', hostNs(1), 'iptables', '-t', 'raw', '-S'])).stdout, /--dport 4789 .*"berth vxlan" -j NOTRACK/);
    assert.equal((await lab.cli(['service', 'scale', 'o=4'])).code, 0);
    const four = await waitFor('4 running', async () => ((await running()).length === 4 ? running() : undefined), 60_000);
    const added = four.find((t) => !tasks.some((x) => x.address === t.address))!;
    // A probe is itself a new task: the target's host learns the way back to it when its table is
    // pushed (about a second after it starts), so a probe waits up to 3 s for its answer.
    const r = await probe(['ping', '-c', '1', '-W', '3', added.address]);
    assert.equal(r.code, 0, `the new task ${added.address} answers at once`);
  });

  test('names are cluster-wide: the service name is a virtual IP balanced over every host; dnsrr names follow scaling', async () => {
    const ls = await lab.cli(['service', 'inspect', 'o']);
    const vip = (JSON.parse(ls.stdout) as { vip: string }).vip;
    assert.match(vip, /^10\.212\.\d+\.\d+$/);
    const hello = `for i in $(seq 12); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 o 80; done`;
    const r = await probe(['sh', '-c', `nslookup o; nslookup o.2; ${hello}`]);
    assert.match(r.stdout, new RegExp(`Name:\\s+o\\nAddress:?\\s+${vip.replace(/\./g, '\\.')}`), r.stdout);
    const task2 = (await running()).find((t) => t.name === 'o.2')!;
    assert.match(r.stdout, new RegExp(`Address:?\\s+${task2.address.replace(/\./g, '\\.')}`), 'task names resolve on every host');
    const answered = new Set([...r.stdout.matchAll(/hello from ([0-9a-z]{12})/g)].map((m) => m[1]));
    assert.ok(answered.size >= 2, `connections to the VIP reach several tasks: ${[...answered].join(', ')}`);

    assert.equal((await lab.cli(['service', 'create', '--name', 'r', '--replicas', '2', '--endpoint-mode', 'dnsrr', '--network', 'name=ov,alias=rr', 'busybox', 'sleep', '600'])).code, 0);
    // The answer's addresses follow its "Name:" lines (the resolver's own address comes before).
    const lookup = async (name: string) =>
      [
        ...(await probe(['nslookup', name])).stdout
          .split(/^Name:/m)
          .slice(1)
          .join('')
          .matchAll(/Address:?\s+(\d+\.\d+\.\d+\.\d+)/g),
      ]
        .map((m) => m[1])
        .sort();
    await waitFor('r has 2 addresses', async () => (await lookup('r')).length === 2, 30_000, 500);
    assert.equal((await lookup('rr')).length, 2, 'an alias of every task');
    assert.equal((await lab.cli(['service', 'scale', 'r=3'])).code, 0);
    await waitFor('r has 3 addresses', async () => (await lookup('r')).length === 3, 30_000, 500);
    assert.equal((await lab.cli(['service', 'rm', 'r'])).code, 0);
  });

  test('network connect and disconnect a running container; overlays are for services unless attachable', async () => {
    assert.equal((await lab.cli(['network', 'create', '-d', 'overlay', 'svconly'])).code, 0);
    const refused = await lab.cli(['run', '--network', 'svconly', 'busybox', 'true']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not attachable/);
    assert.equal((await lab.cli(['network', 'rm', 'svconly'])).code, 0);
    const started = await lab.cli(['run', '-d', '--name', 'mover', 'busybox', 'sleep', '600']);
    assert.equal(started.code, 0, started.stderr);
    await waitFor('mover running', async () => (await lab.api<{ state: string }>('GET', '/containers/mover')).body.state === 'running', 60_000, 250);
    const con = await lab.cli(['network', 'connect', '--alias', 'walker', 'ov', 'mover']);
    assert.equal(con.code, 0, con.stderr);
    const view = (await lab.api<{ networks: Array<{ name: string; address: string }> }>('GET', '/containers/mover')).body;
    const onOv = view.networks.find((n) => n.name === 'ov')!;
    assert.match(onOv.address, /^10\.211\.\d+\.\d+$/);
    const ping = await probe(['ping', '-c', '1', '-W', '3', 'walker']);
    assert.equal(ping.code, 0, `the connected container answers by its alias: ${ping.stdout}`);
    assert.equal((await lab.cli(['network', 'connect', 'ov', 'mover'])).code, 1, 'twice is an error');
    const dis = await lab.cli(['network', 'disconnect', 'ov', 'mover']);
    assert.equal(dis.code, 0, dis.stderr);
    const after = (await lab.api<{ networks: Array<{ name: string }> }>('GET', '/containers/mover')).body;
    assert.deepEqual(
      after.networks.map((n) => n.name),
      ['bridge'],
    );
    const gone = await probe(['nslookup', 'walker']);
    assert.doesNotMatch(
      gone.stdout
        .split(/^Name:/m)
        .slice(1)
        .join(''),
      /Address/,
      'its name left the overlay with it',
    );
    assert.equal((await lab.cli(['rm', '-f', 'mover'])).code, 0);
  });

  test('a restarted agent reconciles its VXLAN tables: stale entries go, missing ones come back', async () => {
    const ns = hostNs(1);
    const vx = (await sh('ip', ['-n', ns, '-o', 'link', 'show', 'type', 'vxlan'])).stdout.match(/^\d+: (vx-[^:@]+)/m)![1];
    const fdb = async () =>
      (await sh('bridge', ['-n', ns, 'fdb', 'show', 'dev', vx])).stdout
        .split('\n')
        .filter((l) => l.startsWith('02:42:'))
        .map((l) => l.split(' ').slice(0, 3).join(' '))
        .sort();
    const want = await fdb();
    assert.ok(want.length >= 2, `h1 has its peers: ${want.join(', ')}`);
    await lab.stopAgent(1);
    await sh('bridge', ['-n', ns, 'fdb', 'append', '02:42:0a:63:63:63', 'dev', vx, 'dst', '10.99.99.99', 'self', 'permanent']);
    await sh('bridge', ['-n', ns, 'fdb', 'del', want[0].split(' ')[0], 'dev', vx, 'self']);
    lab.startAgent(1);
    await waitFor('h1 ready again', async () => (await lab.nodes()).every((n) => n.status === 'ready'), 30_000, 200);
    await waitFor('the table as before', async () => JSON.stringify(await fdb()) === JSON.stringify(want), 15_000, 200);
    // The start-up sweep of leftovers kept the devices its restored containers hold: they still reach every task.
    const pid = [...(await lab.containers(1)).values()].find((c) => c.status === 'running')!.pid;
    for (const t of await running()) {
      const r = await sh('nsenter', [`--net=/proc/${pid}/ns/net`, 'busybox', 'ping', '-c', '1', '-W', '2', t.address], { allowFail: true });
      assert.match(r.stdout, /1 packets received/, `h1's container reaches ${t.address} (${t.node}) after the restart`);
    }
  });

  test('removing the service removes the VXLAN devices and bridges', async () => {
    assert.equal((await lab.cli(['service', 'rm', 'o'])).code, 0);
    for (const n of [1, 2, 3]) {
      // Devices first, then the untracking rule once no VXLAN device is left.
      await waitFor(
        `no vxlan, interface or rule left on h${n}`,
        async () =>
          !(await sh('ip', ['-n', hostNs(n), 'link', 'show', 'type', 'vxlan'])).stdout.trim() &&
          !(await sh('ip', ['-n', hostNs(n), 'link', 'show', 'type', 'macvlan'])).stdout.trim() &&
          !/berth vxlan|bn-/.test((await sh('ip', ['netns', 'exec', hostNs(n), 'iptables-save'])).stdout),
        30_000,
        250,
      );
    }
    await waitFor('the network free', async () => (await lab.cli(['network', 'rm', 'ov'])).code === 0, 30_000, 500);
  });
});
