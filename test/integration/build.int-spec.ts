// The agent's builder for real: Dockerfiles built with runc in overlay snapshots against the real
// registry process, results pulled back and run; cache hits and misses; multi-stage; errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sh } from '../lab/sh.js';
import { pushBusybox, registryMissingReason, startRegistry, type RegistryProcess } from '../fixtures/registry-process.js';
import { ImageService } from '../../apps/agent/src/images/image-service.js';
import { Builder } from '../../apps/agent/src/builder/builder.js';
import type { BuildRequestOptions } from '../../apps/agent/src/builder/build-types.js';
import { DockerfileError } from '../../apps/agent/src/builder/dockerfile.js';

const skip = registryMissingReason();
const id = randomBytes(3).toString('hex');
const CGROUP_ROOT = '/sys/fs/cgroup';
let dir = '';
let registry: RegistryProcess | undefined;
let images: ImageService;
let builder: Builder;
let ctx = '';
const cgroupParent = `berth-build-${id}`;

async function build(dockerfile: string, tag: string, extra: Partial<BuildRequestOptions> = {}) {
  await writeFile(path.join(ctx, 'Dockerfile'), dockerfile);
  const lines: string[] = [];
  const t0 = performance.now();
  const result = await builder.build({ contextDir: ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: false, tag: `${registry!.host}/${tag}`, ...extra }, (l) => lines.push(l));
  return { result, lines, ms: performance.now() - t0 };
}

/** runImage pulls the built image into a fresh image store and runs a command in its rootfs with runc. */
async function runImage(ref: string, cmd: string[]): Promise<string> {
  const fresh = new ImageService(path.join(dir, `run-${randomBytes(3).toString('hex')}`), [registry!.host]);
  const img = await fresh.ensure(ref);
  const view = path.join(dir, `view-${randomBytes(3).toString('hex')}`);
  await mkdir(view);
  await sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...img.layerDirs, path.join(dir, 'empty')].reverse().join(':')}`, view]);
  try {
    const env = Object.fromEntries((img.config.config?.Env ?? []).map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
    return (await sh('/usr/sbin/chroot', [view, ...cmd], { env: { PATH: '/bin:/usr/bin', ...env } })).stdout;
  } finally {
    await sh('umount', [view], { allowFail: true });
  }
}

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(tmpdir(), `berth-build-${id}-`));
  await mkdir(path.join(dir, 'empty'));
  registry = await startRegistry(dir);
  await pushBusybox(registry, dir, 'library/busybox', 'latest');
  images = new ImageService(path.join(dir, 'state'), [registry.host]);
  builder = new Builder({ stateDir: path.join(dir, 'state'), images, runcRoot: path.join(dir, 'runc'), cgroupParent, nofile: 1024, pidsLimit: 1024, insecureRegistries: [registry.host] });
  ctx = path.join(dir, 'ctx');
  await mkdir(path.join(ctx, 'app/sub'), { recursive: true });
  await writeFile(path.join(ctx, 'app/hello.txt'), 'hello from the context\n');
  await writeFile(path.join(ctx, 'app/sub/deep.txt'), 'deep\n');
  await sh('tar', ['-C', path.join(ctx, 'app'), '-czf', path.join(ctx, 'bundle.tar.gz'), 'hello.txt']);
});

after(async () => {
  if (!dir) return;
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
  for (const m of mounts.reverse()) await sh('umount', ['-l', m], { allowFail: true });
  for (const ctl of await readdir(CGROUP_ROOT).catch(() => [] as string[])) await rmdir(path.join(CGROUP_ROOT, ctl, cgroupParent)).catch(() => {});
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

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
  const img = await new ImageService(path.join(dir, 'inspect'), [registry!.host]).ensure(result.tag);
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
  const layersBefore = await readdir(path.join(dir, 'state', 'layers'));
  const again = await build(EVERYTHING, 'test/all:2', { buildArgs: { GREETING: 'hello' } });
  assert.equal(again.result.manifestDigest.length, 71);
  assert.deepEqual(await readdir(path.join(dir, 'state', 'layers')), layersBefore, 'no new layer');
  assert.ok(!again.lines.some((l) => l.includes('Running in')), 'no RUN ran');
  assert.ok(again.ms < 1000, `rebuild took ${Math.round(again.ms)} ms`);
});

test('changing one file re-runs only the steps from the COPY that reads it', { skip }, async () => {
  const df = 'FROM busybox\nRUN echo early > /early\nCOPY app/hello.txt /h\nRUN cat /h > /copy\n';
  const a = await build(df, 'test/cache:1');
  assert.equal(a.lines.filter((l) => l.includes('Running in')).length, 2);
  await writeFile(path.join(ctx, 'app/hello.txt'), 'changed\n');
  const b = await build(df, 'test/cache:2');
  const steps = b.lines.filter((l) => l.startsWith('Step') || l.includes('Using cache') || l.includes('Running in'));
  assert.deepEqual(
    steps.map((l) => l.replace(/Running in \w+/, 'Running in').replace(/^Step (\d)\/4 : .*/, 'Step $1')),
    ['Step 1', 'Step 2', ' ---> Using cache', 'Step 3', 'Step 4', ' ---> Running in'],
  );
  assert.equal((await runImage(b.result.tag, ['cat', '/copy'])).trim(), 'changed');
  await writeFile(path.join(ctx, 'app/hello.txt'), 'hello from the context\n');
  const c = await build(df, 'test/cache:3', { noCache: true });
  assert.equal(c.lines.filter((l) => l.includes('Running in')).length, 2, '--no-cache runs everything');
});

test("a rebuilt tag replaces the builder host's local copy of it", { skip }, async () => {
  const first = await build('FROM busybox\nRUN echo one > /v\n', 'test/retag:1');
  assert.equal((await images.ensure(first.result.tag)).manifestDigest, first.result.manifestDigest);
  const second = await build('FROM busybox\nRUN echo two > /v\n', 'test/retag:1');
  assert.notEqual(second.result.manifestDigest, first.result.manifestDigest);
  assert.equal((await images.ensure(second.result.tag)).manifestDigest, second.result.manifestDigest, 'not the stale local copy');
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
  const img = await new ImageService(path.join(dir, 'inspect2'), [registry!.host]).ensure(result.tag);
  assert.equal(img.layerDirs.length, 2, 'scratch + two COPY layers');
});

test('a symlink in the image cannot aim a COPY or WORKDIR out of the rootfs', { skip }, async () => {
  const marker = `/tmp/berth-escape-${id}`;
  const df = `FROM busybox\nRUN ln -s / /escape\nCOPY app/hello.txt /escape${marker}\nWORKDIR /escape${marker}-dir\n`;
  const { result } = await build(df, 'test/escape:1');
  assert.equal(existsSync(marker), false, 'nothing written on the host');
  assert.equal(existsSync(`${marker}-dir`), false, 'no directory made on the host');
  assert.equal((await runImage(result.tag, ['cat', marker])).trim(), 'hello from the context', 'it landed inside the image');
});

test('a failing RUN shows its output and exit code, and nothing is pushed', { skip }, async () => {
  const lines: string[] = [];
  await writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo about to fail && exit 7\n');
  await assert.rejects(
    builder.build({ contextDir: ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: false, tag: `${registry!.host}/test/fail:1` }, (l) => lines.push(l)),
    /returned a non-zero code: 7 \(Dockerfile line 2\)/,
  );
  assert.ok(lines.includes('about to fail'));
  assert.equal((await fetch(`http://${registry!.host}/v2/test/fail/manifests/1`)).status, 404);
  assert.ok(!existsSync(path.join(dir, 'state', 'build')) || (await readdir(path.join(dir, 'state', 'build'))).length === 0, 'work dirs cleaned');
});

test('errors name the Dockerfile line: syntax, missing files, unknown stages and base images', { skip }, async () => {
  const fails: Array<[string, RegExp]> = [
    ['FROM busybox\nRUNN true\n', /line 2: unknown instruction: RUNN/],
    ['FROM busybox\nCOPY nope.txt /\n', /line 2: COPY nope.txt: no such file or directory/],
    ['FROM busybox\nCOPY ../../etc/passwd /\n', /line 2: COPY ..\/..\/etc\/passwd/],
    ['FROM busybox\nCOPY --from=ghost /x /\n', /line 2: --from=ghost/],
    [`FROM ${registry ? registry.host : 'x'}/library/nothing:1\n`, /line 1: FROM .*nothing/],
    ['FROM busybox\nADD http://example.com/x /\n', /line 2: ADD from a URL is not supported/],
  ];
  for (const [df, re] of fails) {
    await writeFile(path.join(ctx, 'Dockerfile'), df);
    await assert.rejects(
      builder.build({ contextDir: ctx, dockerfile: 'Dockerfile', buildArgs: {}, noCache: false, tag: `${registry!.host}/test/err:1` }, () => {}),
      (e: Error) => e instanceof DockerfileError && re.test(e.message),
      df,
    );
  }
});
