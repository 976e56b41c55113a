// RUN steps' networks (berth build --network) for real, in a network namespace of the test's own:
// on the default bridge a step fetches a file from an HTTP server the test runs, reachable from
// the bridge only at the gateway address (the namespace's own address on the test bridge); with
// `none` the same fetch cannot connect; with `host` the step shares the namespace's stack. After
// every build, failed or cancelled ones too, no namespace, veth, lease or rule of a step is left.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sh } from '../lab/sh.js';
import { ownNetns } from '../fixtures/runtime-host.js';
import { buildHost } from '../fixtures/build-host.js';
import { openStepNetwork, reclaimStepNetworks } from '../../apps/agent/src/builder/step-network.js';
import { createNetworks } from '../../apps/agent/src/network/index.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const host = buildHost();
  const skip = host.skip || undefined;
  const CONTENT = `fetched over the build network ${host.id}\n`;
  let server: Server;
  let port = 0;
  /** Peers the server answered: the address each request came from. */
  const peers: string[] = [];

  /** stepNetns: the build steps' namespaces on this machine (named berth-build-<step id>). */
  const stepNetns = async () =>
    (await sh('ip', ['netns', 'list'])).stdout
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith('berth-build-'));
  let netnsBefore: string[] = [];

  /** leftovers: what a step's network left behind — namespaces, veths, leases, records of open step networks. */
  async function leftovers(): Promise<string[]> {
    const netns = (await stepNetns()).filter((n) => !netnsBefore.includes(n));
    const veths = (await sh('ip', ['-o', 'link', 'show', 'type', 'veth'])).stdout.trim();
    const ipam = path.join(host.stateDir, 'cni', 'ipam', `berth-${host.bridge.name}`);
    const leases = (await readdir(ipam).catch(() => [] as string[])).filter((e) => /^\d+\.\d+\.\d+\.\d+$/.test(e));
    const records = await readdir(path.join(host.stateDir, 'build-netns')).catch(() => [] as string[]);
    return [...netns.map((n) => `netns ${n}`), ...(veths ? [`veths ${veths}`] : []), ...leases.map((l) => `lease ${l}`), ...records.map((r) => `record ${r}`)];
  }

  /** rules: the namespace's iptables rules (the bridge network's own stay, as docker0's do; a step adds none). */
  const rules = async () =>
    (await sh('iptables-save', [])).stdout
      .split('\n')
      .filter((l) => l.startsWith('-A '))
      .sort();

  const fetchStep = (url: string) => `FROM busybox\nRUN timeout 10 wget -q -O /fetched.txt ${url} && cat /etc/hosts > /step-hosts && cat /etc/resolv.conf > /step-resolv\n`;

  before(async () => {
    await host.setup();
    if (skip) return;
    netnsBefore = await stepNetns();
    server = createServer((req, res) => {
      peers.push(req.socket.remoteAddress ?? '');
      res.end(CONTENT);
    });
    // Inside the test's own namespace: its only addresses are loopback and the test bridge's gateway.
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.close();
    await host.cleanup();
  });

  test('on the default bridge, RUN fetches from the gateway; the file is in the image and the step leaves nothing', { skip, timeout: 120_000 }, async () => {
    const url = `http://${host.bridge.gateway}:${port}/file.txt`;
    const { result } = await host.build(fetchStep(url), 'test/net:bridge', { noCache: true });
    assert.equal(await host.runImage(result.tag, ['cat', '/fetched.txt']), CONTENT);
    const subnet = host.bridge.subnet.replace(/\.0\/24$/, '.');
    assert.ok(peers.length > 0 && peers.every((p) => p.replace(/^::ffff:/, '').startsWith(subnet)), `requests came from the bridge: ${peers.join(', ')}`);
    const hosts = await host.runImage(result.tag, ['cat', '/step-hosts']);
    assert.match(hosts, new RegExp(`^${subnet.replaceAll('.', '\\.')}\\d+\\tberth-build$`, 'm'), 'the step had its address in /etc/hosts');
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    const etc = (ref: string) => host.runImage(ref, ['ls', '-a', '/etc']);
    assert.equal(await etc(result.tag), await etc(`${host.registry!.host}/library/busybox:latest`), 'no mountpoint stub of /etc/hosts, hostname or resolv.conf in the layer');
    assert.deepEqual(await leftovers(), []);

    const rulesAfterFirst = await rules();
    await assert.rejects(host.build('FROM busybox\nRUN exit 3\n', 'test/net:fail', { noCache: true }), /returned a non-zero code: 3/);
    assert.deepEqual(await leftovers(), [], 'a failed step leaves nothing either');
    assert.deepEqual(await rules(), rulesAfterFirst, 'no rule per step');
  });

  test('with --network none the same RUN cannot connect', { skip, timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const url = `http://${host.bridge.gateway}:${port}/file.txt`;
    // The bridge build of the first test cached this very step: a step on another network must not use it.
    await writeFile(path.join(host.ctx, 'Dockerfile'), fetchStep(url));
    await assert.rejects(
      host.builder.build({ contextDir: host.ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: false, tag: `${host.registry!.host}/test/net:none`, network: 'none' }, (l) => lines.push(l)),
      /returned a non-zero code/,
    );
    assert.ok(
      lines.some((l) => /unreachable|can't connect|bad address/i.test(l)),
      `wget could not connect: ${lines.join(' | ')}`,
    );
    assert.ok(!lines.some((l) => l.includes('Using cache')), 'the bridge build of the step is not reused');
    assert.deepEqual(await leftovers(), []);
  });

  test('with --network host the step shares the stack it runs on', { skip, timeout: 120_000 }, async () => {
    const { result } = await host.build(fetchStep(`http://127.0.0.1:${port}/file.txt`), 'test/net:host', { noCache: true, network: 'host' });
    assert.equal(await host.runImage(result.tag, ['cat', '/fetched.txt']), CONTENT);
    assert.deepEqual(await leftovers(), []);
  });

  test('a build cancelled during a RUN on the bridge releases the step network', { skip, timeout: 120_000 }, async () => {
    const ctl = new AbortController();
    await writeFile(path.join(host.ctx, 'Dockerfile'), 'FROM busybox\nRUN echo step-started && sleep 60\n');
    const run = host.builder.build(
      { contextDir: host.ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: true, tag: `${host.registry!.host}/test/net:cancel` },
      (l) => {
        if (l.includes('step-started')) ctl.abort();
      },
      ctl.signal,
    );
    await assert.rejects(run, /build cancelled/);
    assert.deepEqual(await leftovers(), []);
  });

  test('an agent restart releases the network of a step it was running', { skip, timeout: 60_000 }, async () => {
    const bridge = createNetworks('/usr/lib/cni', { bridgeName: host.bridge.name, subnet: host.bridge.subnet, stateDir: host.stateDir }).get('bridge');
    const open = await openStepNetwork('bridge', 'build-0123456789ab', bridge, host.stateDir);
    assert.ok(open.address.startsWith(host.bridge.subnet.replace(/\.0\/24$/, '.')));
    assert.notDeepEqual(await leftovers(), [], 'the open step network is there');
    const said: string[] = [];
    await reclaimStepNetworks(bridge, host.stateDir, (m) => said.push(m));
    assert.deepEqual(await leftovers(), []);
    assert.match(said.join('\n'), /released the network of interrupted build step build-0123456789ab/);
  });
}
