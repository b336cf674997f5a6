# The Kubernetes API test double (tests/kube/double.py) for the suites that need one.
KUBE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../kube" && pwd)
KUBE_TLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/kube/tls" && pwd)

# Starts a double (extra arguments go to it) and sets KUBE_URL and KUBE_PID, and SCRATCH as
# scratch() does; the double is stopped, its containers removed and SCRATCH with them when the
# test's subshell exits (so do not call scratch() after this: its trap would replace this one);
# KUBE_AFTER, when set, is run then too.
start_double() {
  local out
  [ -n "${SCRATCH:-}" ] || SCRATCH=$(mktemp -d /tmp/orch-it.XXXXXX)
  out=$SCRATCH/double.out
  "$PY" "$KUBE_DIR/double.py" --port 0 "$@" >"$out" 2>"$out.err" &
  KUBE_PID=$!
  trap 'stop_double; eval "${KUBE_AFTER:-}"; rm -rf "$SCRATCH"' EXIT
  wait_for 100 grep -q listening "$out" || fail "the Kubernetes double did not start: $(cat "$out.err")"
  wait_for 50 grep -q '^instance ' "$out" || fail "the Kubernetes double did not say its instance"
  KUBE_URL=$(sed -n 's/^listening on //p' "$out")
  KUBE_INSTANCE=$(sed -n 's/^instance //p' "$out")
}

# Stops the double; fails when it left a container or network of its own behind.
stop_double() {
  [ -n "${KUBE_PID:-}" ] || return 0
  kill "$KUBE_PID" 2>/dev/null
  wait "$KUBE_PID" 2>/dev/null
  KUBE_PID=
  local left
  left=$(( $(docker ps -aq --filter "label=orch.k8s-double=$KUBE_INSTANCE" | wc -l) +
           $(docker network ls -q --filter "label=orch.k8s-double=$KUBE_INSTANCE" | wc -l) ))
  [ "$left" = 0 ] || fail "the Kubernetes double left $left containers or networks behind"
}

# kubectl against the double, with no kubeconfig of the user's.
kc() {
  KUBECONFIG=/dev/null kubectl --server "$KUBE_URL" "$@"
}

# A kubeconfig for the double as `kubectl config view --raw --flatten` writes one; the user part is given.
write_kubeconfig() {  # path user-lines...
  local path=$1; shift
  {
    echo "apiVersion: v1"
    echo "clusters:"
    echo "- cluster:"
    echo "    certificate-authority-data: $(base64 -w0 "$KUBE_TLS/ca.crt")"
    echo "    server: $KUBE_URL"
    echo "  name: double"
    echo "contexts:"
    echo "- context:"
    echo "    cluster: double"
    echo "    user: tester"
    echo "  name: double"
    echo "current-context: double"
    echo "kind: Config"
    echo "preferences: {}"
    echo "users:"
    echo "- name: tester"
    echo "  user:"
    for line in "$@"; do echo "    $line"; done
  } >"$path"
}

# A pod manifest under the restricted profile running ARGS (JSON array) in debian:bookworm-slim.
pod_json() {  # name args-json [extra-spec-json]
  "$PY" - "$@" <<'PYEOF'
import json, sys
name, args = sys.argv[1], json.loads(sys.argv[2])
extra = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"suite": "kube-double"}},
       "spec": dict({"restartPolicy": "Never", "automountServiceAccountToken": False,
                     "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000,
                                         "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "main", "image": "debian:bookworm-slim", "args": args,
                                     "stdin": True, "stdinOnce": True,
                                     "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                         "capabilities": {"drop": ["ALL"]}}}]}, **extra)}
print(json.dumps(pod))
PYEOF
}

pod_phase() {  # name
  kc get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null
}

# Waits (a minute: the engine is shared and CI is loaded) until the pod runs; fails saying its status.
wait_running() {  # name
  local pod=$1
  wait_eval 600 '[ "$(pod_phase "$pod")" = Running ]' || fail "pod $1 never ran: $(kc get pod "$1" -o jsonpath='{.status}' 2>&1)"
}
