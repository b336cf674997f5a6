# Hostile-input battery: host secrets and privileges.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# Host secrets and privileges.

case_env_is_clean() {
  hrun -e USER_SET=1 -c 'import os; print(" ".join(sorted(os.environ)))'
  local expect
  expect="HOME HOSTNAME ORCH_RUN_ID PATH PYTHONDONTWRITEBYTECODE PYTHONUNBUFFERED USER_SET"
  got=$(jf stdout | tr -d '\n' | tr ' ' '\n' | grep -v -x -e PWD -e LC_CTYPE | tr '\n' ' ' | sed 's/ $//')
  assert_eq "$expect" "$got" "[$MODE] the sandbox's environment"
  assert_not_contains "$OUT" "host-secret-value"
}
test_environment_holds_only_template_and_user_vars() {
  export ORCH_TEST_SECRET=host-secret-value AWS_SECRET_ACCESS_KEY=host-secret-value GITHUB_TOKEN=host-secret-value
  SERVE_FLAGS= both case_env_is_clean
}

case_masked_and_no_socket() {
  hrun -l bash -c 'k=$(head -c 64 /proc/kcore 2>/dev/null | wc -c); keys=$(cat /proc/keys 2>/dev/null | wc -l)
fw=$(ls -A /sys/firmware 2>/dev/null | wc -l)
sock=0; for s in /var/run/docker.sock /run/docker.sock /var/run/docker /run/containerd/containerd.sock; do [ -e "$s" ] && sock=$((sock+1)); done
grep -c -e docker.sock -e containerd /proc/mounts
echo "kcore=$k keys=$keys firmware=$fw sockets=$sock"
ls /proc/sysrq-trigger >/dev/null 2>&1 && echo sysrq >/proc/sysrq-trigger 2>/dev/null && echo wrote-sysrq'
  assert_contains "$(jf stdout)" "kcore=0 keys=0 firmware=0 sockets=0" "[$MODE] masked paths"
  assert_eq 0 "$(jf stdout | head -1)" "[$MODE] a Docker or containerd socket is mounted"
  assert_not_contains "$(jf stdout)" wrote-sysrq
}
test_host_paths_masked_and_no_docker_socket() { both case_masked_and_no_socket; }

PRIV_PROG='import ctypes, ctypes.util, errno, os, subprocess
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
def call(name, *a):
    r = getattr(libc, name)(*a)
    return "ok" if r == 0 else errno.errorcode[ctypes.get_errno()]
def run(argv):
    try:
        p = subprocess.run(argv, capture_output=True, timeout=5)
        return "ok" if p.returncode == 0 else "fail"
    except FileNotFoundError:
        return "absent"
status = open("/proc/self/status").read()
caps = [l.split()[1] for l in status.splitlines() if l.startswith(("CapEff", "CapPrm", "CapBnd"))]
nnp = [l.split()[1] for l in status.splitlines() if l.startswith("NoNewPrivs")]
class TV(ctypes.Structure):
    _fields_ = [("s", ctypes.c_long), ("us", ctypes.c_long)]
uid = os.getuid()
r = {
  "setuid": call("setuid", 0), "setgid": call("setgid", 0),
  "unshare_mnt": call("unshare", 0x00020000), "unshare_net": call("unshare", 0x40000000),
  "mount": call("mount", b"none", b"/tmp", b"tmpfs", 0, None),
  "ptrace_seize_init": call("ptrace", 0x4206, 1, None, None),
  "settimeofday": call("settimeofday", ctypes.byref(TV(0, 0)), None),
  "chroot": call("chroot", b"/tmp"),
  "unshare_cmd": run(["unshare", "-U", "-r", "true"]),
  "su": run(["su", "-c", "true"]),
  "mount_cmd": run(["mount", "-t", "tmpfs", "none", "/tmp"]),
}
# Calls the seccomp profile refuses (numbers: x86_64); each one has a record of kernel bugs.
for name, nr, args in [("bpf", 321, (0, 0, 0)), ("userfaultfd", 323, (0,)), ("io_uring_setup", 425, (1, 0)),
                       ("keyctl", 250, (0, 0)), ("perf_event_open", 298, (0, 0, -1, -1, 0)),
                       ("process_vm_readv", 310, (1, 0, 0, 0, 0, 0)), ("kcmp", 312, (1, 1, 0, 0, 0))]:
    r[name] = "ok" if libc.syscall(nr, *args) >= 0 else errno.errorcode[ctypes.get_errno()]
# ... and what must keep working beside it: threads (libc tries clone3 first, then clone).
import threading
t = threading.Thread(target=lambda: None); t.start(); t.join()
r["threads"] = "ok"
r["unshare_user"] = call("unshare", 0x10000000)  # last: a new user namespace would change what follows
try:
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
except OSError:  # gVisor refuses to list /proc to this user
    pids = []
print(" ".join(f"{k}={v}" for k, v in r.items()), "caps=" + ",".join(caps), "nnp=" + ",".join(nnp), "uid=%d" % uid,
      "few_pids=%s" % (len(pids) < 20))'

case_privileges() {
  hrun --timeout 30 -c "$PRIV_PROG"
  assert_eq ok "$STATUS" "[$MODE] status"
  out=$(jf stdout)
  # gVisor emulates namespaces, ptrace and the calls orch's seccomp profile refuses inside its own
  # kernel (runsc does not apply the profile): they reach nothing on the host, so they are not
  # counted under runsc.
  local ns="unshare_user unshare_mnt" ns_cmd=unshare_cmd
  local refused="ptrace_seize_init bpf userfaultfd io_uring_setup keyctl perf_event_open process_vm_readv kcmp"
  [ "${RUNTIME:-}" = runsc ] && ns= ns_cmd= refused=
  for k in $refused; do assert_contains "$out" "$k=EPERM" "[$MODE] seccomp"; done
  assert_contains "$out" "threads=ok" "[$MODE] threads under the seccomp profile"
  for k in setuid setgid $ns unshare_net mount settimeofday chroot; do
    case "$out" in *"$k=ok"*) fail "[$MODE] $k succeeded: $out";; esac
  done
  for k in $ns_cmd su mount_cmd; do
    case "$out" in *"$k=ok"*) fail "[$MODE] $k succeeded: $out";; esac
  done
  assert_contains "$out" "caps=0000000000000000,0000000000000000,0000000000000000" "[$MODE] capabilities"
  [ "${RUNTIME:-}" = runsc ] || assert_contains "$out" "nnp=1" "[$MODE] no-new-privileges"
  assert_contains "$out" "uid=1000"
  assert_contains "$out" "few_pids=True" "[$MODE] host processes are visible"
}
test_privileged_operations_fail() { both case_privileges; }

case_ptrace_init() {
  # The program stops the sandbox's init with ptrace: the run still ends at its deadline.
  hrun --timeout 3 -c 'import ctypes, ctypes.util, time
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
print(libc.ptrace(16, 1, None, None), flush=True)
time.sleep(60)'
  assert_eq timeout "$STATUS" "[$MODE] status"
  duration_below 6500
}
test_ptrace_of_init_does_not_defeat_the_deadline() { both case_ptrace_init; }

test_session_code_cannot_ptrace_or_signal_its_supervisor() {
  S=$("$ORCH" session create -t python) || fail "session create"
  trap '"$ORCH" session rm "$S" >/dev/null 2>&1' EXIT
  out=$("$ORCH" session exec "$S" -c 'import ctypes, ctypes.util, errno, os, signal
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
r = []
for req in (16, 0x4206):
    rc = libc.ptrace(req, 1, None, None); r.append(errno.errorcode.get(ctypes.get_errno(), "ok") if rc else "ok")
try:
    os.kill(1, signal.SIGSTOP); r.append("ok")
except OSError as e:
    r.append(errno.errorcode[e.errno])
print(*r)')
  assert_eq "EPERM EPERM EPERM" "$out" "the supervisor (another uid) is out of reach"
  assert_eq running "$(json_get "$("$ORCH" session show "$S")" state)"
}

