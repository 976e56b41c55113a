// End-to-end images: Docker's own client and skopeo against the cluster registry with token
// auth, and what they push running on the lab's agents.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { Lab } from '../lab/lab.js';
import { sh, waitFor } from '../lab/sh.js';
import { dockerMissingReason, startDockerd, type Dockerd } from '../fixtures/dockerd.js';

let lab: Lab;
const dockerMissing = dockerMissingReason();

async function runOutput(image: string, ...cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return lab.cli(['run', '--network', 'none', image, ...cmd], 120_000);
}

describe('images', { timeout: 600_000 }, () => {
  before(async () => {
    lab = await Lab.start({ hosts: 2, controllers: 1 });
    for (const args of [
      ['registry', 'user', 'add', 'dev', '-p', 'dev-password'],
      ['registry', 'repo', 'grant', 'team/app', 'dev', 'pull,push'],
      ['registry', 'repo', 'visibility', 'library/busybox', 'public'],
    ]) {
      const r = await lab.cli(args);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    await lab?.stop();
  });

  test('skopeo: private repositories need credentials and a grant; public ones pull anonymously', async () => {
    const src = `docker://${lab.registry}/library/busybox:latest`;
    const dst = `docker://${lab.registry}/team/app:skopeo`;
    const anon = await sh('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', src, dst], { allowFail: true, timeoutMs: 60_000 });
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /denied|unauthorized/i);
    await sh('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', 'dev:dev-password', src, dst], { timeoutMs: 60_000 });
    const tags = JSON.parse((await sh('skopeo', ['list-tags', '--tls-verify=false', '--creds', 'dev:dev-password', `docker://${lab.registry}/team/app`])).stdout) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['skopeo']);
    const wrong = await sh('skopeo', ['inspect', '--tls-verify=false', '--creds', 'dev:not-the-password', `${dst}`], { allowFail: true });
    assert.notEqual(wrong.code, 0);
    const r = await runOutput(`${lab.registry}/team/app:skopeo`, 'echo', 'pushed by skopeo, run by berth');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pushed by skopeo, run by berth/);
  });

  test('docker login, push and pull work unmodified; the pushed image runs on an agent', { skip: dockerMissing }, async () => {
    let docker: Dockerd | undefined;
    try {
      docker = await startDockerd(path.join(lab.runDir, 'docker'), ['--insecure-registry', lab.registry]);
      const tar = path.join(lab.runDir, 'busybox.tar');
      const ref = `${lab.registry}/team/app:docker`;
      await docker.docker(['import', '--change', 'CMD ["sh"]', tar, ref]);
      const denied = await docker.docker(['push', ref], { allowFail: true });
      assert.notEqual(denied.code, 0, 'no login, no push');
      const login = await docker.docker(['login', '--username', 'dev', '--password-stdin', lab.registry], { input: 'dev-password' });
      assert.match(login.stdout, /Login Succeeded/);
      const bad = await docker.docker(['login', '--username', 'dev', '--password-stdin', lab.registry], { input: 'wrong', allowFail: true });
      assert.notEqual(bad.code, 0);
      await docker.docker(['login', '--username', 'dev', '--password-stdin', lab.registry], { input: 'dev-password' });
      await docker.docker(['push', ref]);
      await docker.docker(['rmi', ref]);
      await docker.docker(['pull', ref]);
      const digest = (await docker.docker(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref])).stdout.trim();
      assert.match(digest, /@sha256:[0-9a-f]{64}$/);
      const r = await runOutput(ref, 'echo', 'pushed by docker, run by berth');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pushed by docker, run by berth/);
      await docker.docker(['logout', lab.registry]);
      const anonPull = await docker.docker(['pull', ref], { allowFail: true });
      assert.notEqual(anonPull.code, 0, 'a private repository needs a login to pull');
    } finally {
      await docker?.stop();
    }
  });

  test('berth login checks the password and image import pushes as that user', async () => {
    const home = path.join(lab.runDir, 'home');
    const bad = await lab.cli(['login', '-u', 'dev', '-p', 'wrong-password'], 30_000, { HOME: home });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /login to .* failed/);
    const ok = await lab.cli(['login', '-u', 'dev', '--password', 'dev-password'], 30_000, { HOME: home });
    assert.equal(ok.code, 0, ok.stderr);
    const tar = path.join(lab.runDir, 'busybox.tar');
    const denied = await lab.cli(['image', 'import', tar, 'team/other:1'], 60_000, { HOME: home });
    assert.equal(denied.code, 1, 'dev has no push on team/other');
    const pushed = await lab.cli(['image', 'import', tar, 'team/app:imported'], 60_000, { HOME: home });
    assert.equal(pushed.code, 0, pushed.stderr);
    await waitFor('the tag listed', async () => (await lab.cli(['image', 'ls'])).stdout.includes('imported'), 10_000);
  });

  test('berth build runs on one host, pushes, and the image runs on the other; a failing RUN fails the build', async () => {
    const ctx = path.join(lab.runDir, 'ctx');
    await mkdir(path.join(ctx, 'secret'), { recursive: true });
    await writeFile(path.join(ctx, 'message.txt'), 'built by berth\n');
    await writeFile(path.join(ctx, 'secret', 'key'), 'do not send\n');
    await writeFile(path.join(ctx, '.dockerignore'), 'secret\n');
    await writeFile(
      path.join(ctx, 'Dockerfile'),
      ['FROM busybox', 'ARG NAME=nobody', 'COPY message.txt /msg', 'RUN echo "hello $NAME" >> /msg && test ! -e /secret', 'CMD ["sh", "-c", "cat /msg; while true; do sleep 1; done"]', ''].join('\n'),
    );
    const built = await lab.cli(['build', '-t', 'team/app:built', '--build-arg', 'NAME=cluster', ctx], 300_000);
    assert.equal(built.code, 0, built.stderr + built.stdout);
    assert.match(built.stdout, /Step 1\/5 : FROM busybox/);
    assert.match(built.stdout, /Successfully tagged .*team\/app:built/);
    const builder = [1, 2].find((n) => lab.agentLog(n).includes('built '));
    assert.ok(builder, 'an agent logged the build');
    const svc = await lab.cli(['service', 'create', '--name', 'built', '--replicas', '2', `${lab.registry}/team/app:built`]);
    assert.equal(svc.code, 0, svc.stderr);
    const logs = await waitFor(
      'both replicas print the built file',
      async () => {
        const l = await lab.cli(['service', 'logs', 'built']);
        return (l.stdout.match(/hello cluster/g) ?? []).length >= 2 ? l.stdout : undefined;
      },
      90_000,
    );
    assert.match(logs, new RegExp(`built\\.\\d@h${builder === 1 ? 2 : 1} \\| hello cluster`), 'it runs on the host that did not build it');
    assert.match(logs, /built by berth/);

    await writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo going down && exit 3\n');
    const failed = await lab.cli(['build', '-t', 'team/app:broken', ctx], 300_000);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /going down/);
    assert.match(failed.stderr, /returned a non-zero code: 3/);
    const tags = await lab.cli(['image', 'ls']);
    assert.doesNotMatch(tags.stdout, /broken/);
  });

  test('image pull shows per-layer progress on every node; prune removes only what no container uses', async () => {
    const pulled = await lab.cli(['image', 'pull', 'team/app:imported'], 120_000);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.deepEqual(
      pulled.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[0])
        .sort(),
      ['h1', 'h2'],
    );
    assert.match(pulled.stderr, /h[12]: [0-9a-f]{12}: (Pull complete|Already exists)/);
    const missing = await lab.cli(['image', 'pull', '--node', 'h1', 'team/nothing:1'], 60_000);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pull failed on h1: .*(not found|denied)/);
    const before = await lab.cli(['service', 'ps', 'built']);
    const prune = await lab.cli(['image', 'prune'], 120_000);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /h1: removed \d+ image\(s\)/);
    assert.match(prune.stdout, /team\/app:imported/, 'the pulled but unused image went');
    assert.doesNotMatch(prune.stdout, /team\/app:(built|skopeo)/, 'images of containers stay, running or not');
    const after = await lab.cli(['service', 'ps', 'built']);
    assert.equal((after.stdout.match(/running/g) ?? []).length, (before.stdout.match(/running/g) ?? []).length, 'running containers are untouched');
    const gc = await lab.cli(['registry', 'gc'], 120_000);
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stdout, /"blobsRemoved":\d+/);
    const again = await lab.cli(['run', '--network', 'none', `${lab.registry}/team/app:built`, 'cat', '/msg'], 120_000);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /hello cluster/);
  });
});
