#include "core/sandbox/seccomp.hpp"

#include <nlohmann/json.hpp>

namespace orch::sandbox {

namespace {

using nlohmann::json;

// What a sandboxed program may call: the x86_64 system calls of Linux 6.x that language runtimes,
// compilers, test runners and shells use. Anything not named here (a call this list predates
// included) fails with ENOSYS, so libraries fall back as they would on an older kernel.
constexpr const char* kAllowed[] = {
    // files and directories
    "read", "write", "open", "openat", "openat2", "close", "close_range", "creat", "stat", "fstat", "lstat",
    "newfstatat", "statx", "statfs", "fstatfs", "lseek", "pread64", "pwrite64", "readv", "writev", "preadv",
    "pwritev", "preadv2", "pwritev2", "access", "faccessat", "faccessat2", "truncate", "ftruncate", "fallocate",
    "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "flock", "fcntl", "dup", "dup2", "dup3", "pipe",
    "pipe2", "getdents", "getdents64", "getcwd", "chdir", "fchdir", "rename", "renameat", "renameat2", "mkdir",
    "mkdirat", "rmdir", "link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat",
    "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat", "umask", "utime", "utimes",
    "utimensat", "futimesat", "mknod", "mknodat", "readahead", "fadvise64", "sendfile", "splice", "tee",
    "vmsplice", "copy_file_range", "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr",
    "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "inotify_init",
    "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "memfd_create", "ioctl",
    // memory
    "brk", "mmap", "munmap", "mremap", "mprotect", "msync", "mincore", "madvise", "mlock", "mlock2", "munlock",
    "mlockall", "munlockall", "mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node",
    "remap_file_pages", "pkey_mprotect", "pkey_alloc", "pkey_free", "membarrier",
    // processes, threads and their own limits
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "getpid", "getppid", "gettid",
    "getpgid", "setpgid", "getpgrp", "getsid", "setsid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
    "getresgid", "getgroups", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
    "setfsgid", "setgroups", "capget", "capset", "prctl", "arch_prctl", "set_tid_address", "set_robust_list",
    "get_robust_list", "rseq", "futex", "futex_waitv", "set_thread_area", "get_thread_area", "getrlimit",
    "setrlimit", "prlimit64", "getrusage", "getpriority", "setpriority", "sched_yield", "sched_setparam",
    "sched_getparam", "sched_setscheduler", "sched_getscheduler", "sched_get_priority_max",
    "sched_get_priority_min", "sched_rr_get_interval", "sched_setaffinity", "sched_getaffinity", "sched_setattr",
    "sched_getattr", "ioprio_get", "ioprio_set", "getcpu", "seccomp", "landlock_create_ruleset",
    "landlock_add_rule", "landlock_restrict_self", "pidfd_open", "pidfd_send_signal",
    // signals and time
    "kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
    "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "signalfd",
    "signalfd4", "pause", "alarm", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday",
    "time", "times", "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
    "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime", "timerfd_gettime", "adjtimex",
    "clock_adjtime",
    // waiting on many things
    "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "io_setup", "io_destroy", "io_getevents", "io_pgetevents",
    "io_submit", "io_cancel",
    // sockets (the network namespace decides what they reach)
    "socket", "socketpair", "connect", "accept", "accept4", "bind", "listen", "shutdown", "getsockname",
    "getpeername", "setsockopt", "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
    // System V and POSIX IPC (the sandbox has its own IPC namespace)
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv",
    "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    // about the system
    "uname", "sysinfo", "getrandom", "restart_syscall",
};

// Left out on purpose, and refused with EPERM so the program sees a plain refusal:
constexpr const char* kRefused[] = {
    // reading or steering other processes, PID 1 of the sandbox included
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "process_mrelease", "pidfd_getfd", "kcmp",
    "move_pages", "migrate_pages",
    // new namespaces, mounts and roots
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr",
    // kernel interfaces with a long record of privilege escalations that no sandboxed program needs
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "fanotify_init", "fanotify_mark", "open_by_handle_at", "name_to_handle_at",
    "lookup_dcookie", "modify_ldt", "uselib", "ustat", "sysfs", "_sysctl", "memfd_secret",
    // the whole machine
    "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "swapon", "swapoff",
    "sethostname", "setdomainname", "settimeofday", "clock_settime", "acct", "quotactl", "quotactl_fd", "syslog",
    "iopl", "ioperm", "vhangup",
};

// clone's first argument holds its flags: a new namespace of any kind is refused. clone3 keeps its
// flags in memory a filter cannot read, so it answers ENOSYS and libc falls back to clone.
constexpr uint64_t kNamespaceFlags[] = {0x00020000, 0x02000000, 0x04000000, 0x08000000,
                                        0x10000000, 0x20000000, 0x40000000};

constexpr unsigned kEPERM = 1, kENOSYS = 38;

json arg_masked(uint64_t mask, uint64_t equals) {
  return json::array({{{"index", 0}, {"value", mask}, {"valueTwo", equals}, {"op", "SCMP_CMP_MASKED_EQ"}}});
}

}  // namespace

const std::string& seccomp_profile() {
  static const std::string profile = [] {
    uint64_t ns_mask = 0;
    for (auto f : kNamespaceFlags) ns_mask |= f;
    json rules = json::array();
    rules.push_back({{"names", kAllowed}, {"action", "SCMP_ACT_ALLOW"}});
    rules.push_back({{"names", kRefused}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kEPERM}});
    rules.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kENOSYS}});
    rules.push_back({{"names", {"clone"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", arg_masked(ns_mask, 0)}});
    for (auto f : kNamespaceFlags)
      rules.push_back({{"names", {"clone"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kEPERM}, {"args", arg_masked(f, f)}});
    // personality: asking (0xffffffff) and the plain Linux persona only.
    for (uint64_t p : {0x0ULL, 0xffffffffULL})
      rules.push_back({{"names", {"personality"}}, {"action", "SCMP_ACT_ALLOW"},
                       {"args", json::array({{{"index", 0}, {"value", p}, {"op", "SCMP_CMP_EQ"}}})}});
    // Engines before 23 ignore defaultErrnoRet and answer EPERM; the calls that then matter are listed.
    return json({{"defaultAction", "SCMP_ACT_ERRNO"},
                 {"defaultErrnoRet", kENOSYS},
                 {"architectures", {"SCMP_ARCH_X86_64"}},
                 {"syscalls", rules}})
        .dump();
  }();
  return profile;
}

}  // namespace orch::sandbox
