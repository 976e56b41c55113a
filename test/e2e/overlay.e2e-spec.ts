// End-to-end overlay: one subnet over three hosts through VXLAN, containers on different hosts
// reaching each other by ICMP and TCP, peers following scaling, and cleanup of the devices.
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
    assert.equal((await lab.cli(['network', 'create', '-d', 'overlay', 'ov'])).code, 0);
    const svc = await lab.cli(['service', 'create', '--name', 'o', '--replicas', '3', '--network', 'ov', 'busybox', 'sh', '-c',
      'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www']);
    assert.equal(svc.code, 0, svc.stderr);
    const tasks = await waitFor('3 running with addresses', async () => ((await running()).length === 3 ? running() : undefined), 60_000);
    assert.deepEqual(tasks.map((t) => t.node).sort(), ['h1', 'h2', 'h3']);
    for (const t of tasks) {
      const ping = await waitFor(`ping ${t.address} (${t.node})`, async () => {
        const r = await probe(['ping', '-c', '1', '-W', '2', t.address]);
        return r.code === 0 ? r : undefined;
      }, 20_000, 500);
      assert.match(ping.stdout, /1 packets received/);
      const http = await probe(['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${t.address} 80`]);
      assert.match(http.stdout, /hello from [0-9a-z]{12}/, `TCP to ${t.node}`);
    }
    const vx = (await sh('ip', ['-n', hostNs(1), '-d', 'link', 'show', 'type', 'vxlan'])).stdout;
    assert.match(vx, /vxlan id \d+ .*dstport 4789/);
    assert.match(vx, /mtu 1450/);
    assert.equal((await lab.cli(['service', 'scale', 'o=4'])).code, 0);
    const four = await waitFor('4 running', async () => ((await running()).length === 4 ? running() : undefined), 60_000);
    const added = four.find((t) => !tasks.some((x) => x.address === t.address))!;
    // A probe is itself a new task: the target's host learns the way back to it when its table is
    // pushed (about a second after it starts), so a probe waits up to 3 s for its answer.
    const r = await probe(['ping', '-c', '1', '-W', '3', added.address]);
    assert.equal(r.code, 0, `the new task ${added.address} answers at once`);
  });

  test('removing the service removes the VXLAN devices and bridges', async () => {
    assert.equal((await lab.cli(['service', 'rm', 'o'])).code, 0);
    for (const n of [1, 2, 3]) {
      await waitFor(`no vxlan on h${n}`, async () => !(await sh('ip', ['-n', hostNs(n), 'link', 'show', 'type', 'vxlan'])).stdout.trim(), 30_000, 250);
    }
    await waitFor('the network free', async () => (await lab.cli(['network', 'rm', 'ov'])).code === 0, 30_000, 500);
  });
});
