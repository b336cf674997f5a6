# Against a real cluster (kind, k3s, GKE, ...), only when one is given: ORCH_K8S_TEST_NAMESPACE names
# a namespace the tests may fill and empty, and ORCH_KUBECONFIG or KUBECONFIG a kubeconfig for it.
# ORCH_K8S_TEST_IMAGE is an image the nodes can pull (debian:bookworm-slim by default);
# ORCH_K8S_TEST_POLICY=1 says the CNI enforces NetworkPolicy, so isolation is checked too;
# ORCH_K8S_TEST_TEMPLATES=1 that the nodes pull orch's template images, so orch itself runs there;
# ORCH_K8S_TEST_AGENT_IMAGE names orch's own image (make docker-image, pushed where the nodes pull
# from), which orch is given as ORCH_K8S_AGENT_IMAGE for sessions; without it a session's agent
# goes in through its stdin. Each test says what it uses when it fails or skips.
GOLDEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/kube" && pwd)

cluster_ready() {
  [ -n "${ORCH_K8S_TEST_NAMESPACE:-}" ] ||
    skip "no cluster given (set ORCH_K8S_TEST_NAMESPACE and a kubeconfig in ORCH_KUBECONFIG or KUBECONFIG to run it)"
  KCFG=${ORCH_KUBECONFIG:-${KUBECONFIG:-$HOME/.kube/config}}
  [ -f "$KCFG" ] || skip "no kubeconfig at $KCFG"
  kk get pods >/dev/null || fail "cannot list pods in $ORCH_K8S_TEST_NAMESPACE with $KCFG"
  scratch
}

# The API server validates what it takes; kubectl's own schema check would need the OpenAPI download.
kk() {
  KUBECONFIG=$KCFG kubectl -n "$ORCH_K8S_TEST_NAMESPACE" "$@"
}

# orch's golden run pod (the generator's output, pinned by the unit tests) running ARGS.
cluster_pod() {  # name args-json labels-json
  "$PY" - "$GOLDEN_DIR/pod_run.json" "$@" "${ORCH_K8S_TEST_IMAGE:-debian:bookworm-slim}" <<'PYEOF'
import json, sys
pod = json.load(open(sys.argv[1]))
pod["metadata"]["name"] = sys.argv[2]
pod["metadata"]["labels"].update(json.loads(sys.argv[4]))
c = pod["spec"]["containers"][0]
c["image"], c["args"], c["stdin"], c["stdinOnce"] = sys.argv[5], json.loads(sys.argv[3]), False, False
print(json.dumps(pod))
PYEOF
}

finished() {  # name
  local phase
  phase=$(kk get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)
  [ "$phase" = Succeeded ] || [ "$phase" = Failed ]
}

test_cluster_runs_orchs_pod_with_its_hardening() {
  cluster_ready
  local name="orch-it-$$" out
  cluster_pod "$name" '["/bin/sh","-c","grep -E \"^(NoNewPrivs|CapEff):\" /proc/self/status | tr -d \"\\t\"; awk '\''$2 == \"/\" {split($4, o, \",\"); print \"root:\" o[1]}'\'' /proc/mounts; echo user:$(id -u); echo mem:$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"]' '{}' \
    >"$SCRATCH/pod.json"
  out=$(kk create --validate=false -f "$SCRATCH/pod.json" 2>&1) || fail "the cluster refused orch's pod: $out"
  wait_for 1200 finished "$name" || { kk delete pod "$name" --wait=false >/dev/null; fail "the pod never finished"; }
  out=$(kk logs "$name")
  kk delete pod "$name" --wait=false >/dev/null
  assert_contains "$out" "NoNewPrivs:1"
  assert_contains "$out" "CapEff:0000000000000000"
  assert_contains "$out" "root:ro"
  assert_contains "$out" "user:1000"
  assert_contains "$out" "mem:268435456"
}

test_cluster_deny_all_policy_isolates_sandboxes() {
  cluster_ready
  [ "${ORCH_K8S_TEST_POLICY:-}" = 1 ] || skip "the CNI is not said to enforce NetworkPolicy (set ORCH_K8S_TEST_POLICY=1)"
  local name="orch-it-net-$$" out
  kk apply --validate=false -f "$GOLDEN_DIR/policy_deny_all.json" >/dev/null || fail "cannot create the deny-all policy"
  cluster_pod "$name" '["/bin/sh","-c","exec 3<>/dev/tcp/kubernetes.default.svc/443 && echo reached || echo blocked"]' '{}' \
    | sed 's#"/bin/sh"#"/bin/bash"#' >"$SCRATCH/pod.json"
  kk create --validate=false -f "$SCRATCH/pod.json" >/dev/null || fail "create"
  wait_for 1200 finished "$name" || fail "the pod never finished"
  out=$(kk logs "$name")
  kk delete pod "$name" --wait=false >/dev/null
  assert_contains "$out" "blocked"
}

# orch's own settings for the cluster under test, in ORCH_ENV, and a line saying what they are.
orch_env() {
  cluster_ready
  [ "${ORCH_K8S_TEST_TEMPLATES:-}" = 1 ] ||
    skip "orch's template images are not said to be pullable by the nodes (push them and set ORCH_K8S_TEST_TEMPLATES=1)"
  ORCH_ENV=(ORCH_BACKEND=kubernetes "ORCH_KUBECONFIG=$KCFG" "ORCH_K8S_NAMESPACE=$ORCH_K8S_TEST_NAMESPACE")
  if [ -n "${ORCH_K8S_TEST_AGENT_IMAGE:-}" ]; then
    ORCH_ENV+=("ORCH_K8S_AGENT_IMAGE=$ORCH_K8S_TEST_AGENT_IMAGE")
    echo "namespace $ORCH_K8S_TEST_NAMESPACE, kubeconfig $KCFG, agent image $ORCH_K8S_TEST_AGENT_IMAGE (ORCH_K8S_TEST_AGENT_IMAGE)"
  else
    echo "namespace $ORCH_K8S_TEST_NAMESPACE, kubeconfig $KCFG, no agent image: sessions take orch's agent through stdin"
  fi
}

test_cluster_orch_run_end_to_end() {
  orch_env
  assert_eq 42 "$(env "${ORCH_ENV[@]}" "$ORCH" run -c 'print(6 * 7)')"
  assert_rc 3 env "${ORCH_ENV[@]}" "$ORCH" run -l bash -c 'exit 3'
  assert_rc 124 env "${ORCH_ENV[@]}" "$ORCH" run --timeout 2 -c 'while True: pass'
  assert_eq "" "$(kk get pods -l orch.managed=1,orch.kind=run -o name)" "orch removes its run pods"
}

test_cluster_session_with_orchs_agent() {
  orch_env
  [ -n "${ORCH_K8S_TEST_AGENT_IMAGE:-}" ] ||
    skip "no agent image: set ORCH_K8S_TEST_AGENT_IMAGE to orch's image (make docker-image), pullable by the nodes"
  local s
  s=$(env "${ORCH_ENV[@]}" "$ORCH" session create -t python) || fail "session create with agent image $ORCH_K8S_TEST_AGENT_IMAGE"
  assert_eq "$ORCH_K8S_TEST_AGENT_IMAGE" "$(kk get pods -l "orch.id=$s" -o jsonpath='{.items[0].spec.initContainers[0].image}')"
  assert_eq 42 "$(env "${ORCH_ENV[@]}" "$ORCH" session exec "$s" -c 'x = 6 * 7')$(env "${ORCH_ENV[@]}" "$ORCH" session exec "$s" -c 'print(x)')"
  env "${ORCH_ENV[@]}" "$ORCH" session rm "$s" >/dev/null || fail "session rm"
}

# With a policy-enforcing CNI: a networked run resolves names through the cluster's DNS but reaches
# neither the API server's Service nor the cloud metadata address.
test_cluster_networked_run_reaches_neither_cluster_nor_metadata() {
  orch_env
  [ "${ORCH_K8S_TEST_POLICY:-}" = 1 ] || skip "the CNI is not said to enforce NetworkPolicy (set ORCH_K8S_TEST_POLICY=1)"
  local out
  out=$(env "${ORCH_ENV[@]}" "$ORCH" run --net bridge -c 'import socket
def tcp(host, port):
    try:
        socket.create_connection((host, port), timeout=5).close(); return "open"
    except OSError:
        return "blocked"
print(socket.gethostbyname("kubernetes.default.svc.cluster.local") != "", tcp("kubernetes.default.svc.cluster.local", 443), tcp("169.254.169.254", 80))') ||
    fail "networked run: $out"
  assert_eq "True blocked blocked" "$out"
  assert_eq "" "$(kk get networkpolicy -l orch.kind=run -o name)" "orch removes its runs' egress policies"
}
