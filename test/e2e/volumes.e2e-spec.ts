// End-to-end volumes in the lab: data written through one container and read through another,
// kept over container, agent and controller restarts; a service using a local volume goes back
// to the node holding it and waits while that node is down; --volumes-from runs on the source's
// node; volume rm deletes the data on its node; binds, tmpfs and read-only through the CLI; a
// volume plugin (loopfs) found by the agents and used through the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab } from '../lab/lab.js';
import { waitFor } from '../lab/sh.js';

let lab: Lab;
let plugin: ChildProcess | undefined;
type Container = { state: string; node: string; exitCode: number | null; error: string };

/** run runs a container to its end and returns its output and node. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return lab.cli(['run', '--network', 'none', ...args], 60_000);
}

async function nodeOf(name: string): Promise<string> {
  return waitFor(`${name} placed`, async () => (await lab.api<Container>('GET', `/containers/${name}`)).body.node || undefined, 30_000, 100);
}

describe('volumes', { timeout: 600_000 }, () => {
  before(async () => {
    lab = await Lab.start({ hosts: 3, controllers: 1, nodeDownMs: 3000 });
  });

  after(async () => {
    plugin?.kill('SIGTERM');
    await lab?.stop();
  });

  test('write through one container, read through the next on the volume node; restarts keep the data', async () => {
    const w = await run(['--name', 'w1', '-v', 'notes:/data', 'busybox', 'sh', '-c', 'echo hello > /data/msg']);
    assert.equal(w.code, 0, w.stderr);
    const node = await nodeOf('w1');
    const vol = (await lab.api<{ node: string }>('GET', '/volumes/notes')).body;
    assert.equal(vol.node, node, 'the volume is held by the node its first container ran on');
    for (let i = 0; i < 3; i++) {
      const r = await run(['--rm', '-v', 'notes:/data:ro', 'busybox', 'cat', '/data/msg']);
      assert.equal(r.stdout.trim(), 'hello', 'every reader lands on the volume node');
    }
    const ro = await run(['--rm', '-v', 'notes:/data:ro', 'busybox', 'sh', '-c', 'echo x > /data/msg']);
    assert.notEqual(ro.code, 0, 'read-only enforced');
    const n = Number(node.slice(1));
    await lab.stopAgent(n);
    lab.startAgent(n);
    await lab.stopController(0);
    await lab.startController(0);
    await waitFor('all ready', async () => (await lab.nodes()).every((x) => x.status === 'ready'), 30_000, 200);
    assert.equal((await run(['--rm', '-v', 'notes:/data', 'busybox', 'cat', '/data/msg'])).stdout.trim(), 'hello', 'kept over agent and controller restarts');
    const file = path.join(lab.hostDir(n), 'volumes', 'notes', '_data', 'msg');
    assert.ok(existsSync(file), 'in the agent state dir of the volume node');
    assert.equal((await lab.cli(['volume', 'rm', 'notes'])).code, 1, 'w1, stopped but not removed, still holds the volume');
  });

  test('volume rm deletes the data on its node; tmpfs and binds through the CLI', async () => {
    assert.equal((await lab.cli(['rm', 'w1'])).code, 0);
    const n = Number((await lab.api<{ node: string }>('GET', '/volumes/notes')).body.node.slice(1));
    const rm = await lab.cli(['volume', 'rm', 'notes']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await lab.api('GET', '/volumes/notes')).status, 404);
    for (const h of [1, 2, 3]) assert.equal(existsSync(path.join(lab.hostDir(h), 'volumes', 'notes')), false, `no data left on h${h} (volume was on h${n})`);
    const tmp = await run(['--rm', '--mount', 'type=tmpfs,target=/t,tmpfs-size=4m', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts']);
    assert.match(tmp.stdout, /^tmpfs \/t tmpfs .*size=4096k/m);
    const bad = await run(['--rm', '-v', '/definitely/not/here:/x', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /bind source \/definitely\/not\/here does not exist on this host/);
    const rel = await lab.cli(['run', '-v', 'rel/path:/x', 'busybox', 'true']);
    assert.equal(rel.code, 1);
    assert.match(rel.stderr, /not a volume name|absolute/);
  });

  test("--volumes-from runs on the source container's node and sees its data; rm -v removes anonymous volumes", async () => {
    assert.equal((await lab.cli(['run', '-d', '--name', 'src', '-v', '/anon', '-v', 'named2:/named', 'busybox', 'sh', '-c', 'echo a > /anon/f; echo n > /named/f; sleep 600'])).code, 0);
    const node = await nodeOf('src');
    await waitFor('src running', async () => (await lab.api<Container>('GET', '/containers/src')).body.state === 'running', 30_000, 100);
    for (let i = 0; i < 2; i++) {
      const r = await lab.cli(['run', '--network', 'none', '--name', `reader${i}`, '--volumes-from', 'src:ro', 'busybox', 'cat', '/anon/f', '/named/f'], 60_000);
      assert.equal(r.stdout.replace(/\s+/g, ''), 'an');
      assert.equal(await nodeOf(`reader${i}`), node);
      assert.equal((await lab.cli(['rm', `reader${i}`])).code, 0);
    }
    const anon = (await lab.api<Array<{ name: string; anonymous: boolean }>>('GET', '/volumes')).body.filter((v) => v.anonymous);
    assert.equal(anon.length, 1);
    assert.equal((await lab.cli(['rm', '-f', '-v', 'src'])).code, 0);
    await waitFor('the anonymous volume removed', async () => !(await lab.api<Array<{ name: string }>>('GET', '/volumes')).body.some((v) => v.name === anon[0].name), 15_000, 200);
    assert.ok(
      (await lab.api<Array<{ name: string }>>('GET', '/volumes')).body.some((v) => v.name === 'named2'),
      'named volumes stay',
    );
  });

  test("an image's VOLUME becomes an anonymous volume seeded from the image, listed, kept after rm, removed by rm -v", async () => {
    const ctx = await mkdtemp(path.join(tmpdir(), 'berth-vimg-'));
    try {
      await writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN mkdir /data && echo from-image > /data/seed\nVOLUME /data\n');
      const b = await lab.cli(['build', '-t', 'vimg:1', ctx], 300_000);
      assert.equal(b.code, 0, b.stderr);
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
    const before = new Set((await lab.api<Array<{ name: string }>>('GET', '/volumes')).body.map((v) => v.name));
    for (const [name, removeVolumes] of [
      ['img1', false],
      ['img2', true],
    ] as const) {
      const r = await run(['--name', name, 'vimg:1', 'sh', '-c', 'cat /data/seed; echo mine > /data/own']);
      assert.equal(r.stdout.trim(), 'from-image', 'seeded from the image');
      const c = (await lab.api<{ node: string; mounts: Array<{ source: string; target: string }> }>('GET', `/containers/${name}`)).body;
      const m = c.mounts.find((x) => x.target === '/data')!;
      assert.ok(m && !before.has(m.source), `${name} got a volume of its own for /data`);
      const v = (await lab.api<{ anonymous: boolean; node: string }>('GET', `/volumes/${m.source}`)).body;
      assert.deepEqual([v.anonymous, v.node], [true, c.node]);
      assert.equal((await lab.cli(['rm', ...(removeVolumes ? ['-v'] : []), name])).code, 0);
      const after = (await lab.api('GET', `/volumes/${m.source}`)).status;
      if (removeVolumes) await waitFor('removed with rm -v', async () => (await lab.api('GET', `/volumes/${m.source}`)).status === 404, 15_000, 200);
      else assert.equal(after, 200, 'rm without -v keeps it');
    }
    const pruned = await lab.cli(['volume', 'prune']);
    assert.match(pruned.stdout, /^[0-9a-f]{64}$/m, 'the one kept is anonymous and unused: prune takes it');
  });

  test('a service on a local volume goes back to its node and waits while the node is down', async () => {
    assert.equal((await lab.cli(['service', 'create', '--name', 'db', '--replicas', '2', '-v', 'dbdata:/d', 'busybox', 'sh', '-c', 'echo $(hostname) >> /d/log; sleep 600'])).code, 0);
    const tasks = await waitFor(
      '2 running',
      async () => {
        const t = (await lab.api<Array<{ state: string; node: string }>>('GET', '/services/db/tasks')).body.filter((x) => x.state === 'running');
        return t.length === 2 ? t : undefined;
      },
      60_000,
    );
    assert.equal(tasks[0].node, tasks[1].node, 'both on the node holding dbdata');
    const n = Number(tasks[0].node.slice(1));
    await lab.stopAgent(n, 'SIGKILL');
    const waiting = await waitFor(
      'tasks waiting for their node',
      async () => {
        const t = (await lab.api<Array<{ state: string; desiredState: string; message: string; node: string }>>('GET', '/services/db/tasks')).body.filter(
          (x) => x.desiredState === 'running' && x.state === 'pending',
        );
        return t.length === 2 ? t : undefined;
      },
      30_000,
      250,
    );
    assert.match(waiting[0].message, /not the node holding volume dbdata/);
    lab.startAgent(n);
    const back = await waitFor(
      '2 running again',
      async () => {
        const t = (await lab.api<Array<{ state: string; node: string }>>('GET', '/services/db/tasks')).body.filter((x) => x.state === 'running');
        return t.length === 2 ? t : undefined;
      },
      60_000,
      250,
    );
    assert.deepEqual(
      back.map((t) => t.node),
      [`h${n}`, `h${n}`],
    );
    assert.equal((await lab.cli(['service', 'rm', 'db'])).code, 0);
  });

  test('a volume plugin: agents report it, volumes of its driver are made, used and removed through it', async () => {
    const bad = await lab.cli(['volume', 'create', '-d', 'loopfs', 'pv']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown volume driver "loopfs"/);
    const root = path.join(lab.pluginDir, '..', 'loopfs');
    plugin = spawn(process.execPath, [path.resolve('dist/apps/volume-loopfs/src/main.js'), '--socket', path.join(lab.pluginDir, 'loopfs.sock'), '--root', root], { stdio: 'ignore' });
    await waitFor(
      'every node reports loopfs',
      async () => (await lab.api<Array<{ volumePlugins: Array<{ name: string }> }>>('GET', '/nodes')).body.every((n) => n.volumePlugins.some((p) => p.name === 'loopfs')),
      30_000,
      250,
    );
    const made = await lab.cli(['volume', 'create', '-d', 'loopfs', '-o', 'size=24m', 'pv']);
    assert.equal(made.code, 0, made.stderr);
    const w = await run(['--rm', '-v', 'pv:/data', 'busybox', 'sh', '-c', "df -k /data | tail -1 | awk '{print $2}'; echo via-plugin > /data/f"]);
    assert.equal(w.code, 0, w.stderr);
    assert.ok(Number(w.stdout.trim().split('\n')[0]) > 16_000, `a 24m filesystem: ${w.stdout}`);
    assert.equal((await run(['--rm', '-v', 'pv:/data', 'busybox', 'cat', '/data/f'])).stdout.trim(), 'via-plugin');
    assert.equal((await lab.cli(['volume', 'rm', 'pv'])).code, 0);
    assert.equal(existsSync(path.join(root, 'pv.img')), false, 'the plugin removed its image');
  });
});
