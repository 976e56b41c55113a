/**
 * The default seccomp profile, with Docker's semantics: an allowlist (any
 * system call not named is refused with EPERM, new ones included), the
 * calls that reach past the container (keyrings, kernel modules, kexec,
 * mounts, namespaces, BPF, perf, swap, clock setting, reboot and the like)
 * allowed only when the container holds the capability that governs them,
 * clone refused new namespaces, and clone3 answered ENOSYS so that the C
 * library falls back to clone, whose flags the filter can see.
 * seccompFor turns it into the OCI spec's `linux.seccomp` for a set of
 * capabilities. Pure data and one function; the runtime tests name the
 * calls a default container is refused.
 */

/** Calls every container may make (x86_64 names, then the 32-bit x86 ABI's own). */
const ALLOWED = `
  accept accept4 access adjtimex alarm arch_prctl bind brk capget capset chdir chmod chown clock_getres
  clock_gettime clock_nanosleep close close_range connect copy_file_range creat dup dup2 dup3 epoll_create
  epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2
  execve execveat exit exit_group faccessat faccessat2 fadvise64 fallocate fanotify_mark fchdir fchmod
  fchmodat fchown fchownat fcntl fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat
  fstatfs fsync ftruncate futex futex_waitv futimesat get_robust_list get_thread_area getcpu getcwd getdents
  getdents64 getegid geteuid getgid getgroups getitimer getpeername getpgid getpgrp getpid getppid
  getpriority getrandom getresgid getresuid getrlimit getrusage getsid getsockname getsockopt gettid
  gettimeofday getuid getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel
  io_destroy io_getevents io_pgetevents io_setup io_submit ioctl ioprio_get ioprio_set kill
  landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lgetxattr link linkat listen
  listxattr llistxattr lremovexattr lseek lsetxattr lstat madvise membarrier memfd_create memfd_secret
  mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap modify_ldt mprotect mq_getsetattr
  mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock
  munlockall munmap nanosleep newfstatat open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2
  pkey_alloc pkey_free pkey_mprotect poll ppoll prctl pread64 preadv preadv2 prlimit64 process_mrelease
  pselect6 ptrace pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recvfrom recvmmsg
  recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
  rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
  rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr
  sched_getparam sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam
  sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop sendfile sendmmsg sendmsg
  sendto set_robust_list set_thread_area set_tid_address setfsgid setfsuid setgid setgroups setitimer
  setpgid setpriority setregid setresgid setresuid setreuid setrlimit setsid setsockopt setuid setxattr
  shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 socket socketpair splice stat statfs
  statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete
  timer_getoverrun timer_gettime timer_settime timerfd_create timerfd_gettime timerfd_settime times tkill
  truncate umask uname unlink unlinkat utime utimensat utimes vfork vmsplice wait4 waitid write writev
  _llseek _newselect chown32 clock_getres_time64 clock_gettime64 clock_nanosleep_time64 fadvise64_64
  fchown32 fcntl64 fstat64 fstatat64 fstatfs64 ftruncate64 futex_time64 getegid32 geteuid32 getgid32
  getgroups32 getresgid32 getresuid32 getuid32 io_pgetevents_time64 ipc lchown32 lstat64 mmap2
  mq_timedreceive_time64 mq_timedsend_time64 ppoll_time64 pselect6_time64 recvmmsg_time64
  rt_sigtimedwait_time64 sched_rr_get_interval_time64 semtimedop_time64 send recv sendfile64 setfsgid32
  setfsuid32 setgid32 setgroups32 setregid32 setresgid32 setresuid32 setreuid32 setuid32 sigaction
  sigpending sigprocmask sigreturn sigsuspend socketcall stat64 statfs64 timer_gettime64 timer_settime64
  timerfd_gettime64 timerfd_settime64 truncate64 ugetrlimit utimensat_time64 waitpid
`;

/** Calls allowed only to a container holding the capability (Docker's grouping). */
const BY_CAPABILITY: Record<string, string> = {
  CAP_SYS_ADMIN: `
    bpf clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr move_mount
    name_to_handle_at open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns
    umount umount2 unshare pivot_root swapon swapoff`,
  CAP_SYS_BOOT: 'reboot kexec_load kexec_file_load',
  CAP_SYS_CHROOT: 'chroot',
  CAP_SYS_MODULE: 'init_module finit_module delete_module',
  CAP_SYS_PACCT: 'acct',
  CAP_SYS_PTRACE: 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev',
  CAP_SYS_RAWIO: 'iopl ioperm',
  CAP_SYS_TIME: 'settimeofday stime clock_settime clock_settime64 clock_adjtime clock_adjtime64',
  CAP_SYS_TTY_CONFIG: 'vhangup',
  CAP_SYS_NICE: 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node migrate_pages move_pages',
  CAP_SYSLOG: 'syslog',
  CAP_DAC_READ_SEARCH: 'open_by_handle_at',
  CAP_BPF: 'bpf',
  CAP_PERFMON: 'perf_event_open',
};

/** The namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
const CLONE_NAMESPACES = 0x7e020000;
/** The personalities a container may take (Linux's own, 32-bit, and the query 0xffffffff), as Docker allows. */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];
const EPERM = 1;
const ENOSYS = 38;

const names = (list: string) => list.split(/\s+/).filter(Boolean);

interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
}

/** seccompFor: the default profile for a container with these capabilities, as the OCI spec's linux.seccomp. */
export function seccompFor(capabilities: string[]): Record<string, unknown> {
  const caps = new Set(capabilities);
  const granted = new Set(Object.entries(BY_CAPABILITY).flatMap(([cap, list]) => (caps.has(cap) ? names(list) : [])));
  const rules: SeccompRule[] = [{ names: [...names(ALLOWED), ...granted].sort(), action: 'SCMP_ACT_ALLOW' }];
  rules.push(...PERSONALITIES.map((p) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }] })));
  if (caps.has('CAP_SYS_ADMIN')) {
    rules.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW' });
  } else {
    rules.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACES, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    rules.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: rules,
  };
}
