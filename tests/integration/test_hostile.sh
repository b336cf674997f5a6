# Issue 8's hostile-input battery: code and requests written to break orch, against the real engine.
# Most cases run twice, through the CLI and through `orch serve` (the same `orch run --json` with
# ORCH_HOST set). After each case: the result is one valid JSON object with the right status, a
# harmless run started beside it succeeded, the case's container is gone, orch left no temp files,
# no process the case started survives, and a server under test is still healthy.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

GATEWAY=$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
GATEWAY=${GATEWAY:-172.17.0.1}
SANDBOX_UID=1000

# ---------------------------------------------------------------------------------------------------
# Harness

# Runs `orch run --json ARGS...` as a hostile caller would, with a harmless run beside it, and checks
# what must hold after every case. Sets OUT_FILE, OUT (the JSON), RC, STATUS, RUN_ID and RSS_KB
# (orch's own peak memory: the CLI's, or the client's in serve mode).
hrun() {
  HRUN_N=$((${HRUN_N:-0} + 1))
  local n=$HRUN_N
  mkdir -p "$SCRATCH/tmp$n"
  "$ORCH" run -c 'print("alive")' >"$SCRATCH/alive$n" 2>&1 &
  local side=$!
  OUT_FILE=$SCRATCH/out$n
  TMPDIR="$SCRATCH/tmp$n" /usr/bin/time -f %M -o "$SCRATCH/rss$n" "$ORCH" run --json "$@" >"$OUT_FILE" 2>"$SCRATCH/err$n"
  RC=$?
  wait "$side"
  [ "$(cat "$SCRATCH/alive$n")" = alive ] || fail "[$MODE] the harmless run beside the case failed: $(head -c 300 "$SCRATCH/alive$n")"
  RSS_KB=$(tail -n1 "$SCRATCH/rss$n")
  "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT_FILE" 2>/dev/null ||
    fail "[$MODE] not one valid JSON object (rc $RC): $(head -c 300 "$OUT_FILE") $(head -c 300 "$SCRATCH/err$n")"
  OUT=$(cat "$OUT_FILE")
  STATUS=$(jf status)
  RUN_ID=$(jf run_id)
  [ -n "$RUN_ID" ] || fail "[$MODE] no run_id"
  [ -z "$(docker ps -aq --filter "name=^/orch-$RUN_ID\$")" ] || fail "[$MODE] the container of $RUN_ID was left behind"
  [ -z "$(ls -A "$SCRATCH/tmp$n")" ] || fail "[$MODE] orch left files in TMPDIR: $(ls -A "$SCRATCH/tmp$n")"
  [ "$RSS_KB" -lt 200000 ] || fail "[$MODE] orch's memory was not bounded: ${RSS_KB} KiB"
  if [ -n "${ORCH_HOST:-}" ]; then
    assert_eq ok "$(json_get "$(curl -s "$BASE/health")" status)" "[$MODE] server health"
    wait_for 50 no_runs_of_server || fail "[$MODE] the server left run containers behind"
  fi
}

jf() { json_get "$OUT" "$1"; }  # a field of the last result
jfile() {                        # a field of the last result, read from the file (large outputs)
  "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v if not isinstance(v,bool) else str(v).lower())' "$OUT_FILE" "$1"
}
no_runs_of_server() {
  [ "$(docker ps -aq --filter label=orch.kind=run --filter "label=orch.pid=$(hostname):$SERVER_PID" | wc -l)" = 0 ]
}
# No host process carries the token in its command line (the case's processes are gone).
no_procs() { ! pgrep -u "$SANDBOX_UID" -f "$1" >/dev/null || fail "[$MODE] processes of the case survived: $(pgrep -u "$SANDBOX_UID" -af "$1" | head -3)"; }
duration_below() { [ "$(jf duration_ms)" -lt "$1" ] || fail "[$MODE] took $(jf duration_ms) ms, expected under $1"; }
server_hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$SERVER_PID/status"; }

# Runs a case function through the CLI, then through a fresh `orch serve` (extra serve flags in
# SERVE_FLAGS), then checks the server's own peak memory.
both() {
  scratch
  TOK=hx$RANDOM$RANDOM
  MODE=cli
  unset ORCH_HOST
  "$@"
  MODE=serve
  # shellcheck disable=SC2086
  start_server ${SERVE_FLAGS:-}
  export ORCH_HOST=$BASE
  TOK=hx$RANDOM$RANDOM
  "$@"
  local hwm
  hwm=$(server_hwm_kb)
  [ "$hwm" -lt "${SERVER_HWM_LIMIT_KB:-300000}" ] || fail "[serve] the server's peak memory was ${hwm} KiB"
}

# Counts, while a case runs, the most sandbox processes that carried the token at once (a positive
# control for no_procs: the processes were there, and then they were not).
watch_procs() {  # token file
  ( best=0
    for _ in $(seq 60); do
      c=$(pgrep -u "$SANDBOX_UID" -f "$1" | wc -l)
      [ "$c" -gt "$best" ] && best=$c
      echo "$best" >"$2"
      sleep 0.1
    done ) &
  WATCHER=$!
}

# ---------------------------------------------------------------------------------------------------
# 1. Fork bombs: the pids limit holds them, the timeout ends them.

case_fork_bomb_shell() {
  hrun --timeout 3 --pids 64 -l bash --arg "$TOK" -c 'while :; do ( :(){ :|:& };: ) 2>/dev/null; done'
  assert_eq timeout "$STATUS" "[$MODE] status"
  assert_eq 124 "$RC"
  duration_below 6000
  no_procs "$TOK"
}
test_fork_bomb_shell() { both case_fork_bomb_shell; }

case_fork_bomb_python() {
  hrun --timeout 3 --pids 64 --arg "$TOK" -c 'import os
while True:
    try:
        os.fork()
    except OSError:
        pass'
  # Under gVisor the bomb exhausts the pids cgroup that gVisor's own threads share: the sandbox
  # dies early (status error) instead of running to its deadline. Contained either way.
  if [ "${RUNTIME:-}" = runsc ] && [ "$STATUS" = error ]; then :; else
    assert_eq timeout "$STATUS" "[$MODE] status"
    assert_eq 124 "$RC"
  fi
  duration_below 6000
  no_procs "$TOK"
}
test_fork_bomb_python() { both case_fork_bomb_python; }

case_pids_limit_counts() {
  hrun --timeout 10 --pids 32 -c 'import os, time
n = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print(n < 32, e.errno)'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq "True 11" "$(jf stdout | tr -d '\n')" "[$MODE] forks stop at the pids limit with EAGAIN"
}
test_pids_limit_holds() { both case_pids_limit_counts; }

# ---------------------------------------------------------------------------------------------------
# 2. Memory bombs: status oom, the host never swaps.

pswpout() { awk '/^pswpout/{print $2}' /proc/vmstat; }

case_memory_bomb() {
  local swap_before
  swap_before=$(pswpout)
  hrun --memory 128m --timeout 30 -c 'x = []
while True:
    x.append(bytearray(8 << 20))'
  assert_eq oom "$STATUS" "[$MODE] status"
  assert_eq 137 "$RC"
  assert_eq "$swap_before" "$(pswpout)" "[$MODE] the host swapped"
}
test_memory_bomb_is_oom() { both case_memory_bomb; }

case_node_memory_bomb() {
  hrun --memory 128m --timeout 30 -l node -c 'const a = []; for (;;) a.push(Buffer.alloc(8 << 20, 1));'
  assert_eq oom "$STATUS" "[$MODE] status"
  assert_eq 137 "$RC"
}
test_node_memory_bomb_is_oom() { both case_node_memory_bomb; }

case_shm_fill() {
  # /dev/shm is a 16 MiB tmpfs: filling it is ENOSPC; filling it and then the heap is oom.
  hrun --timeout 20 -c 'n = 0
try:
    with open("/dev/shm/fill", "wb") as f:
        while True:
            f.write(b"x" * (1 << 20)); f.flush(); n += 1
except OSError as e:
    print(n <= 16, e.errno)'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq "True 28" "$(jf stdout | tr -d '\n')" "[$MODE] /dev/shm is capped"
  hrun --memory 48m --timeout 20 -c 'f = open("/dev/shm/fill", "wb")
try:
    while True:
        f.write(b"x" * (1 << 20)); f.flush()
except OSError:
    pass
x = []
while True:
    x.append(bytearray(4 << 20))'
  assert_eq oom "$STATUS" "[$MODE] status with /dev/shm full"
}
test_dev_shm_is_capped_and_counted() { both case_shm_fill; }

# ---------------------------------------------------------------------------------------------------
# 3. Nothing survives the deadline: CPU spin, sleep, SIGTERM traps, setsid and double-forked daemons.

case_deadline_kills_everything() {
  local seen=$SCRATCH/seen.$MODE
  watch_procs "$TOK" "$seen"
  hrun --timeout 3 -l bash --arg "$TOK" -c 'trap "" TERM INT HUP
setsid bash -c "trap \"\" TERM; while :; do sleep 1; done" "d1-$1" </dev/null >/dev/null 2>&1 &
( bash -c "trap \"\" TERM; while :; do sleep 1; done" "d2-$1" </dev/null >/dev/null 2>&1 & ) &
nohup bash -c "while :; do :; done" "spin-$1" </dev/null >/dev/null 2>&1 &
bash -c "sleep 300" "sleep-$1" &
while :; do :; done'
  wait "$WATCHER"
  assert_eq timeout "$STATUS" "[$MODE] status"
  assert_eq 124 "$RC"
  duration_below 6500
  [ "$(cat "$seen")" -ge 4 ] || fail "[$MODE] control: the daemons were never seen running ($(cat "$seen"))"
  no_procs "$TOK"
}
test_deadline_kills_spin_traps_and_daemons() { both case_deadline_kills_everything; }

case_daemon_outliving_program() {
  hrun --timeout 20 -l bash --arg "$TOK" -c 'setsid bash -c "sleep 300" "d-$1" </dev/null >/dev/null 2>&1 &
( setsid bash -c "sleep 300" "dd-$1" & ) &
echo started'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq started "$(jf stdout | tr -d '\n')"
  duration_below 5000  # a daemon does not hold the run open
  no_procs "$TOK"
}
test_daemons_die_with_the_program() { both case_daemon_outliving_program; }

# ---------------------------------------------------------------------------------------------------
# 4. Output floods: bounded memory, capped and flagged output, valid JSON, exact bytes kept.

case_flood_both_streams() {
  hrun --timeout 60 -l bash -c "head -c ${FLOOD:-1G} /dev/zero & head -c ${FLOOD:-1G} /dev/urandom >&2; wait"
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq true "$(jfile stdout_truncated)"
  assert_eq true "$(jfile stderr_truncated)"
  assert_eq true "$(jfile stderr_binary)" "[$MODE] random bytes are flagged"
  sizes=$("$PY" -c 'import json,sys,base64; j=json.load(open(sys.argv[1]))
print(len(j["stdout"]), len(base64.b64decode(j["stderr_base64"])))' "$OUT_FILE")
  assert_eq "1048576 1048576" "$sizes" "[$MODE] each stream is cut at 1 MiB"
  [ "$RSS_KB" -lt 60000 ] || fail "[$MODE] orch's peak memory was $RSS_KB KiB during a flood"
}
test_output_flood_on_both_streams() { FLOOD=1G SERVER_HWM_LIMIT_KB=120000 both case_flood_both_streams; }

case_one_huge_line() {
  hrun --timeout 60 -c 'import sys
line = "z" * (1 << 20)
for _ in range(300):
    sys.stdout.write(line)'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq true "$(jfile stdout_truncated)"
  assert_eq 1048576 "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stdout"]))' "$OUT_FILE")"
  [ "$RSS_KB" -lt 60000 ] || fail "[$MODE] orch's peak memory was $RSS_KB KiB"
}
test_one_huge_line_without_newline() { SERVER_HWM_LIMIT_KB=120000 both case_one_huge_line; }

BINARY_PROG='import sys
sys.stdout.buffer.write(bytes(range(256)) + b"|\xff\xfe\xc3\x28|\x00\x00|\x1b[31mred\x1b[0m|\x1b]0;title\x07|\xed\xa0\x80|\xf4\x90\x80\x80|")
sys.stdout.flush()
sys.stderr.write("\x1b[2J\x1b[Hcleared\0nul \u00e9\u4e2d\U0001f600")'
BINARY_EXPECT='bytes(range(256)) + b"|\xff\xfe\xc3\x28|\x00\x00|\x1b[31mred\x1b[0m|\x1b]0;title\x07|\xed\xa0\x80|\xf4\x90\x80\x80|"'

case_binary_output() {
  hrun -c "$BINARY_PROG"
  assert_eq ok "$STATUS" "[$MODE] status"
  "$PY" - "$OUT_FILE" <<EOF || fail "[$MODE] bytes were not kept exactly"
import base64, json, sys
j = json.load(open(sys.argv[1]))
assert j["stdout_binary"] is True, "stdout_binary"
assert base64.b64decode(j["stdout_base64"]) == $BINARY_EXPECT, "stdout_base64"
assert j["stderr_binary"] is False, "stderr_binary"
assert j["stderr"] == "\x1b[2J\x1b[Hcleared\0nul \u00e9\u4e2d\U0001f600", "stderr text"
EOF
  # Streaming to a terminal or pipe, the bytes come out as the program wrote them.
  "$ORCH" run -c "$BINARY_PROG" >"$SCRATCH/raw.out" 2>"$SCRATCH/raw.err" || fail "[$MODE] streaming run failed"
  "$PY" - "$SCRATCH/raw.out" "$SCRATCH/raw.err" <<EOF || fail "[$MODE] streamed bytes changed"
import sys
assert open(sys.argv[1], "rb").read() == $BINARY_EXPECT, "stdout"
assert open(sys.argv[2], "rb").read() == "\x1b[2J\x1b[Hcleared\0nul \u00e9\u4e2d\U0001f600".encode(), "stderr"
EOF
}
test_binary_nul_invalid_utf8_and_ansi_output() { both case_binary_output; }

case_utf8_split_across_chunks() {
  # 3-byte characters written in pieces that never line up with the engine's frames.
  hrun -c 'import sys, os
s = ("\u4e2d" * 30000).encode()
for i in range(0, len(s), 4097):
    os.write(1, s[i:i + 4097])'
  assert_eq false "$(jfile stdout_binary)" "[$MODE] valid UTF-8 split across writes is text"
  assert_eq 30000 "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stdout"]))' "$OUT_FILE")"
  "$ORCH" run -c 'import sys, os
s = ("\u4e2d" * 30000).encode()
for i in range(0, len(s), 4097):
    os.write(1, s[i:i + 4097])' >"$SCRATCH/cjk.out" || fail "streaming run failed"
  assert_eq 90000 "$(stat -c %s "$SCRATCH/cjk.out")" "[$MODE] streamed bytes"
  "$PY" -c 'import sys; assert open(sys.argv[1],"rb").read().decode() == "\u4e2d" * 30000' "$SCRATCH/cjk.out" || fail "[$MODE] streamed text changed"
}
test_utf8_split_across_chunks() { both case_utf8_split_across_chunks; }

# ---------------------------------------------------------------------------------------------------
# 5. Disk: ENOSPC inside the sandbox only.

docker_disk_used_mb() { df -m --output=used "$(docker info -f '{{.DockerRootDir}}')" | tail -1; }

case_fill_disks() {
  local before
  before=$(docker_disk_used_mb)
  hrun --timeout 30 -c 'import errno
def fill(path):
    n = 0
    try:
        with open(path, "wb") as f:
            while True:
                f.write(b"\1" * (1 << 20)); f.flush(); n += 1
    except OSError as e:
        return f"{n <= 64}:{errno.errorcode[e.errno]}"
print(fill("/tmp/fill"), fill("/workspace/fill"))
for p in ["/fill", "/var/tmp/fill", "/usr/fill", "/home/fill", "/root/fill"]:
    try:
        open(p, "wb").close(); print("wrote", p)
    except OSError as e:
        print(errno.errorcode[e.errno], end=" ")'
  assert_eq ok "$STATUS" "[$MODE] status"
  out=$(jf stdout)
  assert_contains "$out" "True:ENOSPC True:ENOSPC" "[$MODE] /tmp and /workspace are capped"
  assert_not_contains "$out" "wrote" "[$MODE] the root filesystem is read-only"
  used=$(( $(docker_disk_used_mb) - before ))
  [ "$used" -lt 60 ] || fail "[$MODE] the host disk grew by ${used} MB"
}
test_fill_tmp_and_workspace() { both case_fill_disks; }

case_million_files() {
  hrun --timeout 60 -c 'import errno, os
for d in ["/workspace", "/tmp"]:
    n = 0
    try:
        for i in range(1000000):
            open(f"{d}/f{i}", "w").close(); n += 1
    except OSError as e:
        print(n < 40000, errno.errorcode[e.errno], end=" ")'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq "True ENOSPC True ENOSPC" "$(jf stdout | sed 's/ *$//')" "[$MODE] inodes are capped"
  duration_below 30000
}
test_million_small_files() { both case_million_files; }

case_deep_directories() {
  local res=$SCRATCH/deep.$MODE
  hrun --timeout 60 --out "$res" -c 'import os
os.makedirs("out", exist_ok=True)
os.chdir("out")
depth = 0
try:
    for i in range(3000):
        os.mkdir("dd"); os.chdir("dd"); depth += 1
    open("bottom.txt", "w").write("deep")
except OSError as e:
    print("stopped", e)
os.chdir("/workspace/out")
open("top.txt", "w").write("top")
print(depth)'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq 3000 "$(jf stdout | tr -d '\n')"
  assert_eq top "$(cat "$res/top.txt")" "[$MODE] the shallow artifact is saved"
  [ "$(find "$res" -name bottom.txt | wc -l)" = 0 ] || fail "[$MODE] a path over the host's limit was written"
  assert_eq true "$(jf artifacts_truncated)" "[$MODE] the dropped artifact is flagged"
}
test_very_deep_directories() { both case_deep_directories; }

case_tar_bomb_inside() {
  # A compressed archive that unpacks to far more than /workspace holds.
  hrun --timeout 60 -l bash -c 'head -c 300M /dev/zero > /tmp/z 2>/dev/null; gzip -c /tmp/z > bomb.gz 2>/dev/null || true
rm -f /tmp/z
ls -l bomb.gz | awk "{print \$5 < 1000000}"
gunzip -c bomb.gz > big 2>/dev/null; echo "gunzip=$?"'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_contains "$(jf stdout)" "gunzip=1" "[$MODE] unpacking hit the cap"
}
test_tar_bomb_is_contained() { both case_tar_bomb_inside; }

# ---------------------------------------------------------------------------------------------------
# 6. Persistence: nothing from an earlier run is visible to a later one (cold path and warm pool).

case_no_persistence() {
  hrun --timeout 20 -l bash --arg "$TOK" -c 'echo x > /tmp/left; echo x > /workspace/left; echo x > /dev/shm/left
setsid bash -c "sleep 300" "d-$1" </dev/null >/dev/null 2>&1 &
echo planted'
  assert_eq planted "$(jf stdout | tr -d '\n')"
  hrun --timeout 20 -l bash -c 'ls /tmp/left /workspace/left /dev/shm/left 2>/dev/null; ps -eo args | grep -c "[d]-hx"'
  assert_eq 0 "$(jf stdout | tr -d '\n')" "[$MODE] a later run saw an earlier one's files or processes"
  no_procs "$TOK"
  # the python template too (the warm pool's default language)
  hrun -c 'import os; os.makedirs("/workspace/sub", exist_ok=True); open("/tmp/py_left", "w").write("1"); print("x")'
  hrun -c 'import os; print(os.path.exists("/tmp/py_left"), os.path.exists("/workspace/sub"))'
  assert_eq "False False" "$(jf stdout | tr -d '\n')" "[$MODE] python run saw leftovers"
}
test_no_persistence_between_runs() { both case_no_persistence; }

pool_ready() { [ "$(json_get "$(curl -s "$BASE/health")" pool.python.ready)" -ge "${1:-1}" ]; }  # [count]
case_no_persistence_warm() {
  wait_for 300 pool_ready || fail "the pool never filled"
  hrun -c 'import os, subprocess, sys
open("/tmp/py_left", "w").write("1"); open("/dev/shm/py_left", "w").write("1"); open("/workspace/mine", "w").write("1")
subprocess.Popen(["sh", "-c", "sleep 300", "d-" + sys.argv[1]], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("planted")' --arg "$TOK"
  assert_eq planted "$(jf stdout | tr -d '\n')"
  wait_for 300 pool_ready || fail "the pool did not refill"
  hrun -c 'import os
procs = []
for p in os.listdir("/proc"):
    try:
        procs.append(open(f"/proc/{p}/cmdline", "rb").read())
    except OSError:
        pass
print(os.path.exists("/tmp/py_left"), os.path.exists("/dev/shm/py_left"), os.path.exists("/workspace/mine"),
      any(b"d-hx" in c for c in procs))'
  assert_eq "False False False False" "$(jf stdout | tr -d '\n')" "[$MODE] a pooled run saw an earlier one's state"
  no_procs "$TOK"
  hits=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
  [ "${hits:-0}" -ge 2 ] || fail "control: the runs did not come from the pool (hits: $hits)"
}
test_no_persistence_through_warm_pool() {
  scratch
  TOK=hx$RANDOM$RANDOM
  MODE=pool
  start_server --pool python=1
  export ORCH_HOST=$BASE
  case_no_persistence_warm
}

# ---------------------------------------------------------------------------------------------------
# 7. Network off: nothing is reachable, not even orch's own port or the bridge gateway.

NET_PROBE='import socket, sys, urllib.request
gw, port, orch_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def tcp(host, p):
    try:
        socket.create_connection((host, p), timeout=2).close(); return "open"
    except OSError:
        return "blocked"
def http(url):
    try:
        urllib.request.urlopen(url, timeout=2); return "open"
    except Exception:
        return "blocked"
def udp():
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
        s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01", ("8.8.8.8", 53))
        s.recvfrom(512); return "open"
    except OSError:
        return "blocked"
def dns():
    try:
        socket.getaddrinfo("example.com", 80); return "open"
    except OSError:
        return "blocked"
r = [http(f"http://{gw}:{port}/"), http("http://example.com/"), tcp("1.1.1.1", 443), udp(), dns(), tcp(gw, port),
     tcp("169.254.169.254", 80), http("http://169.254.169.254/latest/meta-data/"), tcp("127.0.0.1", orch_port), tcp(gw, orch_port)]
ifaces = sorted(n for _, n in socket.if_nameindex())
print(" ".join(r), ",".join(ifaces))'

case_network_off() {
  local orch_port=${BASE:-x:8420}; orch_port=${orch_port##*:}
  hrun --timeout 40 -c "$NET_PROBE" --arg "$GATEWAY" --arg "$HOST_PORT" --arg "${orch_port:-8420}"
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq "blocked blocked blocked blocked blocked blocked blocked blocked blocked blocked lo" "$(jf stdout | tr -d '\n')" "[$MODE] reached the network"
}
test_network_off_reaches_nothing() {
  scratch
  # A listener on every host address, so "blocked" is not just "nobody there".
  HOST_PORT=$(free_port)
  "$PY" -m http.server "$HOST_PORT" --bind 0.0.0.0 --directory "$SCRATCH" >/dev/null 2>&1 &
  local web=$!
  wait_for 50 curl -sf "http://127.0.0.1:$HOST_PORT/" || fail "host listener did not start"
  # control: with the network on, the gateway listener answers
  out=$("$ORCH" run --net bridge --timeout 20 -c "import urllib.request; print(urllib.request.urlopen('http://$GATEWAY:$HOST_PORT/', timeout=5).status)" 2>&1)
  assert_eq 200 "$out" "control: a bridge sandbox reaches the host listener"
  both case_network_off
  kill "$web"
}

# ---------------------------------------------------------------------------------------------------
# 8. Host secrets and privileges.

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

# ---------------------------------------------------------------------------------------------------
# 9. Files: hostile names refused, links never followed on the host, forged archives contained.

test_hostile_file_names_refused_cli() {
  scratch
  echo data >"$SCRATCH/f"
  long=$(head -c 4100 /dev/zero | tr '\0' a)
  for name in ../x ../../etc/cron.d/x /etc/x /workspace/../x a/../../x 'a\b' "$long" "d/$long" . a/./b a//b; do
    out=$("$ORCH" run --json -f "$SCRATCH/f:$name" -c 'print(1)' 2>&1)
    rc=$?
    [ "$rc" = 125 ] || fail "--file name '${name:0:40}' was accepted (rc $rc): ${out:0:200}"
    assert_contains "$out" "orch: error:"
  done
  # positive control: a nested relative name works
  out=$("$ORCH" run -f "$SCRATCH/f:in/f.txt" -c 'import os; print(open("in/f.txt").read().strip(), os.getcwd())')
  assert_eq "data /workspace" "$out"
}

test_hostile_file_names_refused_server() {
  scratch
  start_server
  long=$(head -c 4100 /dev/zero | tr '\0' a)
  for name in ../x /etc/x a/../../x 'a\\\\b' '' 'a\u0000b' "$long" '.' '..'; do
    r=$(post /v1/run "{\"code\":\"print(1)\",\"files\":[{\"name\":\"$name\",\"content\":\"x\"}]}")
    assert_eq 400 "$(status_of "$r")" "files[] name '${name:0:40}'"
    r=$(post /v1/run "{\"code\":\"print(1)\",\"files\":{\"$name\":\"x\"}}")
    assert_eq 400 "$(status_of "$r")" "files{} name '${name:0:40}'"
  done
  # Piston: the first file is the program; its name only picks the language, it is never a path
  r=$(post /api/v2/execute '{"language":"python","version":"*","files":[{"name":"../../x.py","content":"import os; print(sorted(os.listdir()))"}]}')
  assert_eq 200 "$(status_of "$r")" "piston entry file name"
  assert_eq "['main.py']" "$(json_get "$(body_of "$r")" run.stdout | tr -d '\n')"
  r=$(post /v1/run '{"code":"print(open(\"in/x.txt\").read())","files":[{"name":"in/x.txt","content":"ok"}]}')
  assert_eq ok "$(json_get "$(body_of "$r")" stdout | tr -d '\n')" "control"
  assert_eq 0 "$(containers_of_pid "$SERVER_PID")"
}

case_out_links() {
  local res=$SCRATCH/res.$MODE
  mkdir -p "$SCRATCH/victim"
  echo untouched >"$SCRATCH/victim/keep"
  hrun --out "$res" -l bash -c 'mkdir -p out/sub
ln -s / out/root; ln -s /etc out/etc; ln -s ../../../../../../.. out/up; ln -s /etc/passwd out/sub/pw
ln /etc/passwd out/hard_etc 2>/dev/null || echo no-hardlink-to-etc
echo inside > secret_in_ws; ln secret_in_ws out/hard_ws
echo real > out/real.txt; ln out/real.txt out/sub/real_again'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_contains "$(jf stdout)" no-hardlink-to-etc
  assert_eq real "$(cat "$res/real.txt")"
  assert_eq real "$(cat "$res/sub/real_again")" "[$MODE] a hard link within out is a copy"
  assert_eq inside "$(cat "$res/hard_ws")" "[$MODE] a hard link to /workspace is a copy of sandbox data"
  [ -z "$(find "$res" -type l)" ] || fail "[$MODE] a symlink came out: $(find "$res" -type l)"
  for p in root etc up sub/pw hard_etc; do [ ! -e "$res/$p" ] || fail "[$MODE] $p came out"; done
  assert_eq untouched "$(cat "$SCRATCH/victim/keep")"
}
test_out_symlinks_and_hard_links() { both case_out_links; }

case_out_symlink_swap() {
  # A loop swaps out/f between a file and a link to /etc while tar collects /workspace/out.
  local res=$SCRATCH/swap.$MODE
  hrun --timeout 30 --out "$res" -l bash -c 'mkdir -p out
for i in $(seq 200); do echo "data $i" > out/f$i; done
( while :; do rm -rf out/f1 out/d; ln -s /etc out/f1; ln -s / out/d; rm -f out/f1 out/d; echo again > out/f1; mkdir -p out/d; echo x > out/d/x; done ) &
sleep 1; echo done'
  assert_eq ok "$STATUS" "[$MODE] status"
  [ -z "$(find "$res" -type l)" ] || fail "[$MODE] a symlink came out"
  [ ! -e "$res/f1/passwd" ] && [ ! -e "$res/d/etc" ] || fail "[$MODE] a swapped link was followed"
  assert_eq "data 7" "$(cat "$res/f7")"
}
test_out_symlink_swapped_during_copy() { both case_out_symlink_swap; }

FORGE_PROG='
import io, os, signal, sys, tarfile
here, kind = sys.argv[1].lstrip("/"), sys.argv[2]
marker = open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\0")[4]
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT)
def add(name, data=b"x", kind=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
add("../escape/up.txt"); add(f"/{here}/victim/abs.txt"); add("ok.txt", b"fine")
add("lnk", kind=tarfile.SYMTYPE, link=f"/{here}/victim"); add("lnk/through.txt")
add("hl", kind=tarfile.LNKTYPE, link="/etc/passwd"); add("hl2", kind=tarfile.LNKTYPE, link="../escape/up.txt")
add("hl3", kind=tarfile.LNKTYPE, link="ok.txt"); add("dev", kind=tarfile.CHRTYPE); add("a\\b.txt")
end = t.offset  # before the zero blocks that close the archive
t.close()
data = buf.getvalue()
if kind == "bomb":  # a last header that claims 8 GiB
    h = bytearray(512); h[0:4] = b"bomb"; h[100:108] = b"0000644\0"; h[124:136] = b"77777777777\0"; h[156:157] = b"0"
    h[257:263] = b"ustar\0"; h[148:156] = b" " * 8; h[148:155] = b"%06o\0" % sum(h)
    data = data[:end] + bytes(h)
sys.stdout.buffer.write(marker + data); sys.stdout.flush()
os.kill(os.getppid(), signal.SIGKILL)'

case_forged_out_archive() {
  # The program learns the run's random marker from its parent's command line, prints it with an
  # archive of its own (escapes, absolute paths, links, devices) and kills the parent so the real
  # archive never follows. The forged entries are parsed like any other and must be contained.
  local res=$SCRATCH/forged.$MODE
  rm -rf "$SCRATCH/escape" "$SCRATCH/victim" "$res"
  mkdir -p "$SCRATCH/victim"
  hrun --timeout 30 --out "$res" -c "$FORGE_PROG" --arg "$SCRATCH" --arg plain
  assert_eq fine "$(cat "$res/ok.txt")" "[$MODE] control: the forged archive was read"
  assert_eq fine "$(cat "$res/hl3")" "[$MODE] a hard link to an entry in the archive is a copy"
  [ ! -e "$SCRATCH/escape" ] || fail "[$MODE] an entry escaped --out"
  [ -z "$(ls -A "$SCRATCH/victim")" ] || fail "[$MODE] something was written through a link: $(ls -A "$SCRATCH/victim")"
  [ -z "$(find "$res" -type l -o -type c)" ] || fail "[$MODE] a link or device came out"
  for p in hl hl2 dev 'a\b.txt' abs.txt; do [ ! -e "$res/$p" ] || fail "[$MODE] $p came out"; done
  [ "$(find "$res" -type f | wc -l)" = 3 ] || fail "[$MODE] unexpected files: $(find "$res" -type f)"  # ok.txt hl3 lnk/through.txt (a real dir)
  # the same with a header that claims 8 GiB: nothing is saved, the loss is flagged
  rm -rf "$res"
  hrun --timeout 30 --out "$res" -c "$FORGE_PROG" --arg "$SCRATCH" --arg bomb
  assert_eq true "$(jf artifacts_truncated)" "[$MODE] a cut archive is flagged"
  [ ! -e "$SCRATCH/escape" ] && [ -z "$(ls -A "$SCRATCH/victim")" ] || fail "[$MODE] the bomb archive wrote outside --out"
}
test_forged_out_archive_is_contained() { both case_forged_out_archive; }

test_session_hostile_paths() {
  scratch
  S=$("$ORCH" session create -t bash) || fail "session create"
  trap '"$ORCH" session rm "$S" >/dev/null 2>&1; rm -rf "$SCRATCH"' EXIT
  echo payload >"$SCRATCH/f"
  long=$(head -c 4100 /dev/zero | tr '\0' a)
  # (an empty upload name means the local file's name, as cp does)
  "$ORCH" session download "$S" "" "$SCRATCH/got" 2>/dev/null && fail "download of '' was allowed"
  for p in "$long" "d/$long" "$(head -c 300 /dev/zero | tr '\0' b)"; do
    out=$("$ORCH" session upload "$S" "$SCRATCH/f" "$p" 2>&1) && fail "upload to '${p:0:40}' was allowed"
    assert_contains "$out" "orch: error:"
    "$ORCH" session download "$S" "$p" "$SCRATCH/got" 2>/dev/null && fail "download of '${p:0:40}' was allowed"
  done
  # backslashes are ordinary name bytes inside the sandbox: the file stays in /workspace
  "$ORCH" session upload "$S" "$SCRATCH/f" 'a\..\..\b' || fail "upload with backslashes"
  assert_eq 'a\..\..\b' "$("$ORCH" session exec "$S" -c 'ls /workspace')"
  # a link swapped while files move: the host gets bytes or a refusal, never a write elsewhere
  "$ORCH" session exec "$S" -c 'echo inside > real; ( while :; do ln -sfn /etc/passwd f; ln -sfn /etc f; rm -f f; cp real f; sleep 0.02; done ) >/dev/null 2>&1 &' ||
    fail "swap loop"
  mkdir -p "$SCRATCH/dl"
  for i in $(seq 30); do
    "$ORCH" session download "$S" f "$SCRATCH/dl/f$i" 2>/dev/null
    if [ $((i % 5)) = 0 ]; then
      "$ORCH" session upload "$S" "$SCRATCH/f" f 2>/dev/null
      "$ORCH" session upload "$S" "$SCRATCH/f" f/x 2>/dev/null
    fi
  done
  # The download helper checks what it opened: a link swapped in after the path was resolved leads
  # off /workspace's filesystem and is refused, so only the sandbox's own bytes come back.
  local fetched=0
  for got in "$SCRATCH"/dl/*; do
    [ -e "$got" ] || continue
    case "$(cat "$got")" in inside|payload) fetched=$((fetched + 1));; *) fail "a download returned bytes from outside /workspace: $(head -c 80 "$got")";; esac
  done
  [ "$fetched" -gt 0 ] || fail "no download got through the swap loop: the test saw nothing"
  [ -z "$(find "$SCRATCH/dl" -type l)" ] || fail "a download made a link"
  assert_eq payload "$(cat "$SCRATCH/f")"
}

# ---------------------------------------------------------------------------------------------------
# 10. Requests: fast 4xx, bounded memory, other clients still served.

served_fast() {  # a normal request is answered within 5 s
  local t0=$(date +%s%N)
  r=$(post /v1/run '{"code":"print(\"served\")"}' --max-time 20)
  assert_eq 200 "$(status_of "$r")" "another client was not served"
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "another client waited $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

test_huge_bodies_are_refused_fast() {
  scratch
  start_server
  head -c 100000000 /dev/zero | tr '\0' a >"$SCRATCH/big"
  base=$(server_hwm_kb)
  t0=$(date +%s%N)
  code=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/big" "$BASE/v1/run" --max-time 30)
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  assert_eq 413 "$code" "100 MB with Content-Length"
  [ "$ms" -lt 5000 ] || fail "a 100 MB body took ${ms} ms to refuse"
  # chunked, with no length announced
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary @"$SCRATCH/big" "$BASE/v1/run" --max-time 30)
  case "$code" in 413|400) ;; *) fail "a chunked 100 MB body got $code";; esac
  served_fast
  grow=$(( $(server_hwm_kb) - base ))
  [ "$grow" -lt 40000 ] || fail "the server grew by ${grow} KiB on huge bodies"
}

test_nested_and_malformed_json_is_400() {
  scratch
  start_server
  base=$(server_hwm_kb)
  head -c 15000000 /dev/zero | tr '\0' '[' >"$SCRATCH/deep"
  t0=$(date +%s%N)
  code=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/deep" "$BASE/v1/run")
  assert_eq 400 "$code" "15 MB of ["
  assert_contains "$(cat "$SCRATCH/resp")" "nested deeper"
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "deep JSON was slow to refuse"
  for i in $(seq 300000); do printf '{"a":'; done >"$SCRATCH/deep2"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/deep2" "$BASE/v1/run")
  assert_eq 400 "$code" "deep objects"
  printf '{"code":"print(1)\xff\xfe","stdin":"\xc3\x28"}' >"$SCRATCH/badutf"
  r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/badutf" "$BASE/v1/run")
  assert_eq 400 "$(status_of "$r")" "invalid UTF-8"
  "$PY" -c 'import json,sys; json.loads(sys.argv[1])' "$(body_of "$r")" || fail "the error is not JSON"
  printf '{"code":"print(1)"}\x00garbage' >"$SCRATCH/nul"
  assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$SCRATCH/nul" "$BASE/v1/run")" "trailing NUL"
  served_fast
  grow=$(( $(server_hwm_kb) - base ))
  [ "$grow" -lt 150000 ] || fail "the server grew by ${grow} KiB on deep JSON"
}

test_false_content_length_and_slow_clients() {
  scratch
  start_server --read-timeout 2
  port=${BASE##*:}
  # claims more than it sends, then stalls
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"code":"print(1)"}' >&3
  # claims more than it sends, then closes
  printf 'POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"code":' | timeout 5 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
s.settimeout(5); print(s.recv(100)[:12])' "$port" >/dev/null
  # claims less than it sends: the body is cut and is not JSON
  r=$(printf 'POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8\r\nConnection: close\r\n\r\n{"code":"print(1)"}' |
      timeout 10 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read())
s.settimeout(8); print(s.recv(200).split(b"\r\n")[0].decode())' "$port")
  assert_contains "$r" "400" "a short Content-Length"
  # a crowd of slow clients, one byte at a time
  slow=()
  for i in $(seq 20); do
    ( exec 4<>"/dev/tcp/127.0.0.1/$port"; for c in P O S T ' ' /; do printf %s "$c" >&4; sleep 1; done ) 2>/dev/null &
    slow+=($!)
  done
  sleep 0.5
  served_fast
  start=$(date +%s)
  timeout 15 cat <&3 >/dev/null
  exec 3>&-
  [ $(( $(date +%s) - start )) -le 6 ] || fail "the stalled client held its connection too long"
  wait "${slow[@]}"
  served_fast
  assert_eq ok "$(json_get "$(curl -s "$BASE/health")" status)"
}

# ---------------------------------------------------------------------------------------------------
# 11. Parameters: no request can choose privileges, capabilities, mounts, workdir or an image.

test_request_cannot_choose_privileges_or_image() {
  scratch
  start_server
  for f in '"privileged":true' '"cap_add":["SYS_ADMIN"]' '"CapAdd":["ALL"]' '"binds":["/:/host"]' '"mounts":[{"source":"/","target":"/host"}]' \
           '"volumes":{"/host":{}}' '"workdir":"/proc/self/fd/7"' '"working_dir":"/"' '"WorkingDir":"/"' '"image":"alpine"' \
           '"user":"root"' '"security_opt":["seccomp=unconfined"]' '"HostConfig":{"Privileged":true}' '"devices":["/dev/kmsg"]' \
           '"network_mode":"host"' '"pid":"host"' '"ipc":"host"' '"sysctls":{}' '"cgroup_parent":"/"' '"userns":"host"'; do
    key=$(sed 's/^"\([^"]*\)".*/\1/' <<<"$f")
    r=$(post /v1/run "{\"code\":\"print(1)\",$f}")
    assert_eq 400 "$(status_of "$r")" "$key"
    assert_contains "$(body_of "$r")" "field '$key' is not accepted"
  done
  for v in host container:abc bridge; do
    r=$(post /v1/run "{\"code\":\"print(1)\",\"network\":\"$v\"}")
    assert_eq 400 "$(status_of "$r")" "network $v"
  done
  for t in ../python orch/python:latest /python 'python/../minimal' alpine; do
    r=$(post /v1/run "{\"code\":\"print(1)\",\"template\":\"$t\"}")
    assert_eq 404 "$(status_of "$r")" "template $t"
  done
  r=$(post /v1/run '{"code":"print(1)","runtime":"runc"}')
  assert_eq 400 "$(status_of "$r")" "runtime chosen by a request"
  r=$(post /v1/run '{"code":"print(1)","memory":"64g"}')
  assert_eq 400 "$(status_of "$r")" "memory above the server's cap"
  # the lenient endpoints ignore what they do not know: the run is still locked down
  probe='import os; s=open(\"/proc/self/status\").read(); print([l.split()[1] for l in s.splitlines() if l.startswith(\"CapEff\")][0], os.getuid(), os.getcwd())'
  for path in /execute /run; do
    r=$(body_of "$(post $path "{\"language\":\"python\",\"code\":\"$probe\",\"privileged\":true,\"image\":\"alpine\",\"workdir\":\"/\",\"binds\":[\"/:/host\"]}")")
    assert_eq "0000000000000000 1000 /workspace" "$(json_get "$r" stdout | tr -d '\n')" "$path"
  done
  r=$(body_of "$(post /api/v2/execute "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"$probe\"}],\"privileged\":true,\"image\":\"alpine\",\"HostConfig\":{\"Privileged\":true}}")")
  assert_eq "0000000000000000 1000 /workspace" "$(json_get "$r" run.stdout | tr -d '\n')" "piston"
  assert_eq 0 "$(containers_of_pid "$SERVER_PID")"
}

test_cli_cannot_choose_privileges_or_image() {
  for flag in --privileged '--cap-add=ALL' '-v=/:/host' '--volume=/:/host' '--workdir=/' '-w=/' '--image=alpine' '--user=root' \
              '--security-opt=seccomp=unconfined' '--mount=type=bind,src=/,dst=/h' '--device=/dev/kmsg'; do
    out=$("$ORCH" run "$flag" -c 'print(1)' 2>&1) && fail "orch run accepted $flag"
    out=$("$ORCH" session create "$flag" 2>&1) && { "$ORCH" session rm "$out" >/dev/null 2>&1; fail "session create accepted $flag"; }
    "$ORCH" session exec s-000000000000 "$flag" -c 'true' >/dev/null 2>&1 && fail "session exec accepted $flag"
  done
  out=$("$ORCH" run --net host -c 'print(1)' 2>&1) && fail "orch run --net host"
  out=$("$ORCH" session create --net host 2>&1) && fail "session create --net host"
  out=$("$ORCH" run -t ../python -c 'print(1)' 2>&1) && fail "a template path"
  # a session runs as the template's user with nothing extra, whatever the caller asked for
  S=$("$ORCH" session create -t bash) || fail "session create"
  trap '"$ORCH" session rm "$S" >/dev/null 2>&1' EXIT
  out=$("$ORCH" session exec "$S" -c 'grep CapEff /proc/self/status | cut -f2; id -u; cat /proc/self/status | grep NoNewPrivs | cut -f2')
  assert_eq "$(printf '0000000000000000\n1000\n1')" "$out"
  assert_eq "[]" "$(docker inspect -f '{{json .Mounts}}' "$(docker ps -q --filter "label=orch.id=$S")")" "session mounts"
  assert_eq "false" "$(docker inspect -f '{{.HostConfig.Privileged}}' "$(docker ps -q --filter "label=orch.id=$S")")"
}

# ---------------------------------------------------------------------------------------------------
# Stronger isolation: gVisor per run, per server and per template, and a subset of the battery under it.

has_runsc() { docker info -f '{{json .Runtimes}}' | grep -q '"runsc"'; }

test_runtime_absent_is_a_clear_error() {
  out=$("$ORCH" run --runtime kata-nope -c 'print(1)' 2>&1)
  assert_eq 125 "$?"
  assert_contains "$out" "runtime 'kata-nope' is not available on this engine (it has: "
  out=$(timeout 20 "$ORCH" serve --listen 127.0.0.1:0 --runtime kata-nope 2>&1)
  assert_eq 2 "$?" "serve with a missing runtime"
  assert_contains "$out" "runtime 'kata-nope' is not available on this engine"
}

test_runsc_per_run_server_and_template() {
  has_runsc || fail "the engine has no runsc runtime (scripts/install-docker.sh registers it); CI must not skip this"
  scratch
  assert_eq 4.4.0 "$("$ORCH" run --runtime runsc -l bash -c 'uname -r')" "per run"
  assert_eq "$(uname -r)" "$("$ORCH" run -l bash -c 'uname -r')" "control: runc by default"
  mkdir -p "$SCRATCH/tpl/gbash"
  "$ORCH" templates show bash --json >/dev/null || fail "templates show"
  cat >"$SCRATCH/tpl/gbash/template.json" <<'EOF'
{"name": "gbash", "image": "orch/bash:latest", "runtime": "runsc",
 "languages": {"bash": {"file": "main.sh", "run": ["bash", "{file}"]}}}
EOF
  printf 'FROM orch/bash:latest\n' >"$SCRATCH/tpl/gbash/Dockerfile"
  assert_eq 4.4.0 "$(ORCH_TEMPLATES="$SCRATCH/tpl" "$ORCH" run -t gbash -c 'uname -r')" "per template"
  start_server --runtime runsc
  export ORCH_HOST=$BASE
  assert_eq 4.4.0 "$("$ORCH" run -l bash -c 'uname -r')" "per server"
  assert_eq 4.4.0 "$("$ORCH" run --runtime runsc -l bash -c 'uname -r')" "per server, asked for the same"
  out=$("$ORCH" run --runtime runc -l bash -c 'uname -r' 2>&1) && fail "a request overrode the server's runtime"
  assert_contains "$out" "chosen by the server"
}

# The warm pool's path (a pooled python runner whose output comes over its own sockets rather than
# the engine's attach stream) under the cases that stress output, environment and privileges.
test_battery_subset_through_the_warm_pool() {
  scratch
  MODE=serve-pool
  start_server --pool python=2
  export ORCH_HOST=$BASE
  local c before after
  for c in case_one_huge_line case_binary_output case_utf8_split_across_chunks case_env_is_clean case_privileges; do
    wait_for 300 pool_ready 2 || fail "the pool did not refill before $c"
    before=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
    TOK=hx$RANDOM$RANDOM
    SERVER_HWM_LIMIT_KB=120000 "$c"
    after=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
    [ "${after:-0}" -gt "${before:-0}" ] || fail "control: $c did not go through the pool"
  done
}

# The representative subset: every battery family once through the CLI, the riskiest ones again
# through a runsc server (the server path itself is runtime-independent and covered above).
runsc_subset() {  # case functions...
  local c
  for c in "$@"; do
    FLOOD=16M HOST_PORT=9 "$c"  # gVisor moves output at a few MB/s on the ptrace platform
  done
}
case_deadline_kills_everything_runsc() {
  # gVisor's processes are not host processes: check the deadline and the sandbox's removal.
  hrun --timeout 3 -l bash --arg "$TOK" -c 'trap "" TERM INT HUP
setsid bash -c "trap \"\" TERM; while :; do sleep 1; done" "d1-$1" </dev/null >/dev/null 2>&1 &
( bash -c "while :; do sleep 1; done" "d2-$1" & ) &
while :; do :; done'
  assert_eq timeout "$STATUS" "[$MODE] status"
  duration_below 7000
  no_procs "$TOK"
}
test_battery_subset_under_gvisor() {
  has_runsc || fail "the engine has no runsc runtime; CI must not skip this"
  RUNTIME=runsc
  scratch
  TOK=hx$RANDOM$RANDOM
  MODE=cli-runsc
  unset ORCH_HOST
  # the CLI path: every run of the subset asks for runsc
  ORCH_REAL=$ORCH
  ORCH=$SCRATCH/orch-runsc
  printf '#!/bin/sh\nif [ "$1" = run ]; then shift; exec "%s" run --runtime runsc "$@"; fi\nexec "%s" "$@"\n' "$ORCH_REAL" "$ORCH_REAL" >"$ORCH"
  chmod +x "$ORCH"
  runsc_subset case_fork_bomb_python case_memory_bomb case_deadline_kills_everything_runsc case_flood_both_streams \
    case_binary_output case_fill_disks case_no_persistence case_masked_and_no_socket case_privileges case_out_links \
    case_network_off
  ORCH=$ORCH_REAL
  MODE=serve-runsc
  start_server --runtime runsc
  export ORCH_HOST=$BASE
  runsc_subset case_fork_bomb_python case_deadline_kills_everything_runsc case_flood_both_streams case_privileges \
    case_out_links case_network_off
}
