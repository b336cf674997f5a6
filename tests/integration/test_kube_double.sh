# The Kubernetes API test double, checked by the real kubectl: if kubectl accepts what it says, the
# double speaks what a real API server speaks (discovery, pods, selectors, patches, logs, exec and
# attach over WebSocket v5, TLS, tokens, Pod Security admission, NetworkPolicies).
source "$(dirname "${BASH_SOURCE[0]}")/kube_lib.sh"

test_kubectl_pods_lifecycle_selectors_and_patches() {
  start_double
  pod_json keeper '["sleep","300"]' >"$SCRATCH/a.json"
  pod_json other '["sleep","300"]' | sed 's/"suite": "kube-double"/"suite": "other"/' >"$SCRATCH/b.json"
  assert_contains "$(kc create --validate=false -f "$SCRATCH/a.json" 2>&1)" "pod/keeper created"
  kc create --validate=false -f "$SCRATCH/b.json" >/dev/null || fail "second create"
  assert_contains "$(kc create --validate=false -f "$SCRATCH/a.json" 2>&1)" 'pods "keeper" already exists'
  kc wait --for=jsonpath='{.status.phase}'=Running pod/keeper --timeout=60s >/dev/null ||
    fail "kubectl wait (a list and a watch) never saw keeper running"
  local table
  table=$(kc get pods)
  assert_contains "$table" "NAME"
  assert_contains "$table" "keeper"
  assert_contains "$table" "Running"
  assert_eq "pod/keeper" "$(kc get pods -l suite=kube-double -o name)"
  assert_eq "pod/other" "$(kc get pods -l 'suite notin (kube-double)' -o name)"
  assert_eq "" "$(kc get pods -l 'suite,missing' -o name 2>/dev/null)"
  kc label pod keeper tier=gold >/dev/null || fail "label"
  kc annotate pod keeper orch.expires=1234 >/dev/null || fail "annotate"
  assert_eq "pod/keeper" "$(kc get pods -l tier=gold -o name)"
  assert_eq "1234" "$(kc get pod keeper -o jsonpath='{.metadata.annotations.orch\.expires}')"
  assert_contains "$(kc get pod missing 2>&1)" 'pods "missing" not found'
  assert_contains "$(kc delete pod keeper other 2>&1)" 'pod "keeper" deleted'
  assert_eq "" "$(kc get pods -o name)"
  wait_eval 50 '[ "$(docker ps -aq --filter "label=orch.k8s-double" --filter "label=io.kubernetes.pod.name=keeper" | wc -l)" = 0 ]' ||
    fail "the container of a deleted pod is still there"
}

test_kubectl_exec_attach_and_logs_over_websocket() {
  start_double
  pod_json sleeper '["sleep","300"]' >"$SCRATCH/s.json"
  pod_json greeter '["sh","-c","read name; echo hello $name; sleep 0.3; echo bye >&2; exit 4"]' >"$SCRATCH/g.json"
  kc create --validate=false -f "$SCRATCH/s.json" -f "$SCRATCH/g.json" >/dev/null || fail "create"
  wait_running sleeper
  local out rc
  out=$(printf 'abc' | kc exec -i sleeper -- sh -c 'tr a-z A-Z; echo oops >&2; exit 3' 2>"$SCRATCH/err")
  rc=$?
  assert_eq "ABC" "$out"
  assert_eq 3 "$rc" "kubectl exec passes the exit code from the status channel"
  assert_contains "$(cat "$SCRATCH/err")" "oops"
  assert_eq "uid=1000 gid=1000 groups=1000" "$(kc exec sleeper -- id)"
  head -c 300000 /dev/urandom >"$SCRATCH/blob"
  assert_eq "$(sha256sum <"$SCRATCH/blob" | cut -c1-64)" "$(kc exec -i sleeper -- sha256sum <"$SCRATCH/blob" | cut -c1-64)" \
    "300 KB of stdin arrive whole, in many frames"
  assert_eq "300000" "$(kc exec sleeper -- head -c 300000 /dev/zero | wc -c)" "300 KB of output arrive whole"

  wait_running greeter
  out=$(echo world | kc attach -i greeter 2>&1)
  assert_contains "$out" "hello world"
  wait_eval 300 '[ "$(pod_phase greeter)" = Failed ]' || fail "greeter did not end: $(pod_phase greeter)"
  assert_eq 4 "$(kc get pod greeter -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')"
  out=$(kc logs greeter)
  assert_contains "$out" "hello world"
  assert_contains "$out" "bye"
  assert_eq "bye" "$(kc logs greeter --tail=1)"
}

test_tls_client_certificate_and_token_via_kubeconfig() {
  start_double --tls-cert "$KUBE_TLS/server.crt" --tls-key "$KUBE_TLS/server.key" --client-ca "$KUBE_TLS/ca.crt" --token s3cret
  assert_contains "$KUBE_URL" "https://"
  write_kubeconfig "$SCRATCH/cert" "client-certificate-data: $(base64 -w0 "$KUBE_TLS/client.crt")" \
    "client-key-data: $(base64 -w0 "$KUBE_TLS/client.key")"
  write_kubeconfig "$SCRATCH/token" "token: s3cret"
  write_kubeconfig "$SCRATCH/wrong" "token: wrong"
  assert_contains "$(KUBECONFIG=$SCRATCH/cert kubectl get pods 2>&1)" "No resources found"
  assert_contains "$(KUBECONFIG=$SCRATCH/token kubectl get pods 2>&1)" "No resources found"
  assert_contains "$(KUBECONFIG=$SCRATCH/wrong kubectl get pods 2>&1)" "Unauthorized"
  sed -i "s/certificate-authority-data: .*/certificate-authority-data: $(base64 -w0 "$KUBE_TLS/other-ca.crt")/" "$SCRATCH/token"
  assert_contains "$(KUBECONFIG=$SCRATCH/token kubectl get pods 2>&1)" "certificate"
}

test_admission_refuses_what_the_restricted_profile_forbids() {
  start_double
  pod_json root '["true"]' '{"hostPID": true}' >"$SCRATCH/r.json"
  local out
  out=$(kc create --validate=false -f "$SCRATCH/r.json" 2>&1)
  assert_contains "$out" 'violates PodSecurity "restricted:latest"'
  assert_contains "$out" "hostPID=true"
  pod_json Bad_Name '["true"]' >"$SCRATCH/n.json"
  assert_contains "$(kc create --validate=false -f "$SCRATCH/n.json" 2>&1)" "RFC 1123"
}

test_deny_all_network_policy_leaves_only_loopback() {
  start_double
  cat >"$SCRATCH/deny.json" <<'JSON'
{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
 "spec": {"podSelector": {"matchLabels": {"suite": "kube-double"}}, "policyTypes": ["Ingress", "Egress"]}}
JSON
  kc create --validate=false -f "$SCRATCH/deny.json" >/dev/null || fail "policy"
  assert_eq "networkpolicy.networking.k8s.io/deny" "$(kc get networkpolicies -o name)"
  pod_json isolated '["sleep","300"]' >"$SCRATCH/i.json"
  pod_json open '["sleep","300"]' | sed 's/"suite": "kube-double"/"suite": "open"/' >"$SCRATCH/o.json"
  kc create --validate=false -f "$SCRATCH/i.json" -f "$SCRATCH/o.json" >/dev/null || fail "create"
  wait_running isolated
  wait_running open
  assert_eq "lo" "$(kc exec isolated -- ls /sys/class/net | tr '\n' ' ' | xargs)"
  assert_contains "$(kc exec open -- ls /sys/class/net)" "eth0" "a pod no policy selects keeps the pod network"
}

test_stopping_the_double_removes_its_containers() {
  start_double
  pod_json doomed '["sleep","300"]' >"$SCRATCH/d.json"
  kc create --validate=false -f "$SCRATCH/d.json" >/dev/null
  wait_running doomed
  local label="label=io.kubernetes.pod.name=doomed"
  local mine
  mine=$(docker ps -aq --filter "$label" --filter label=orch.k8s-double | wc -l)
  [ "$mine" -ge 1 ] || fail "no container for the pod"
  local id
  id=$(docker ps -aq --filter "$label" --filter label=orch.k8s-double | head -1)
  stop_double
  wait_eval 50 '[ -z "$(docker ps -aq --filter "id=$id")" ]' || fail "the double left its container"
}

test_deploy_manifests_map_validate_and_ask_for_the_least() {
  start_double
  local dir out
  dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../deploy/kubernetes" && pwd)
  out=$(kc apply --dry-run=client --validate=false -f "$dir" -f "$dir/optional" 2>&1) || fail "kubectl apply: $out"
  for want in namespace/orch namespace/orch-sandboxes serviceaccount/orch-serve role.rbac.authorization.k8s.io/orch-sandboxes \
    rolebinding.rbac.authorization.k8s.io/orch-serve deployment.apps/orch-serve service/orch \
    networkpolicy.networking.k8s.io/orch-sandbox-deny-all networkpolicy.networking.k8s.io/orch-serve runtimeclass.node.k8s.io/gvisor; do
    # The double has every namespace already, so those two are "configured".
    grep -qE "^$want (created|configured) \(dry run\)$" <<<"$out" || fail "$want not applied: $out"
  done
  kc create --dry-run=client --validate=false -o json -f "$dir" >"$SCRATCH/all.json" || fail "kubectl could not render the manifests"
  "$PY" - "$SCRATCH/all.json" "$(dirname "$dir")/../tests/fixtures/kube/policy_deny_all.json" "$SCRATCH/orch-pod.json" <<'PYEOF' || fail "manifest check"
import json, sys
text, items, pos = open(sys.argv[1]).read(), [], 0
while text[pos:].strip():  # kubectl prints one JSON object per manifest, back to back
    obj, end = json.JSONDecoder().raw_decode(text, pos + len(text[pos:]) - len(text[pos:].lstrip()))
    items, pos = items + [obj], end
by = {(i["kind"], i["metadata"]["name"]): i for i in items}
rules = by[("Role", "orch-sandboxes")]["rules"]
granted = {(r["apiGroups"][0], res, v) for r in rules for res in r["resources"] for v in r["verbs"]}
assert all(r["apiGroups"] in ([""], ["networking.k8s.io"]) for r in rules), "only core pods, config maps and network policies"
assert not any("secrets" in r["resources"] or "*" in r["resources"] or "*" in r["verbs"] for r in rules), rules
for need in [("", "pods", v) for v in ("create", "get", "list", "watch", "patch", "delete")] + [("", "pods/exec", "create"), ("", "pods/attach", "create"), ("", "pods/log", "get")] + [("", "configmaps", v) for v in ("create", "get", "list", "delete")]:
    assert need in granted, need
assert by[("Role", "orch-sandboxes")]["metadata"]["namespace"] == "orch-sandboxes"
# The deny-all policy shipped is the one orch makes (sandbox/kube pod.cpp's deny_all_policy, golden file).
shipped = by[("NetworkPolicy", "orch-sandbox-deny-all")]
golden = json.load(open(sys.argv[2]))
assert shipped["spec"] == golden["spec"], (shipped["spec"], golden["spec"])
dep = by[("Deployment", "orch-serve")]
env = {e["name"]: e["value"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
c = dep["spec"]["template"]["spec"]["containers"][0]
assert env == {"ORCH_BACKEND": "kubernetes", "ORCH_K8S_NAMESPACE": "orch-sandboxes", "ORCH_K8S_AGENT_IMAGE": c["image"]}, env
assert by[("Namespace", "orch-sandboxes")]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orch-serve-check"}, "spec": dep["spec"]["template"]["spec"]}
json.dump(pod, open(sys.argv[3], "w"))
PYEOF
  # orch serve's own pod passes the restricted profile too (the double's admission, server-side dry run).
  assert_contains "$(kc create --dry-run=server --validate=false -f "$SCRATCH/orch-pod.json" 2>&1)" "created (server dry run)"
}

test_real_cluster_suite_passes_against_the_double() {
  start_double
  write_kubeconfig "$SCRATCH/config" "token: unused"
  local suite t
  suite="$(dirname "${BASH_SOURCE[0]}")/test_kube_cluster.sh"
  for t in test_cluster_runs_orchs_pod_with_its_hardening test_cluster_deny_all_policy_isolates_sandboxes test_cluster_orch_run_end_to_end; do
    (ORCH_K8S_TEST_NAMESPACE=default KUBECONFIG=$SCRATCH/config ORCH_K8S_TEST_POLICY=1 ORCH_K8S_TEST_TEMPLATES=1; source "$suite"; "$t") ||
      fail "$t failed against the double"
  done
}
