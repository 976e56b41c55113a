// The default seccomp profile: what a default container may and may not call, and what a capability adds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seccompFor } from './seccomp.js';
import { DEFAULT_CAPS } from './bundle.js';

interface Rule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
}
const rules = (caps: string[]) => (seccompFor(caps) as { syscalls: Rule[] }).syscalls;
const allowedOutright = (caps: string[]) => new Set(rules(caps).flatMap((r) => (r.action === 'SCMP_ACT_ALLOW' && !r.args ? r.names : [])));

/** The calls issue 13 names as refused in a default container, with kexec_file_load, finit_module and swapoff beside them. */
const REFUSED = [
  'unshare',
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'mount',
  'umount2',
  'swapon',
  'swapoff',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'open_by_handle_at',
  'perf_event_open',
  'reboot',
  'setns',
];

test('a default container is refused the calls that reach past it, with EPERM, and allowed the everyday ones', () => {
  const profile = seccompFor(DEFAULT_CAPS) as { defaultAction: string; defaultErrnoRet: number; architectures: string[] };
  assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(profile.defaultErrnoRet, 1);
  assert.ok(profile.architectures.includes('SCMP_ARCH_X86_64'));
  const allowed = allowedOutright(DEFAULT_CAPS);
  for (const call of REFUSED) assert.ok(!allowed.has(call), `${call} is allowed`);
  for (const call of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'epoll_wait', 'socket', 'chroot', 'ptrace', 'setuid']) assert.ok(allowed.has(call), `${call} is refused`);
});

test('clone may not make namespaces, and clone3 answers ENOSYS so the C library falls back to clone', () => {
  const clone = rules(DEFAULT_CAPS).filter((r) => r.names.includes('clone'));
  assert.deepEqual(clone, [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }]);
  assert.deepEqual(
    rules(DEFAULT_CAPS).find((r) => r.names.includes('clone3')),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  );
});

test('a capability allows its calls: CAP_SYS_ADMIN mount, unshare and any clone; CAP_SYS_MODULE modules', () => {
  const admin = allowedOutright([...DEFAULT_CAPS, 'CAP_SYS_ADMIN']);
  for (const call of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3']) assert.ok(admin.has(call), call);
  assert.ok(!admin.has('init_module') && !admin.has('keyctl'));
  assert.ok(allowedOutright([...DEFAULT_CAPS, 'CAP_SYS_MODULE']).has('init_module'));
});
