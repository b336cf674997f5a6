# Hostile-input battery: disks and persistence between runs.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# Disk: ENOSPC inside the sandbox only.

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
# Persistence: nothing from an earlier run is visible to a later one (cold path and warm pool).

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

