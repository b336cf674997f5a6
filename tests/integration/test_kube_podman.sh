# orch's sandbox Pod manifest (`orch run --dry-run` on the kubernetes backend) run for real by Debian's podman (`podman kube play`): inside, the
# hardening must hold. Podman keeps its own storage (/var/lib/containers) and never touches dockerd.
source "$(dirname "${BASH_SOURCE[0]}")/kube_lib.sh"

pm() {
  CONTAINERS_CONF=$PODMAN_CONF podman "$@"
}

# What the sandbox reports about itself, one fact a line.
PROBE='export PATH=/usr/bin:/bin
grep -E "^(NoNewPrivs|CapEff):" /proc/self/status | tr -d "\t"
echo "net:$(ls /sys/class/net | tr "\n" " ")"
echo "root:$(awk '\''$2 == "/" {split($4, o, ","); print o[1]}'\'' /proc/mounts)"
echo "memory:$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
echo "user:$(id -u):$(id -g)"
touch /workspace/x /tmp/x && echo scratch:writable'

# Plays a Pod manifest under NAME with the probe as its command; prints the probe's output.
play_probe() {  # manifest name [python-statements-editing-pod]
  local name=$2 edit=${3:-} file
  file=$SCRATCH/$name.json
  "$PY" - "$1" "$name" "$PROBE" "$edit" >"$file" <<'PYEOF'
import json, sys
pod = json.load(open(sys.argv[1]))
name, probe, edit = sys.argv[2:5]
pod["metadata"]["name"] = name
# podman 4.3 refuses annotation values over 63 characters (Kubernetes allows 256 KiB).
pod["metadata"].pop("annotations", None)
c = pod["spec"]["containers"][0]
c["args"] = ["/bin/sh", "-c", probe]  # podman 4.3 does not merge the image's PATH into env
if edit:
    exec(edit)
print(json.dumps(pod))
PYEOF
  pm kube play --network none "$file" >/dev/null 2>"$file.err" || { cat "$file.err" >&2; return 1; }
  for _ in $(seq 100); do
    [ "$(pm inspect "$name-sandbox" --format '{{.State.Status}}' 2>/dev/null)" = exited ] && break
    sleep 0.1
  done
  pm logs "$name-sandbox" 2>&1
  pm pod rm -f "$name" >/dev/null 2>&1
}

# The Pod `orch run` would create on Kubernetes for the minimal template (a dry run asks no API server).
orch_pod() {  # file
  KUBE_URL=http://127.0.0.1:9 write_kubeconfig "$SCRATCH/kubeconfig" "token: unused"
  ORCH_KUBECONFIG=$SCRATCH/kubeconfig "$ORCH" run --backend kubernetes --dry-run -t minimal -c true |
    "$PY" -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["create"]))' >"$1" || fail "orch run --dry-run failed"
}

podman_ready() {
  scratch
  PODMAN_CONF=$SCRATCH/containers.conf
  # podman sets the nofile and nproc limits to the host's maximum unless told otherwise, which a
  # sandboxed CI host may refuse.
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' >"$PODMAN_CONF"
  command -v podman >/dev/null || fail "podman is not installed (.ci/run installs podman and catatonit)"
  # podman keeps its own images: the template's is copied over from Docker once.
  pm image exists orch/minimal:latest ||
    pm pull -q docker-daemon:orch/minimal:latest >/dev/null || fail "cannot copy orch/minimal from Docker into podman"
  orch_pod "$SCRATCH/pod.json"
}

test_podman_runs_the_run_pod_with_its_hardening() {
  podman_ready
  local docker_before out
  docker_before=$(docker ps -aq | wc -l)
  out=$(play_probe "$SCRATCH/pod.json" "orch-podman-$$") || fail "podman kube play failed"
  assert_contains "$out" "NoNewPrivs:1"
  assert_contains "$out" "CapEff:0000000000000000"
  assert_contains "$out" "net:lo " "only the loopback interface"
  assert_contains "$out" "root:ro"
  assert_contains "$out" "memory:134217728" "the minimal template's 128m memory limit"
  assert_contains "$out" "user:1000:1000"
  assert_contains "$out" "scratch:writable"
  [ "$(docker ps -aq | wc -l)" -le "$((docker_before + 5))" ] || fail "podman's pod showed up in Docker"
  [ -z "$(docker ps -aq --filter "name=orch-podman-$$")" ] || fail "podman's pod showed up in Docker"
}

test_podman_probe_sees_a_weakened_manifest() {
  podman_ready
  local out
  out=$(play_probe "$SCRATCH/pod.json" "orch-podman-weak-$$" 'sc = c["securityContext"]; sc["readOnlyRootFilesystem"] = False; sc["allowPrivilegeEscalation"] = True; c["resources"]["limits"]["memory"] = c["resources"]["requests"]["memory"] = "64Mi"') ||
    fail "podman kube play failed"
  assert_contains "$out" "NoNewPrivs:0" "the probe tells a manifest that allows escalation"
  assert_contains "$out" "root:rw"
  assert_contains "$out" "memory:67108864"
}
