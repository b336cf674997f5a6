# orch against Podman's Docker-compatible API (Debian's podman 4.3 as `podman system service`, its own
# storage, never a second dockerd): one-shot runs with their hardening, sessions and orch serve.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

# Starts a Podman service on a socket of this test and points DOCKER_HOST at it. The image store
# outlives the test (under /var/tmp, not the build folder: Podman leaves a mount in it), so the
# templates are copied in from Docker once.
podman_engine() {
  command -v podman >/dev/null && command -v catatonit >/dev/null || fail "podman and catatonit are not installed (.ci/run installs them)"
  scratch
  PODMAN_STORE=/var/tmp/orch-it-podman-$(id -u)
  mkdir -p "$PODMAN_STORE"
  # podman sets the nofile and nproc limits to the host's maximum unless told otherwise, which a sandboxed host may refuse.
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' >"$SCRATCH/containers.conf"
  export CONTAINERS_CONF=$SCRATCH/containers.conf
  pm() { podman --root "$PODMAN_STORE/root" --runroot "$PODMAN_STORE/run" "$@"; }
  for image in orch/python orch/minimal; do
    pm image exists "$image:latest" && continue
    docker save "$image:latest" | pm load -q >/dev/null || fail "could not copy $image from Docker into Podman's store"
  done
  # exec: $! must be podman's pid, not a subshell's that would leave podman running when killed.
  (exec podman --root "$PODMAN_STORE/root" --runroot "$PODMAN_STORE/run" system service --time=0 "unix://$SCRATCH/podman.sock" \
    >"$SCRATCH/podman.log" 2>&1) &
  PODMAN_PID=$!
  trap 'stop_podman; rm -rf "$SCRATCH"' EXIT
  wait_for 100 curl -sf --unix-socket "$SCRATCH/podman.sock" http://podman/_ping || fail "podman service did not answer: $(cat "$SCRATCH/podman.log")"
  export DOCKER_HOST=unix://$SCRATCH/podman.sock
}

stop_podman() {
  kill "$PODMAN_PID" 2>/dev/null
  wait "$PODMAN_PID" 2>/dev/null
}

# What a sandbox says about itself, one fact a line.
PROBE='import ctypes, os, sys
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
print("seccomp", status["Seccomp"].strip(), "nnp", status["NoNewPrivs"].strip(), "capeff", status["CapEff"].strip())
print("net", " ".join(sorted(os.listdir("/sys/class/net"))))
print("root", [l.split()[3].split(",")[0] for l in open("/proc/mounts") if l.split()[1] == "/"][0])
print("uid", os.getuid(), "pid1", open("/proc/1/comm").read().strip())
libc = ctypes.CDLL(None, use_errno=True)
print("unshare", libc.unshare(0x10000000), ctypes.get_errno())
print("ptrace", libc.ptrace(0, 0, 0, 0), ctypes.get_errno())
print(sys.stdin.read().strip(), open("in.txt").read())
sys.exit(3)'

test_run_through_podman_keeps_the_hardening() {
  podman_engine
  assert_eq Podman "$("$PY" -c 'import json,sys; d=json.load(sys.stdin); print("Podman" if any("Podman" in c["Name"] for c in d["Components"]) else "?")' \
    <<<"$(curl -s --unix-socket "$SCRATCH/podman.sock" http://podman/version)")"
  before=$(pm ps -aq --filter label=orch.managed=1 | wc -l)
  echo "from a file" >"$SCRATCH/in.txt"
  out=$(echo "from stdin" | "$ORCH" run -f "$SCRATCH/in.txt" -c "$PROBE" 2>&1)
  assert_eq 3 $? "exit code: $out"
  assert_contains "$out" "seccomp 2 nnp 1 capeff 0000000000000000"
  assert_contains "$out" "net lo"
  assert_contains "$out" "root ro"
  assert_contains "$out" "uid 1000 pid1 podman-init"  # Podman's name for catatonit, its --init
  assert_contains "$out" "unshare -1 1"   # EPERM from orch's profile
  assert_contains "$out" "ptrace -1 1"
  assert_contains "$out" "from stdin from a file"
  out=$("$ORCH" run --json --timeout 1 -c 'import time; time.sleep(30)')
  assert_eq timeout "$(json_get "$out" status)"
  # Podman 4.3 does not report OOMKilled here, so the kill shows as exit 137 (SIGKILL), not "oom".
  out=$("$ORCH" run --json --memory 64m -c 'b = bytearray(512 << 20)')
  assert_eq 137 "$(json_get "$out" exit_code)"
  assert_eq "$before" "$(pm ps -aq --filter label=orch.managed=1 | wc -l)" "sandboxes left in Podman"
}

test_session_through_podman() {
  podman_engine
  before=$(pm ps -aq --filter label=orch.managed=1 | wc -l)
  id=$("$ORCH" session create --ttl 120) || fail "session create"
  "$ORCH" session exec "$id" -c 'x = 41' >/dev/null || fail "exec"
  assert_eq 42 "$("$ORCH" session exec "$id" -c 'print(x + 1)')"
  echo hello >"$SCRATCH/up.txt"
  "$ORCH" session upload "$id" "$SCRATCH/up.txt" data/up.txt >/dev/null || fail "upload"
  assert_eq hello "$("$ORCH" session exec "$id" -c 'print(open("data/up.txt").read().strip())')"
  "$ORCH" session extend "$id" --ttl 600 >/dev/null || fail "extend"
  out=$("$ORCH" session ls)
  [[ $out =~ (9m[0-9]+s|10m) ]] || fail "the extended expiry (about 10m) is not listed: $out"
  "$ORCH" session rm "$id" >/dev/null || fail "rm"
  back_to_before() { [ "$(pm ps -aq --filter label=orch.managed=1 | wc -l)" = "$before" ]; }  # counted again on each try
  wait_for 50 back_to_before || fail "session container left in Podman"
}

test_serve_through_podman() {
  podman_engine
  start_server
  trap 'stop_server; stop_podman' EXIT
  assert_eq true "$(json_get "$(curl -s "$BASE/health")" engine.reachable)"
  r=$(post /v1/run '{"language":"python","code":"import sys; print(6 * 7); print(\"e\", file=sys.stderr)"}')
  assert_eq 200 "$(status_of "$r")"
  assert_eq 42 "$(json_get "$(body_of "$r")" stdout)"
  assert_eq e "$(json_get "$(body_of "$r")" stderr)"
  id=$(json_get "$(body_of "$(post /v1/sessions '{"template":"minimal","ttl":60}')")" id)
  assert_eq "hi" "$(json_get "$(body_of "$(post "/v1/sessions/$id/exec" '{"code":"echo hi"}')")" stdout | tr -d '\n')"
  assert_eq 204 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/v1/sessions/$id")"
}
