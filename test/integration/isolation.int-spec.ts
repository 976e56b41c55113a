// A default container under the real runtime is isolated at least as Docker's defaults isolate
// one (issue 13): the seccomp filter on (Seccomp 2 in /proc/self/status) refusing the calls that
// reach past the container, Docker's capability set, a cgroup namespace, the masked /proc paths,
// and a pids limit that stops a fork bomb while the runtime goes on working. The calls are made by
// a small static C probe put into a busybox image: each prints its errno.
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import { buildSingleLayerImage, pushImage } from '#libs/oci';
import { sh } from '../lab/sh.js';
import { MASKED_PATHS } from '../../apps/agent/src/runtime/runc/bundle.js';

/** The calls, each with arguments that would do nothing harmful were it let through. */
const PROBE_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#define TRY(name, ...) do { errno = 0; long r = syscall(__VA_ARGS__); printf("%s %d\\n", name, r < 0 ? errno : 0); } while (0)
int main(void) {
  TRY("unshare", SYS_unshare, 0x10000000);
  TRY("keyctl", SYS_keyctl, 0, -3, 0);
  TRY("add_key", SYS_add_key, "user", "berth-probe", "x", 1, -2);
  TRY("bpf", SYS_bpf, 0, 0, 0);
  TRY("mount", SYS_mount, "none", "/tmp", "tmpfs", 0, 0);
  TRY("umount2", SYS_umount2, "/tmp", 0);
  TRY("swapon", SYS_swapon, "/nonexistent", 0);
  TRY("kexec_load", SYS_kexec_load, 0, 0, 0, 0);
  TRY("init_module", SYS_init_module, 0, 0, "");
  TRY("open_by_handle_at", SYS_open_by_handle_at, AT_FDCWD, 0, 0);
  TRY("perf_event_open", SYS_perf_event_open, 0, 0, -1, -1, 0);
  TRY("reboot", SYS_reboot, 0, 0, 0, 0);
  TRY("getpid", SYS_getpid);
  return 0;
}
`;
const REFUSED = ['unshare', 'keyctl', 'add_key', 'bpf', 'mount', 'umount2', 'swapon', 'kexec_load', 'init_module', 'open_by_handle_at', 'perf_event_open', 'reboot'];
const EPERM = 1;
/** The pids limit the runtime is given here: small, so the fork bomb meets it quickly. */
const PIDS_LIMIT = 64;

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  h.cfg.pidsLimit = PIDS_LIMIT;
  const gcc = sh('gcc', ['--version'], { allowFail: true }).then((r) => r.code === 0);
  let probeImage = '';
  let skip = h.skip;

  before(async () => {
    await h.setup();
    if (!skip && !(await gcc)) skip = 'gcc is missing (the test command installs it with deploy/prereqs.sh --tools)';
    if (skip) return;
    const work = path.join(h.dir, 'probe');
    await mkdir(work);
    await writeFile(path.join(work, 'probe.c'), PROBE_C);
    await sh('gcc', ['-static', '-O2', '-o', path.join(work, 'probe'), path.join(work, 'probe.c')]);
    await sh('bash', ['-c', `cp "${h.dir}/busybox.tar" "${work}/rootfs.tar" && tar -C "${work}" -rf "${work}/rootfs.tar" probe`]);
    const img = await buildSingleLayerImage(path.join(work, 'rootfs.tar'), { cmd: ['/probe'] });
    try {
      await pushImage(h.registry!.host, 'library/probe', 'latest', img);
    } finally {
      await rm(path.dirname(img.layer.path), { recursive: true, force: true });
    }
    probeImage = `${h.registry!.host}/library/probe:latest`;
  });

  after(() => h.cleanup());

  const run = async (command: string[], img?: string) => {
    const r = await h.runToEnd(h.spec(command, 'none', img));
    assert.equal(r.code, 0, r.out);
    return r.out;
  };

  test('the calls that reach past a container fail with EPERM under the seccomp filter', { skip: skip || undefined }, async (t) => {
    if (skip) return t.skip(skip);
    const out = await run(['/probe'], probeImage);
    const errnos = new Map(
      out
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([name, errno]) => [name, Number(errno)]),
    );
    for (const call of REFUSED) assert.equal(errnos.get(call), EPERM, `${call}: ${out}`);
    assert.equal(errnos.get('getpid'), 0, 'an everyday call goes through');
  });

  test("/proc/self/status shows the filter and Docker's capability set; cgroups are the container's own; masked paths read empty", { skip: skip || undefined }, async (t) => {
    if (skip) return t.skip(skip);
    const status = await run(['cat', '/proc/self/status']);
    assert.match(status, /^Seccomp:\s+2$/m);
    assert.match(status, /^CapEff:\s+00000000a80425fb$/m);
    const cgroups = (await run(['cat', '/proc/self/cgroup'])).trim().split('\n');
    assert.ok(cgroups.length > 0);
    for (const line of cgroups) assert.match(line, /:\/$/, `the host's cgroup path shows: ${line}`);
    // Of Docker's masked paths, those this kernel has (a masked path read on the host has content).
    const here = MASKED_PATHS.filter((p) => existsSync(p));
    const files = here.filter((p) => statSync(p).isFile());
    const dirs = here.filter((p) => statSync(p).isDirectory());
    assert.ok(files.includes('/proc/interrupts'), files.join(' '));
    assert.equal((await run(['sh', '-c', `cat ${files.join(' ')} | wc -c; ls -A ${dirs.join(' ')} | grep -v ':$' | grep -c .; exit 0`])).trim(), '0\n0');
  });

  test('a fork bomb stops at the pids limit, and the runtime goes on working', { skip: skip || undefined }, async (t) => {
    if (skip) return t.skip(skip);
    // An inner shell forks until a fork fails (busybox's shell then gives up); the outer one, pid 1,
    // counts what runs with its own glob, which needs no fork.
    const bomb = `i=0; while [ $i -lt ${PIDS_LIMIT * 3} ]; do sleep 30 & i=$((i+1)); done`;
    const out = await run(['sh', '-c', `sh -c '${bomb}' 2>/dev/null; set -- /proc/[0-9]*; echo $#`]);
    const n = Number(out.trim());
    assert.ok(n > PIDS_LIMIT / 2 && n <= PIDS_LIMIT, `${n} processes ran under a limit of ${PIDS_LIMIT}`);
    assert.equal((await run(['echo', 'still working'])).trim(), 'still working');
  });
}
