// End-to-end networks on a lab host: user-defined bridge networks connect their own containers,
// are isolated from each other and from the default bridge, internal ones reach nothing outside,
// and a removed network leaves no bridge or rule behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../lab/lab.js';
import { sh, waitFor } from '../lab/sh.js';
import { hostNs, LAB_GATEWAY } from '../lab/net.js';

let lab: Lab;

async function runDetached(name: string, network: string): Promise<string> {
  const r = await lab.cli(['run', '-d', '--name', name, '--network', network, 'busybox', 'sleep', '600']);
  assert.equal(r.code, 0, r.stderr);
  return waitFor(
    `${name} has an address`,
    async () => {
      const c = JSON.parse((await lab.cli(['inspect', name])).stdout || '{}') as { address?: string; state?: string };
      return c.state === 'running' && c.address ? c.address : undefined;
    },
    60_000,
  );
}

/** reach pings `ip` once from a fresh container on `network`: true when it answered. */
async function reach(network: string, ip: string): Promise<boolean> {
  const r = await lab.cli(['run', '--rm', '--network', network, 'busybox', 'ping', '-c', '1', '-W', '1', ip], 60_000);
  return r.code === 0;
}

/** lookupAddrs resolves a name from a fresh container on network `app`. */
async function lookupAddrs(name: string): Promise<string[]> {
  const r = await lab.cli(['run', '--rm', '--network', 'app', 'busybox', 'nslookup', name], 60_000);
  return r.code === 0 ? [...r.stdout.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]) : [];
}

describe('networks', { timeout: 600_000 }, () => {
  before(async () => {
    lab = await Lab.start({ hosts: 1, controllers: 1 });
  });

  after(async () => {
    await lab?.stop();
  });

  test('containers reach each other on their network only; internal networks reach nothing outside', async () => {
    for (const args of [['front'], ['back', '--subnet', '10.44.0.0/24'], ['vault', '--internal']]) {
      const r = await lab.cli(['network', 'create', ...args]);
      assert.equal(r.code, 0, r.stderr);
    }
    const ls = await lab.cli(['network', 'ls']);
    assert.match(ls.stdout, /front +bridge +local +10\.211\.0\.0\/24/);
    const front = await runDetached('f1', 'front');
    const back = await runDetached('b1', 'back');
    const vault = await runDetached('v1', 'vault');
    const dflt = await runDetached('d1', 'bridge');
    assert.match(back, /^10\.44\.0\.\d+$/);
    assert.ok(await reach('front', front), 'same network');
    assert.ok(await reach('vault', vault), 'same internal network');
    assert.ok(!(await reach('back', front)), 'back cannot reach front');
    assert.ok(!(await reach('front', back)), 'front cannot reach back');
    assert.ok(!(await reach('bridge', front)), 'the default bridge cannot reach front');
    assert.ok(!(await reach('front', dflt)), 'front cannot reach the default bridge');
    assert.ok(await reach('front', LAB_GATEWAY), 'front goes out through NAT');
    assert.ok(!(await reach('vault', LAB_GATEWAY)), 'an internal network does not');
    assert.ok(!(await reach('front', vault)), 'nor can anyone reach into it');
  });

  test('a network in use stays; removed with its last container, it leaves no bridge or rule on the host', async () => {
    const busy = await lab.cli(['network', 'rm', 'front']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /in use/);
    const bridge = (JSON.parse((await lab.cli(['network', 'inspect', 'front'])).stdout) as { id: string }).id.slice(0, 12);
    assert.equal((await sh('ip', ['-n', hostNs(1), 'link', 'show', `bn-${bridge}`], { allowFail: true })).code, 0, 'the bridge exists while used');
    for (const c of ['f1', 'b1', 'v1', 'd1']) assert.equal((await lab.cli(['rm', '-f', c])).code, 0);
    await waitFor('front unused', async () => (await lab.cli(['network', 'rm', 'front'])).code === 0, 30_000, 500);
    await waitFor('the bridge gone', async () => (await sh('ip', ['-n', hostNs(1), 'link', 'show', `bn-${bridge}`], { allowFail: true })).code !== 0, 30_000, 200);
    const rules = (await sh('ip', ['netns', 'exec', hostNs(1), 'iptables-save'])).stdout;
    assert.doesNotMatch(rules, new RegExp(`bn-${bridge}`), 'no iptables rule mentions it');
    const pruned = await lab.cli(['network', 'prune']);
    assert.match(pruned.stdout, /back[\s\S]*vault|vault[\s\S]*back/);
  });

  test('on a user-defined network, service, task and container names resolve, and follow scaling', async () => {
    assert.equal((await lab.cli(['network', 'create', 'app'])).code, 0);
    assert.equal((await lab.cli(['service', 'create', '--name', 'api', '--replicas', '2', '--endpoint-mode', 'dnsrr', '--network', 'app', 'busybox', 'sleep', '600'])).code, 0);
    const lookup = async (name: string) => {
      const r = await lab.cli(['run', '--rm', '--network', 'app', 'busybox', 'nslookup', name], 60_000);
      return r.code === 0 ? [...r.stdout.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]).sort() : undefined;
    };
    const addresses = async () =>
      (await lab.api<Array<{ state: string; address: string }>>('GET', '/services/api/tasks')).body
        .filter((t) => t.state === 'running')
        .map((t) => t.address)
        .sort();
    const two = await waitFor('2 tasks with addresses', async () => ((await addresses()).length === 2 ? addresses() : undefined), 60_000);
    assert.deepEqual(await lookup('api'), two, 'with endpoint mode dnsrr the service name lists every task');
    assert.equal((await lab.cli(['service', 'create', '--name', 'front', '--replicas', '1', '--network', 'app', 'busybox', 'sleep', '600'])).code, 0);
    const vip = (JSON.parse((await lab.cli(['service', 'inspect', 'front'])).stdout) as { vip: string }).vip;
    await waitFor('front gives its virtual IP', async () => JSON.stringify(await lookup('front')) === JSON.stringify([vip]), 60_000, 250);
    assert.equal((await lab.cli(['service', 'rm', 'front'])).code, 0);
    assert.equal((await lookup('api.1'))?.length, 1, 'a task name resolves');
    const db = await runDetached('db', 'app');
    assert.deepEqual(await lookup('db'), [db], 'a container name resolves');
    assert.equal(await lookup('nothing-here'), undefined, 'an unknown name does not');
    assert.equal((await lab.cli(['service', 'scale', 'api=3'])).code, 0);
    const three = await waitFor('3 tasks', async () => ((await addresses()).length === 3 ? addresses() : undefined), 60_000);
    const t0 = Date.now();
    await waitFor('the name follows the scale-up', async () => JSON.stringify(await lookup('api')) === JSON.stringify(three), 10_000, 100);
    assert.ok(Date.now() - t0 < 5_000);
    assert.equal((await lab.cli(['service', 'scale', 'api=1'])).code, 0);
    await waitFor('the name follows the scale-down', async () => (await lookup('api'))?.length === 1, 30_000, 200);
    const other = await lab.cli(['run', '--rm', '--network', 'bridge', 'busybox', 'nslookup', 'api'], 60_000);
    assert.notEqual(other.code, 0, 'names are per network: the default bridge has none');
  });

  test('a restarted agent removes network leftovers no container uses, and nothing else', async () => {
    const ns = hostNs(1);
    const ip = (...args: string[]) => sh('ip', ['-n', ns, ...args]);
    await ip('link', 'add', 'bn-stale0000000', 'type', 'bridge');
    await ip('link', 'add', 'vx-orphan000000', 'type', 'vxlan', 'id', '999', 'dstport', '4789');
    // An overlay's host pieces with no container: its VXLAN device and the host's macvlan on it.
    await ip('link', 'add', 'vx-stale1111111', 'type', 'vxlan', 'id', '998', 'dstport', '4789');
    await ip('link', 'add', 'bn-stale1111111', 'link', 'vx-stale1111111', 'type', 'macvlan', 'mode', 'bridge');
    await sh('ip', ['netns', 'exec', ns, 'iptables', '-w', '5', '-A', 'BERTH-ISOLATION-2', '-o', 'bn-stale1111111', '-j', 'DROP']);
    await ip('link', 'add', 'br-notours00000', 'type', 'bridge');
    await sh('ip', ['netns', 'exec', ns, 'iptables', '-w', '5', '-A', 'BERTH-ISOLATION-2', '-o', 'bn-stale0000000', '-j', 'DROP']);
    await sh('ip', ['netns', 'exec', ns, 'iptables', '-w', '5', '-t', 'raw', '-A', 'OUTPUT', '-p', 'udp', '--dport', '4789', '-m', 'comment', '--comment', 'berth vxlan', '-j', 'NOTRACK']);
    const before = await lab.cli(['service', 'ps', 'api']);
    await lab.stopAgent(1);
    lab.startAgent(1);
    await waitFor('h1 ready again', async () => (await lab.nodes()).every((n) => n.status === 'ready'), 30_000, 200);
    // The agent removes devices one by one and then their rules: wait for the whole sweep.
    const gone = async (dev: string) =>
      ip('link', 'show', dev).then(
        () => false,
        () => true,
      );
    await waitFor(
      'leftovers gone',
      async () =>
        (await gone('bn-stale0000000')) &&
        (await gone('vx-orphan000000')) &&
        (await gone('vx-stale1111111')) &&
        (await gone('bn-stale1111111')) &&
        !/bn-stale0000000|bn-stale1111111|berth vxlan/.test((await sh('ip', ['netns', 'exec', ns, 'iptables-save'])).stdout),
      15_000,
      200,
    );
    assert.equal(await gone('br-notours00000'), false, "another program's bridge stays");
    assert.equal((await lab.cli(['service', 'ps', 'api'])).stdout.match(/running/g)?.length, before.stdout.match(/running/g)?.length, 'running containers untouched');
    assert.deepEqual((await lookupAddrs('api')).length, 1, 'names still served after the restart');
    await ip('link', 'del', 'br-notours00000');
  });

  test('traffic to the VIP pool that no container translated is refused on the host, never routed out', async () => {
    const rules = (await sh('ip', ['netns', 'exec', hostNs(1), 'iptables', '-S', 'FORWARD'])).stdout;
    assert.match(rules, /^-A FORWARD -d 10\.212\.0\.0\/16 .*"berth vip pool".* -j REJECT --reject-with icmp-net-unreachable$/m);
    assert.equal(rules.match(/berth vip pool/g)?.length, 1, 'once, after agent restarts too');
  });
});
