// End-to-end: a 3-host lab with 2 controller replicas, real agents, real containers.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../lab/lab.js';
import { waitFor, sh } from '../lab/sh.js';
import { labCgroups, labMounts } from '../lab/cleanup.js';
import { leftoverNamespaces } from '../lab/net.js';

type Task = { id: string; name: string; nodeId: string; node: string; state: string; desiredState: string; slot: number };

let lab: Lab;

async function running(service: string): Promise<Task[]> {
  const r = await lab.api<Task[]>('GET', `/services/${service}/tasks`);
  return r.body.filter((t) => t.state === 'running');
}

function perNode(tasks: Task[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks) out[t.node] = (out[t.node] ?? 0) + 1;
  return out;
}

async function runningOn(n: number): Promise<string[]> {
  return [...(await lab.containers(n)).entries()].filter(([, c]) => c.status === 'running').map(([id]) => id);
}

describe('cluster', { timeout: 600_000 }, () => {
  before(async () => {
    lab = await Lab.start({ hosts: 3, controllers: 2, nodeDownMs: 3000 });
  });

  after(async () => {
    await lab?.stop();
  });

  test('agents register themselves and both replicas see them', async () => {
    for (const i of [0, 1]) {
      const nodes = (await lab.api('GET', '/nodes', undefined, i)).body as Array<{ hostname: string; status: string }>;
      assert.deepEqual(nodes.map((n) => `${n.hostname}:${n.status}`).sort(), ['h1:ready', 'h2:ready', 'h3:ready']);
    }
  });

  test('a 6-replica service spreads 2/2/2, really runs, and its logs are readable', async () => {
    const r = await lab.cli(['service', 'create', '--name', 'web', '--replicas', '6', 'busybox', 'sh', '-c', 'while true; do echo tick $(hostname); sleep 1; done']);
    assert.equal(r.code, 0, r.stderr);
    const tasks = await waitFor('6 running tasks', async () => ((await running('web')).length === 6 ? running('web') : undefined), 60_000);
    assert.deepEqual(perNode(tasks), { h1: 2, h2: 2, h3: 2 });
    for (const n of [1, 2, 3]) assert.equal((await runningOn(n)).length, 2, `runc on h${n}`);
    const logs = await waitFor(
      'service logs',
      async () => {
        const l = await lab.cli(['service', 'logs', '--tail', '2', 'web']);
        return l.code === 0 && (l.stdout.match(/\| tick /g) ?? []).length >= 6 ? l.stdout : undefined;
      },
      20_000,
    );
    assert.match(logs, /web\.\d@h[123] \| tick [a-z0-9]{12}/);
  });

  test('scale up and down', async () => {
    assert.equal((await lab.cli(['service', 'scale', 'web=9'])).code, 0);
    const up = await waitFor('9 running', async () => ((await running('web')).length === 9 ? running('web') : undefined), 60_000);
    assert.deepEqual(perNode(up), { h1: 3, h2: 3, h3: 3 });
    assert.equal((await lab.cli(['service', 'scale', 'web=3'])).code, 0, 'scale down');
    await waitFor(
      '3 running and 3 runc containers running',
      async () => {
        const total = (await runningOn(1)).length + (await runningOn(2)).length + (await runningOn(3)).length;
        return (await running('web')).length === 3 && total === 3;
      },
      60_000,
    );
    const ps = await lab.cli(['service', 'ps', 'web']);
    assert.equal(ps.stdout.trim().split('\n').length, 4, ps.stdout);
  });

  test('berth run returns the output and the exit code of the container', async () => {
    const ok = await lab.cli(['run', 'busybox', 'sh', '-c', 'echo out-line; echo err-line >&2']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /out-line/);
    assert.match(ok.stdout, /err-line/);
    const bad = await lab.cli(['run', '--name', 'exit42', 'busybox', 'sh', '-c', 'exit 42']);
    assert.equal(bad.code, 42);
    const missing = await lab.cli(['run', 'nosuchimage']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /image not found/);
    // A start that fails (no such executable) leaves nothing mounted, and the container's logs are empty.
    const noexec = await lab.cli(['run', '--name', 'noexec', 'busybox', '/no/such/binary']);
    assert.notEqual(noexec.code, 0);
    assert.match(noexec.stderr, /no such file/i);
    const failed = JSON.parse((await lab.cli(['inspect', 'noexec'])).stdout);
    assert.equal(failed.state, 'rejected');
    assert.deepEqual(
      (await labMounts()).filter((m) => m.includes(failed.taskId)),
      [],
      'no rootfs of the rejected task',
    );
    assert.deepEqual(await lab.cli(['logs', 'noexec']).then((r) => [r.code, r.stdout, r.stderr]), [0, '', '']);
    const inspect = JSON.parse((await lab.cli(['inspect', 'exit42'])).stdout);
    assert.equal(inspect.exitCode, 42);
    assert.equal(inspect.state, 'failed');
    // Output without a final newline is kept, attached and in the logs afterwards (issue 11).
    const partial = await lab.cli(['run', '--rm', 'busybox', 'printf', 'abc']);
    assert.deepEqual([partial.code, partial.stdout], [0, 'abc']);
    const mixed = await lab.cli(['run', '--name', 'partial', 'busybox', 'sh', '-c', 'printf "line1\npartial"']);
    assert.deepEqual([mixed.code, mixed.stdout], [0, 'line1\npartial']);
    const logs = await lab.cli(['logs', 'partial']);
    assert.deepEqual([logs.code, logs.stdout], [0, 'line1\npartial']);
    // --timestamps and --since, as docker's.
    const stamped = await lab.cli(['logs', '-t', '--since', '10m', 'partial']);
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z line1\n\d{4}-\d\d-\d\dT[\d:.]+Z partial$/);
    const later = await lab.cli(['logs', '--since', new Date(Date.now() + 3_600_000).toISOString(), 'partial']);
    assert.deepEqual([later.code, later.stdout], [0, '']);
    const badSince = await lab.cli(['logs', '--since', 'yesterday', 'partial']);
    assert.equal(badSince.code, 1);
    assert.match(badSince.stderr, /since must be a time/);
  });

  test("berth run takes docker run's flags end to end, and a container past its memory limit is OOMKilled", async () => {
    const envFile = path.join(lab.runDir, 'run.env');
    await writeFile(envFile, '# from a file\nFROM_FILE=yes\nBOTH=file\n');
    const r = await lab.cli([
      'run',
      '--rm',
      '-u',
      '1000:1000',
      '-w',
      '/work',
      '--hostname',
      'box',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--env-file',
      envFile,
      '-e',
      'BOTH=flag',
      '--entrypoint',
      'sh',
      'busybox',
      '-c',
      'id -u; pwd; hostname; touch /x 2>/dev/null || echo ro; grep CapEff /proc/self/status; echo $FROM_FILE $BOTH',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ')),
      ['1000', '/work', 'box', 'ro', 'CapEff: 0000000000000000', 'yes flag'],
    );
    const oom = await lab.cli(['run', '--name', 'oom', '-m', '32m', 'busybox', 'sh', '-c', 'head -c 256m /dev/zero | tail -n 1 >/dev/null']);
    assert.equal(oom.code, 137, oom.stderr);
    const inspect = JSON.parse((await lab.cli(['inspect', 'oom'])).stdout);
    assert.deepEqual([inspect.state, inspect.exitCode, inspect.error, inspect.options.memory], ['failed', 137, 'OOMKilled', 32 << 20]);
    // rename, wait and port, as docker's.
    assert.equal((await lab.cli(['rename', 'oom', 'oom-renamed'])).code, 0);
    assert.deepEqual(await lab.cli(['wait', 'oom-renamed']).then((w) => [w.code, w.stdout]), [0, '137\n']);
    const pub = await lab.cli(['run', '-d', '--name', 'pub', '-p', '80', 'busybox', 'sleep', '60']);
    assert.equal(pub.code, 0, pub.stderr);
    const hostPort = await waitFor('a host port for pub', async () => /^80\/tcp -> 0\.0\.0\.0:(\d+)\n$/.exec((await lab.cli(['port', 'pub'])).stdout)?.[1], 30_000);
    assert.equal((await lab.cli(['port', 'pub', '80/tcp'])).stdout, `0.0.0.0:${hostPort}\n`);
    const none = await lab.cli(['port', 'pub', '81']);
    assert.deepEqual([none.code, none.stderr.trim()], [1, "berth: no public port '81/tcp' published for pub"]);
    assert.equal((await lab.cli(['rm', '-f', 'pub'])).code, 0);
    const bad = await lab.cli(['run', '--cap-add', 'NOPE', 'busybox', 'true']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--cap-add: "NOPE" is not a capability/);
  });

  test('bad input gets a clear 4xx naming the field', async () => {
    const r = await lab.api('POST', '/services', { name: 'x y', image: 'busybox', replicas: -1 });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), ['name', 'replicas']);
    assert.equal((await lab.api('GET', '/services/nope')).status, 404);
    const noAuth = await fetch(`http://127.0.0.1:${lab.controllers[0].api}/api/nodes`);
    assert.equal(noAuth.status, 401);
    const cli = await lab.cli(['service', 'scale', 'web=lots']);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /SERVICE=REPLICAS/);
  });

  test('an agent with a wrong token is refused and nothing is registered', async () => {
    const bad = lab.joinToken.replace(/.{4}$/, 'zzzz');
    const p = lab.startAgent(1, { token: bad, stateDir: `${lab.hostDir(1)}-intruder` });
    const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
    assert.equal(code, 1);
    assert.equal((await lab.nodes()).length, 3);
  });

  test('kill -9 of an agent keeps its containers; the restarted agent re-adopts them', async () => {
    const before = await lab.containers(2);
    const tasksBefore = (await running('web')).map((t) => t.id).sort();
    await lab.stopAgent(2, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await lab.containers(2), before, 'containers survive the agent');
    lab.startAgent(2);
    await waitFor('h2 ready again', async () => (await lab.nodes()).find((n) => n.hostname === 'h2')?.status === 'ready', 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await lab.containers(2), before, 'same containers, same pids');
    assert.deepEqual((await running('web')).map((t) => t.id).sort(), tasksBefore, 'same tasks, nothing duplicated');
  });

  test('a host cut off loses its tasks to the others and stops them when it comes back', async () => {
    const onH3 = (await running('web')).filter((t) => t.node === 'h3');
    assert.ok(onH3.length >= 1);
    await lab.cutHost(3);
    await waitFor('h3 down', async () => (await lab.nodes()).find((n) => n.hostname === 'h3')?.status === 'down', 20_000);
    const moved = await waitFor(
      '3 running tasks off h3',
      async () => {
        const r = await running('web');
        return r.length === 3 && r.every((t) => t.node !== 'h3') ? r : undefined;
      },
      30_000,
    );
    assert.equal(moved.length, 3);
    assert.ok((await runningOn(3)).length >= 1, 'h3 still runs its old containers while cut off');
    await lab.restoreHost(3);
    await waitFor('h3 ready', async () => (await lab.nodes()).find((n) => n.hostname === 'h3')?.status === 'ready', 60_000);
    await waitFor('h3 stops the tasks it no longer owns', async () => (await runningOn(3)).length === 0, 60_000);
    assert.equal((await running('web')).length, 3);
  });

  test('a controller killed during a scale-up: the cluster converges with no lost or duplicate tasks', async () => {
    assert.equal((await lab.api('PATCH', '/services/web', { replicas: 12 }, 1)).status, 200);
    await lab.stopController(0, 'SIGKILL');
    await lab.startController(0);
    const tasks = await waitFor('12 running', async () => ((await running('web')).length === 12 ? running('web') : undefined), 90_000);
    assert.deepEqual(
      tasks.map((t) => t.slot).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
      'one task per slot',
    );
    const all = (await lab.api<Task[]>('GET', '/services/web/tasks')).body;
    assert.equal(all.filter((t) => t.desiredState === 'running').length, 12);
    const containers = (await runningOn(1)).length + (await runningOn(2)).length + (await runningOn(3)).length;
    assert.equal(containers, 12, 'exactly 12 containers run');
  });

  test('removing the service and the one-off containers removes every container everywhere', async () => {
    assert.equal((await lab.cli(['service', 'rm', 'web'])).code, 0);
    const oneOffs = JSON.parse((await lab.cli(['ps', '-a', '--json'])).stdout) as Array<{ id: string }>;
    assert.ok(oneOffs.length >= 2);
    const rm = await lab.cli(['rm', '-f', ...oneOffs.map((c) => c.id)]);
    assert.equal(rm.code, 0, rm.stderr);
    await waitFor(
      'no containers left',
      async () => {
        for (const n of [1, 2, 3]) if ((await lab.containers(n)).size) return false;
        return true;
      },
      60_000,
    );
  });

  test('teardown leaves no namespaces, mounts, cgroups or runc state', async () => {
    await lab.stop();
    assert.deepEqual(await leftoverNamespaces(), []);
    assert.deepEqual(await labMounts(), []);
    assert.deepEqual(await labCgroups(), []);
    const { stdout } = await sh('ip', ['link', 'show', 'berthlab0'], { allowFail: true });
    assert.equal(stdout, '');
  });
});
