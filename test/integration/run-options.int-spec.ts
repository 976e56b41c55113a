// docker run's options under the real runtime (conmon + runc): user, working directory,
// entrypoint and host name; a read-only root, capabilities dropped and added (the seccomp
// profile following them), no-new-privileges and seccomp=unconfined; memory, CPU, process and
// /dev/shm limits, and a container its memory limit ended reported as OOMKilled; --init (tini
// as pid 1), --ulimit, --add-host and --dns.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import type { RunOptions, TaskSpec } from '#libs/proto/messages.js';
import { runOptions } from '../fixtures/run-options.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const skip = h.skip ? { skip: h.skip } : {};
  before(() => h.setup());
  after(() => h.cleanup());

  const spec = (script: string, options: Partial<RunOptions>, network = 'none'): TaskSpec => ({ ...h.spec(['sh', '-c', script], network), options: runOptions(options) });
  const lines = async (script: string, options: Partial<RunOptions>, network = 'none') => {
    const r = await h.runToEnd(spec(script, options, network));
    assert.equal(r.code, 0, r.out);
    return r.out.trim().split('\n');
  };

  test('user, working directory, entrypoint and host name replace the image’s', skip, async () => {
    const r = await h.runToEnd({
      ...h.spec(['id -u; id -g; pwd; hostname; cat /etc/hostname'], 'none'),
      options: runOptions({ user: '1000:1000', workdir: '/srv/here', hostname: 'box', entrypoint: ['sh', '-c'], entrypointSet: true }),
    });
    assert.deepEqual(r.out.trim().split('\n'), ['1000', '1000', '/srv/here', 'box', 'box']);
  });

  test('a read-only root, no capabilities and no new privileges', skip, async () => {
    const out = await lines('touch /x 2>/dev/null && echo rw || echo ro; touch /tmp/x 2>/dev/null || echo tmp-ro; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status', {
      readOnly: true,
      capDrop: ['ALL'],
      noNewPrivileges: true,
    });
    assert.deepEqual(
      out.map((l) => l.replace(/\s+/g, ' ')),
      ['ro', 'tmp-ro', 'CapEff: 0000000000000000', 'NoNewPrivs: 1', 'Seccomp: 2'],
    );
  });

  test('CAP_SYS_ADMIN added lets mount through the seccomp filter; seccomp=unconfined turns the filter off', skip, async () => {
    assert.deepEqual(await lines('mkdir /m && mount -t tmpfs none /m && echo mounted', { capAdd: ['CAP_SYS_ADMIN'] }), ['mounted']);
    assert.deepEqual(await lines('mkdir /m && mount -t tmpfs none /m 2>/dev/null || echo refused', {}), ['refused']);
    assert.deepEqual(await lines('grep Seccomp: /proc/self/status | tr -s "\\t " " "', { seccompUnconfined: true }), ['Seccomp: 0']);
  });

  test('CPU, process and /dev/shm limits are the container’s cgroups and mounts', skip, async () => {
    const out = await lines('cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max; df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2', {
      cpus: 0.5,
      pidsLimit: 10,
      shmSizeBytes: 1 << 20,
    });
    assert.deepEqual(out, ['50000', '10', '1024']);
  });

  test('a container past its memory limit is killed and reported as OOMKilled, exit 137', skip, async () => {
    // tail keeps the current line, which never ends: it grows until the kernel kills it.
    const s = spec('head -c 256m /dev/zero | tail -n 1 >/dev/null', { memoryBytes: 32 << 20 });
    await h.rt.prepare(s);
    await h.rt.start(s.id);
    try {
      assert.equal(await h.rt.wait(s.id), 137);
      assert.equal((await h.rt.status(s.id)).oomKilled, true);
    } finally {
      await h.rt.remove(s.id);
    }
    const fine = spec('echo fine', { memoryBytes: 32 << 20 });
    await h.rt.prepare(fine);
    await h.rt.start(fine.id);
    try {
      assert.equal(await h.rt.wait(fine.id), 0);
      assert.equal((await h.rt.status(fine.id)).oomKilled, undefined, 'a container within its limit is not OOMKilled');
    } finally {
      await h.rt.remove(fine.id);
    }
  });

  test('--init puts tini at pid 1; --ulimit, --add-host and --dns reach the process and its /etc files', skip, async () => {
    const script = 'tr "\\0" " " < /proc/1/cmdline; echo; ulimit -n; ulimit -c; grep db.internal /etc/hosts; grep ^nameserver /etc/resolv.conf';
    const out = await lines(
      script,
      {
        init: true,
        ulimits: [
          { name: 'nofile', soft: 123, hard: 456 },
          { name: 'core', soft: -1, hard: -1 },
        ],
        extraHosts: ['db.internal:10.9.8.7'],
        dns: ['10.53.0.1', '10.53.0.2'],
      },
      'bridge',
    );
    assert.deepEqual(
      out.map((l) => l.trim().replace(/\s+/g, ' ')),
      [`/sbin/docker-init -- sh -c ${script}`, '123', 'unlimited', '10.9.8.7 db.internal', 'nameserver 10.53.0.1', 'nameserver 10.53.0.2'],
    );
  });
}
