// The agent's builder for real: Dockerfiles built with runc in overlay snapshots against the real
// registry process, results pulled back and run; cache hits and misses; multi-stage; errors. In a
// network namespace of the test's own, as RUN steps join the default bridge network.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ImageService } from '../../apps/agent/src/images/image-service.js';
import { DockerfileError } from '../../apps/agent/src/builder/dockerfile.js';
import { ownNetns } from '../fixtures/runtime-host.js';
import { buildHost } from '../fixtures/build-host.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const host = buildHost();
  const { build, runImage } = host;
  const skip = host.skip || undefined;
  before(() => host.setup());
  after(() => host.cleanup());

  const EVERYTHING = `ARG GREETING=hi
FROM busybox AS base
ARG GREETING
ENV APP_HOME=/srv/app WHO="the builder"
WORKDIR $APP_HOME
COPY app/ ./
COPY --chown=1:1 app/hello.txt /owned/
ADD bundle.tar.gz /unpacked/
RUN echo "$GREETING from $WHO" > greeting.txt && rm -f sub/deep.txt && mkdir -p /tmp/x
LABEL org.example.role=test
EXPOSE 8080 53/udp
VOLUME /data
USER 1:1
HEALTHCHECK --interval=5s --retries=2 CMD cat greeting.txt
STOPSIGNAL SIGINT
SHELL ["/bin/sh", "-c"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat greeting.txt"]
`;

  test('every instruction: the image has the files, the config and the history they make', { skip }, async () => {
    const { result, lines } = await build(EVERYTHING, 'test/all:1', { buildArgs: { GREETING: 'hello' } });
    assert.match(result.manifestDigest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(lines.some((l) => l.startsWith('Step 1/')));
    const img = await new ImageService(path.join(host.dir, 'inspect'), [host.registry!.host]).ensure(result.tag);
    const c = img.config.config!;
    assert.equal(c.WorkingDir, '/srv/app');
    assert.ok(c.Env!.includes('APP_HOME=/srv/app') && c.Env!.includes('WHO=the builder'));
    assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(c.Cmd, ['cat greeting.txt']);
    assert.equal(c.User, '1:1');
    assert.equal(c.StopSignal, 'SIGINT');
    assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(c.Volumes, { '/data': {} });
    assert.equal(c.Labels?.['org.example.role'], 'test');
    assert.deepEqual(c.Healthcheck?.Test, ['CMD-SHELL', 'cat greeting.txt']);
    assert.equal(c.Healthcheck?.Interval, 5e9);
    assert.equal((await runImage(result.tag, ['cat', '/srv/app/greeting.txt'])).trim(), 'hello from the builder');
    assert.equal((await runImage(result.tag, ['cat', '/srv/app/hello.txt'])).trim(), 'hello from the context');
    assert.equal((await runImage(result.tag, ['cat', '/unpacked/hello.txt'])).trim(), 'hello from the context', 'ADD extracted the archive');
    assert.equal((await runImage(result.tag, ['sh', '-c', 'test -e /srv/app/sub/deep.txt && echo present || echo deleted'])).trim(), 'deleted', 'a whiteout hides the file the RUN removed');
    assert.equal((await runImage(result.tag, ['stat', '-c', '%u:%g', '/owned/hello.txt'])).trim(), '1:1');
    assert.equal((await runImage(result.tag, ['stat', '-c', '%a', '/tmp'])).trim(), '1777', 'parents keep their modes');
  });

  test('an unchanged rebuild hits the cache for every step, makes no layer and takes under a second', { skip }, async () => {
    await build(EVERYTHING, 'test/all:2', { buildArgs: { GREETING: 'hello' } });
    const layersBefore = await readdir(path.join(host.dir, 'state', 'layers'));
    const again = await build(EVERYTHING, 'test/all:2', { buildArgs: { GREETING: 'hello' } });
    assert.equal(again.result.manifestDigest.length, 71);
    assert.deepEqual(await readdir(path.join(host.dir, 'state', 'layers')), layersBefore, 'no new layer');
    assert.ok(!again.lines.some((l) => l.includes('Running in')), 'no RUN ran');
    assert.ok(again.ms < 1000, `rebuild took ${Math.round(again.ms)} ms`);
  });

  test('changing one file re-runs only the steps from the COPY that reads it', { skip }, async () => {
    const df = 'FROM busybox\nRUN echo early > /early\nCOPY app/hello.txt /h\nRUN cat /h > /copy\n';
    const a = await build(df, 'test/cache:1');
    assert.equal(a.lines.filter((l) => l.includes('Running in')).length, 2);
    await writeFile(path.join(host.ctx, 'app/hello.txt'), 'changed\n');
    const b = await build(df, 'test/cache:2');
    const steps = b.lines.filter((l) => l.startsWith('Step') || l.includes('Using cache') || l.includes('Running in'));
    assert.deepEqual(
      steps.map((l) => l.replace(/Running in \w+/, 'Running in').replace(/^Step (\d)\/4 : .*/, 'Step $1')),
      ['Step 1', 'Step 2', ' ---> Using cache', 'Step 3', 'Step 4', ' ---> Running in'],
    );
    assert.equal((await runImage(b.result.tag, ['cat', '/copy'])).trim(), 'changed');
    await writeFile(path.join(host.ctx, 'app/hello.txt'), 'hello from the context\n');
    const c = await build(df, 'test/cache:3', { noCache: true });
    assert.equal(c.lines.filter((l) => l.includes('Running in')).length, 2, '--no-cache runs everything');
  });

  test("a rebuilt tag replaces the builder host's local copy of it", { skip }, async () => {
    const first = await build('FROM busybox\nRUN echo one > /v\n', 'test/retag:1');
    assert.equal((await host.images.ensure(first.result.tag)).manifestDigest, first.result.manifestDigest);
    const second = await build('FROM busybox\nRUN echo two > /v\n', 'test/retag:1');
    assert.notEqual(second.result.manifestDigest, first.result.manifestDigest);
    assert.equal((await host.images.ensure(second.result.tag)).manifestDigest, second.result.manifestDigest, 'not the stale local copy');
  });

  test('multi-stage: COPY --from an earlier stage, --target stops early, scratch bases', { skip }, async () => {
    const df = `FROM busybox AS tools
RUN mkdir /out && echo built-in-stage-one > /out/artifact
FROM scratch AS final
COPY --from=tools /out/artifact /artifact
COPY --from=tools /bin/busybox /bin/busybox
FROM busybox AS unused
RUN exit 1
`;
    const { result, lines } = await build(df, 'test/multi:1', { target: 'final' });
    assert.ok(!lines.some((l) => l.includes('exit 1')), 'the unused stage did not run');
    assert.equal((await runImage(result.tag, ['/bin/busybox', 'cat', '/artifact'])).trim(), 'built-in-stage-one');
    const img = await new ImageService(path.join(host.dir, 'inspect2'), [host.registry!.host]).ensure(result.tag);
    assert.equal(img.layerDirs.length, 2, 'scratch + two COPY layers');
  });

  test('a symlink in the image cannot aim a COPY or WORKDIR out of the rootfs', { skip }, async () => {
    const marker = `/tmp/berth-escape-${host.id}`;
    const df = `FROM busybox\nRUN ln -s / /escape\nCOPY app/hello.txt /escape${marker}\nWORKDIR /escape${marker}-dir\n`;
    const { result } = await build(df, 'test/escape:1');
    assert.equal(existsSync(marker), false, 'nothing written on the host');
    assert.equal(existsSync(`${marker}-dir`), false, 'no directory made on the host');
    assert.equal((await runImage(result.tag, ['cat', marker])).trim(), 'hello from the context', 'it landed inside the image');
  });

  test('a failing RUN shows its output and exit code, and nothing is pushed', { skip }, async () => {
    const lines: string[] = [];
    await writeFile(path.join(host.ctx, 'Dockerfile'), 'FROM busybox\nRUN echo about to fail && exit 7\n');
    await assert.rejects(
      host.builder.build({ contextDir: host.ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: false, tag: `${host.registry!.host}/test/fail:1` }, (l) => lines.push(l)),
      /returned a non-zero code: 7 \(Dockerfile line 2\)/,
    );
    assert.ok(lines.includes('about to fail'));
    assert.equal((await fetch(`http://${host.registry!.host}/v2/test/fail/manifests/1`)).status, 404);
    assert.ok(!existsSync(path.join(host.dir, 'state', 'build')) || (await readdir(path.join(host.dir, 'state', 'build'))).length === 0, 'work dirs cleaned');
  });

  test('errors name the Dockerfile line: syntax, missing files, unknown stages and base images', { skip }, async () => {
    const fails: Array<[string, RegExp]> = [
      ['FROM busybox\nRUNN true\n', /line 2: unknown instruction: RUNN/],
      ['FROM busybox\nCOPY nope.txt /\n', /line 2: COPY nope.txt: no such file or directory/],
      ['FROM busybox\nCOPY ../../etc/passwd /\n', /line 2: COPY ..\/..\/etc\/passwd/],
      ['FROM busybox\nCOPY --from=ghost /x /\n', /line 2: --from=ghost/],
      [`FROM ${host.registry ? host.registry.host : 'x'}/library/nothing:1\n`, /line 1: FROM .*nothing/],
      ['FROM busybox\nADD http://example.com/x /\n', /line 2: ADD from a URL is not supported/],
    ];
    for (const [df, re] of fails) {
      await writeFile(path.join(host.ctx, 'Dockerfile'), df);
      await assert.rejects(
        host.builder.build({ contextDir: host.ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: false, tag: `${host.registry!.host}/test/err:1` }, () => {}),
        (e: Error) => e instanceof DockerfileError && re.test(e.message),
        df,
      );
    }
  });
}
