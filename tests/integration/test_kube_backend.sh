# it: long
# orch with ORCH_BACKEND=kubernetes against the Kubernetes API double: cases of the run, session,
# serve and hostile suites that exercise what differs per backend (streams over WebSocket,
# stdin close, exit codes from pod status, kill, OOM, network policy, labels, expiry, the pool's
# attach path, cleanup). Each group runs under one double, which must hold no pod and no record
# (ConfigMap: a pooled session's claim) afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/kube_lib.sh"
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Runs the named tests of SUITE with orch pointed at a fresh double.
on_kubernetes() {  # suite test...
  local suite=$IT_DIR/$1 t failed=()
  shift
  start_double
  write_kubeconfig "$SCRATCH/kubeconfig" "token: unused"
  for t in "$@"; do
    (export ORCH_BACKEND=kubernetes ORCH_KUBECONFIG=$SCRATCH/kubeconfig ORCH_K8S_NAMESPACE=default
     unset SCRATCH; source "$suite"; set +e; "$t") >"$SCRATCH/$t.log" 2>&1 || failed+=("$t: $(grep -A3 'FAIL' "$SCRATCH/$t.log" | head -20; tail -3 "$SCRATCH/$t.log" | tr '\n' ' ')")
  done
  [ ${#failed[@]} = 0 ] || fail "on kubernetes: ${failed[*]}"
  local pods
  pods=$(grep -c '^created pod ' "$SCRATCH/double.out.err")
  [ "$pods" -ge $# ] || fail "only $pods pods went through the double for $# tests"
  wait_eval 100 '[ -z "$(kc get pods -o name)" ]' || fail "pods left behind: $(kc get pods -o name | tr '\n' ' ')"
  assert_eq "" "$(kc get configmaps -o name)" "records left behind"
  stop_double  # a test may ask for several suites, each with its own double
}

test_run_cases_on_kubernetes() {
  on_kubernetes test_run.sh test_hello_python test_hello_bash test_stdin_is_piped_through test_exit_code_passthrough \
    test_stderr_is_separate test_json_result_fields test_files_in_and_out test_env_and_args \
    test_timeout_kills_sigterm_ignoring_and_forked_children test_memory_limit_is_oom test_network_is_unreachable \
    test_read_only_root_and_non_root_user
}

# Not here: services (a second container sharing the session's processes has no restricted-pod
# equivalent) and the cases that look at Docker containers directly.
test_session_cases_on_kubernetes() {
  on_kubernetes test_session.sh test_python_state_persists test_bash_state_persists test_kernel_restarts_after_crash \
    test_upload_download_binary_roundtrip test_path_tricks_refused test_extend_moves_expiry \
    test_names_ls_show
}

test_serve_cases_on_kubernetes() {
  on_kubernetes test_serve.sh test_health_metrics_templates test_run_json_fields_and_files test_run_timeout_status \
    test_sse_events_in_order test_compat_execute_and_run test_pool_serves_fresh_sandboxes_and_refills \
    test_pool_runs_keep_run_semantics test_cli_through_server_with_orch_host \
    test_sigterm_drains_in_flight_run serve_networked_case
}

# Not a test of its own: `orch serve` on Kubernetes runs a networked request under its policy and
# refuses lan (even with --allow-lan) with the backend's reason.
serve_networked_case() {
  start_server --allow-net --allow-lan
  local r
  r=$(post /v1/run '{"code":"print(\"net\")","network":"bridge"}')
  assert_eq 200 "$(status_of "$r")" "networked run: $r"
  assert_eq net "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  r=$(post /v1/run '{"code":"print(1)","network":"lan"}')
  assert_eq 400 "$(status_of "$r")" "lan: $r"
  assert_contains "$(body_of "$r")" "network 'lan'"
}

test_hostile_cases_on_kubernetes() {
  on_kubernetes test_hostile_network.sh test_network_off_reaches_nothing
  on_kubernetes test_hostile_privileges.sh test_environment_holds_only_template_and_user_vars
  on_kubernetes test_hostile_limits.sh test_memory_bomb_is_oom test_deadline_kills_spin_traps_and_daemons test_daemons_die_with_the_program
  on_kubernetes test_hostile_disk.sh test_fill_tmp_and_workspace test_no_persistence_between_runs
  on_kubernetes test_hostile_output.sh test_binary_nul_invalid_utf8_and_ansi_output
}

# E2B sandboxes on Kubernetes, with orch's agent put in place by an init container from orch's own
# image (ORCH_K8S_AGENT_IMAGE, built here as deploy/docker builds it): every SDK case that does not
# read Docker containers directly (processes, files, the code interpreter, and the lifecycle's
# tenants, tokens, timeouts, list, connect and kill under a session pool), then one sandbox's pod
# read from both sides. The lifecycle's first sandbox must be the pool's pod, claimed.
test_e2b_cases_on_kubernetes() {
  local image=orch-it-agent:$$-$RANDOM
  local out sid
  out=$(bash "$IT_DIR/../../deploy/docker/build.sh" "$ORCH" "$image" 2>&1) || fail "could not build orch's image: $out"
  KUBE_AFTER="docker rmi -f $image >/dev/null 2>&1"
  export ORCH_K8S_AGENT_IMAGE=$image
  on_kubernetes test_e2b.sh test_e2b_commands test_e2b_files test_e2b_lifecycle_tenants_and_tokens test_e2b_code_interpreter \
    e2b_agent_from_the_init_container cluster_session_case
  sid=$(sed -n 's/^SANDBOX //p' "$SCRATCH/test_e2b_lifecycle_tenants_and_tokens.log")
  [ -n "$sid" ] || fail "the lifecycle case named no sandbox"
  grep -q "^created pod default/orch-pool-$sid " "$SCRATCH/double.out.err" ||
    fail "the lifecycle's sandbox $sid was not the session pool's pod: $(grep '^created pod' "$SCRATCH/double.out.err" | tr '\n' ' ')"
}

# Not a test of its own: the real-cluster suite's session case hands orch the image it is given in
# ORCH_K8S_TEST_AGENT_IMAGE, not one of orch's environment.
cluster_session_case() {
  local image=$ORCH_K8S_AGENT_IMAGE
  unset ORCH_K8S_AGENT_IMAGE
  (ORCH_K8S_TEST_NAMESPACE=default KUBECONFIG=$ORCH_KUBECONFIG ORCH_K8S_TEST_TEMPLATES=1 ORCH_K8S_TEST_AGENT_IMAGE=$image
   source "$IT_DIR/test_kube_cluster.sh"; test_cluster_session_with_orchs_agent)
}

# Not a test of its own: run by the case above, inside a double.
e2b_agent_from_the_init_container() {
  e2b_setup
  local out sid pod
  out=$(cd "$E2B_DIR" && node --input-type=module -e '
    const { Sandbox } = await import("e2b");
    const s = await Sandbox.create("base", { timeoutMs: 60000 });
    const run = async (cmd) => { try { const r = await s.commands.run(cmd); return r.stdout.trim(); } catch (e) { return "error: " + (e.stderr || e.message).trim(); } };
    console.log("id " + s.sandboxId);
    console.log("uid " + await run("id -u"));
    console.log("agent " + await run("stat -c %u:%a /.orch-agent/orch"));
    console.log("write " + await run("echo x > /.orch-agent/orch && echo written"));
    console.log("tar " + await run("ls /tmp/.orch/lib/orch 2>&1 || true"));' 2>&1) || fail "e2b on kubernetes: $out"
  echo "$out"
  sid=$(sed -n 's/^id //p' <<<"$out")
  pod=$(kc get pods -l "orch.id=$sid" -o json)
  curl -sf -X DELETE -H "X-API-KEY: $E2B_API_KEY" "$E2B_API_URL/sandboxes/$sid" || fail "kill failed"
  assert_contains "$out" "uid 1000"
  assert_contains "$out" "agent 59999:555"
  assert_contains "$out" "Read-only file system"
  assert_not_contains "$out" "written"
  assert_contains "$out" "No such file"  # the kernels' tar did not carry the agent
  "$PY" - "$pod" "$ORCH_K8S_AGENT_IMAGE" <<'PYEOF' || fail "the sandbox's pod: $pod"
import json, sys
pod, image = json.loads(sys.argv[1])["items"][0], sys.argv[2]
init = pod["spec"]["initContainers"]
assert [c["image"] for c in init] == [image] and init[0]["command"][:2] == ["/usr/bin/orch", "agent"], init
assert {"name": "orch-agent", "mountPath": "/.orch-agent", "readOnly": True} in pod["spec"]["containers"][0]["volumeMounts"]
assert pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 0, pod["status"]
PYEOF
  e2b_no_leftovers
}

# `orch serve` replicas share nothing but the API server: a session one replica made is found by
# label and served by another, after the first has stopped; the same for an E2B sandbox, through
# the SDK pointed at one replica to create and at the other to run a command and kill it.
test_replicas_serve_each_others_sessions() {
  start_double
  write_kubeconfig "$SCRATCH/kubeconfig" "token: unused"
  export ORCH_BACKEND=kubernetes ORCH_KUBECONFIG=$SCRATCH/kubeconfig ORCH_K8S_NAMESPACE=default
  local tok=replica-token-0123456789 a b pid_a pid_b r sid out
  printf '%s a\n' "$tok" >"$SCRATCH/tokens"
  for r in a b; do
    "$ORCH" serve --listen 127.0.0.1:0 --tokens "$SCRATCH/tokens" >"$SCRATCH/serve-$r.log" 2>&1 &
    eval "pid_$r=$!"
  done
  KUBE_AFTER="kill $pid_a $pid_b 2>/dev/null"
  for r in a b; do
    wait_for 100 grep -q 'listening on http://' "$SCRATCH/serve-$r.log" || fail "replica $r did not start: $(cat "$SCRATCH/serve-$r.log")"
    eval "$r=$(grep -o 'http://127.0.0.1:[0-9]*' "$SCRATCH/serve-$r.log" | head -n1)"
  done
  local auth=(-H "Authorization: Bearer $tok" -H 'Content-Type: application/json')
  out=$(curl -sf "${auth[@]}" --data-binary '{"template":"python"}' "$a/v1/sessions") || fail "create on replica a: $out"
  sid=$(json_get "$out" id)
  [ -n "$sid" ] || fail "no session id from replica a: $out"
  out=$(curl -sf "${auth[@]}" --data-binary '{"code":"x = 41"}' "$a/v1/sessions/$sid/exec") || fail "exec on replica a: $out"
  kill -TERM "$pid_a"; wait "$pid_a" 2>/dev/null
  out=$(curl -sf "${auth[@]}" --data-binary '{"code":"print(x + 1)"}' "$b/v1/sessions/$sid/exec") || fail "exec on replica b: $out"
  assert_eq 42 "$(json_get "$out" stdout | tr -d '\n')" "replica b ran in the kernel replica a started"
  assert_contains "$(curl -sf "${auth[@]}" "$b/v1/sessions")" "\"$sid\""
  curl -sf -X DELETE "${auth[@]}" "$b/v1/sessions/$sid" >/dev/null || fail "delete on replica b"
  wait_eval 100 '[ -z "$(kc get pods -l "orch.id=$sid" -o name)" ]' || fail "the session's pod outlived its delete"
  # E2B: made through replica b's twin (a new replica a), used and killed through b.
  "$ORCH" serve --listen 127.0.0.1:0 --tokens "$SCRATCH/tokens" >"$SCRATCH/serve-a2.log" 2>&1 &
  pid_a=$!
  KUBE_AFTER="kill $pid_a $pid_b 2>/dev/null"
  wait_for 100 grep -q 'listening on http://' "$SCRATCH/serve-a2.log" || fail "replica a did not restart"
  a=$(grep -o 'http://127.0.0.1:[0-9]*' "$SCRATCH/serve-a2.log" | head -n1)
  source "$IT_DIR/test_e2b.sh"
  e2b_sdk_ready
  out=$(cd "$E2B_DIR" && E2B_API_KEY="e2b_$(printf %s "$tok" | od -An -tx1 | tr -d ' \n')" A="$a/e2b" B="$b/e2b" timeout 120 node --input-type=module -e '
    const { Sandbox } = await import("e2b");
    const made = await Sandbox.create("base", { apiUrl: process.env.A, sandboxUrl: process.env.A, timeoutMs: 60000 });
    const other = await Sandbox.connect(made.sandboxId, { apiUrl: process.env.B, sandboxUrl: process.env.B });
    const r = await other.commands.run("echo from-$((40 + 2))");
    console.log("ran " + r.stdout.trim());
    console.log("killed " + await Sandbox.kill(made.sandboxId, { apiUrl: process.env.B }));
    console.log("alive " + await made.isRunning());' 2>&1) || fail "e2b across replicas: $out"
  assert_contains "$out" "ran from-42"
  assert_contains "$out" "killed true"
  assert_contains "$out" "alive false"
  kill -TERM "$pid_a" "$pid_b"; wait "$pid_a" "$pid_b" 2>/dev/null
  wait_eval 100 '[ -z "$(kc get pods -o name)" ]' || fail "pods left behind: $(kc get pods -o name | tr '\n' ' ')"
}

# A sandbox with a network gets its own egress policy, made before its pod and removed with it; the
# double enforces it in the pod's network namespace as a policy-enforcing CNI would. Through the
# hostile battery's lab (a "public", a private and a link-local server): only the public one and,
# of this host's addresses, only those outside the refused ranges are reachable (SECURITY.md: a
# node address outside them is the policy's known gap). `lan` is refused before any pod is made.
test_networked_sandbox_on_kubernetes() {
  start_double
  write_kubeconfig "$SCRATCH/kubeconfig" "token: unused"
  export ORCH_BACKEND=kubernetes ORCH_KUBECONFIG=$SCRATCH/kubeconfig ORCH_K8S_NAMESPACE=default
  (source "$IT_DIR/hostile_lib.sh"; use_cases network; SCRATCH=$(mktemp -d /tmp/orch-it.XXXXXX); kube_networked_run) || exit 1
  local out rc s pods
  pods=$(grep -c '^created pod ' "$SCRATCH/double.out.err")
  out=$("$ORCH" run --net lan -c 'print("ran")' 2>&1); rc=$?
  assert_eq 125 "$rc" "run --net lan: $out"
  assert_contains "$out" "network 'lan'"
  out=$("$ORCH" session create -t python --net lan 2>&1) && fail "session --net lan was created: $out"
  assert_contains "$out" "network 'lan'"
  assert_eq "$pods" "$(grep -c '^created pod ' "$SCRATCH/double.out.err")" "lan made no pod"
  s=$("$ORCH" session create -t python --net bridge) || fail "session --net bridge"
  assert_eq "orch-$s-egress" "$(kc get networkpolicy -l "orch.id=$s" -o name | sed 's|.*/||')" "the session's policy"
  assert_eq "ok" "$("$ORCH" session exec "$s" -c 'print("ok")')"
  "$ORCH" session rm "$s" >/dev/null || fail "session rm"
  assert_eq "" "$(kc get networkpolicy -l "orch.id=$s" -o name)" "the session's policy went with it"
  # An orphan (its maker killed, its pod deleted by the cluster) is gc's
  "$ORCH" run --net bridge --timeout 120 -c 'import time; time.sleep(100)' >/dev/null 2>&1 &
  local maker=$! pod
  wait_eval 600 '[ -n "$(kc get networkpolicy -l orch.kind=run -o name)" ]' || fail "no policy for the sleeping run"
  pod=$(kc get networkpolicy -l orch.kind=run -o jsonpath='{.items[0].spec.podSelector.matchLabels.orch\.egress}')
  kill -9 "$maker"; wait "$maker" 2>/dev/null
  kc delete pod "$pod" --wait=false >/dev/null || fail "delete pod $pod"
  out=$("$ORCH" gc --json) || fail "gc: $out"
  assert_contains "$out" "$pod-egress"
  assert_eq "" "$(kc get networkpolicy -o name | grep egress)" "gc left an egress policy"
  wait_eval 100 '[ -z "$(kc get pods -o name)" ]' || fail "pods left behind: $(kc get pods -o name | tr '\n' ' ')"
}

# Not a test of its own: a networked run probing the lab while kubectl reads its policy.
kube_networked_run() {
  netlab_up
  local out policy
  "$ORCH" run --net bridge --json --timeout 60 -c "$REACH_PROBE"$'\nimport time; time.sleep(2)' $(reach_args | sed 's/[^ ]*/--arg &/g') \
    >"$SCRATCH/run.json" 2>"$SCRATCH/run.err" &
  local run=$!
  wait_eval 600 '[ -n "$(kc get networkpolicy -l orch.kind=run -o name)" ]' || fail "no policy while the run ran: $(cat "$SCRATCH/run.err")"
  policy=$(kc get networkpolicy -l orch.kind=run -o json)
  wait "$run" || fail "the networked run failed: $(cat "$SCRATCH/run.json" "$SCRATCH/run.err")"
  out=$(cat "$SCRATCH/run.json")
  assert_eq ok "$(json_get "$out" status)" "status: $out"
  assert_eq "" "$(kc get networkpolicy -l orch.kind=run -o name)" "the run's policy went with its pod"
  "$PY" - "$policy" "$(json_get "$out" stdout)" "$HOST_ADDR" <<'PYEOF' || fail "the networked run's reach: $out $policy"
import ipaddress, json, sys
pol, probe, host = json.loads(sys.argv[1])["items"], sys.argv[2].split(), ipaddress.ip_address(sys.argv[3])
assert len(pol) == 1 and pol[0]["metadata"]["name"].endswith("-egress"), pol
refused = [ipaddress.ip_network(e) for p in pol[0]["spec"]["egress"][0]["to"] for e in p["ipBlock"]["except"]]
host_reach = "blocked" if any(host in r for r in refused) else "open"
# gateway, another address of this host, the host end of the lab link, link-local, private, public, link-local:53
want = ["blocked", host_reach, "blocked", "blocked", "blocked", "open", "blocked"]
assert probe == want, (probe, want)
PYEOF
}

test_dry_run_prints_what_each_backend_would_create() {
  start_double
  write_kubeconfig "$SCRATCH/kubeconfig" "token: unused"
  local out
  out=$("$ORCH" run --dry-run --memory 200m -c 'print(1)') || fail "docker dry run"
  "$PY" - "$out" <<'PYEOF' || fail "docker dry run: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["backend"] == "docker", d["backend"]
h = d["create"]["body"]["HostConfig"]
assert h["Memory"] == 200 << 20 and h["ReadonlyRootfs"] is True and h["CapDrop"] == ["ALL"], h
assert d["create"]["name"].startswith("orch-r-")
PYEOF
  # A server in ORCH_HOST is not asked: a dry run only describes.
  out=$(ORCH_HOST=http://127.0.0.1:9 ORCH_KUBECONFIG=$SCRATCH/kubeconfig "$ORCH" run --backend kubernetes --dry-run -f /etc/hostname -c 'print(1)') ||
    fail "kubernetes dry run"
  "$PY" - "$out" <<'PYEOF' || fail "kubernetes dry run: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["backend"] == "kubernetes"
pod = d["create"]
assert pod["kind"] == "Pod" and pod["metadata"]["labels"]["orch.kind"] == "run", pod["metadata"]
c = pod["spec"]["containers"][0]
assert c["args"][:2] == ["/bin/sh", "-c"] and c["stdin"] is True, c["args"]
assert c["securityContext"]["readOnlyRootFilesystem"] is True and pod["spec"]["automountServiceAccountToken"] is False
PYEOF
  out=$(ORCH_BACKEND=kubernetes ORCH_KUBECONFIG=$SCRATCH/kubeconfig "$ORCH" session create --dry-run --ttl 600 --label team=a) ||
    fail "session dry run"
  "$PY" - "$out" <<'PYEOF' || fail "session dry run: $out"
import json, sys, time
pod = json.loads(sys.argv[1])["create"]
labels = pod["metadata"]["labels"]
assert labels["orch.kind"] == "session" and labels["team"] == "a", labels
assert abs(int(labels["orch.expires"]) - time.time() - 600) < 60, labels
PYEOF
  out=$(ORCH_BACKEND=kubernetes ORCH_KUBECONFIG=$SCRATCH/kubeconfig "$ORCH" run --dry-run --net bridge -c 'print(1)') ||
    fail "networked dry run"
  "$PY" - "$out" <<'PYEOF' || fail "networked dry run: $out"
import json, sys
lst = json.loads(sys.argv[1])["create"]
assert lst["kind"] == "List" and [i["kind"] for i in lst["items"]] == ["NetworkPolicy", "Pod"], lst
pol, pod = lst["items"]
assert pol["spec"]["podSelector"]["matchLabels"]["orch.egress"] == pod["metadata"]["labels"]["orch.egress"] == pod["metadata"]["name"]
assert "10.0.0.0/8" in pol["spec"]["egress"][0]["to"][0]["ipBlock"]["except"], pol
PYEOF
  out=$(ORCH_BACKEND=kubernetes ORCH_KUBECONFIG=$SCRATCH/kubeconfig "$ORCH" run --dry-run --net lan -c 'print(1)' 2>&1) &&
    fail "a lan dry run was printed: $out"
  assert_contains "$out" "network 'lan'"
  assert_eq "" "$(kc get pods -o name)" "a dry run creates nothing"
  assert_eq "" "$(kc get networkpolicy -o name)" "a dry run creates no policy"
  assert_eq 0 "$(grep -c '^created pod ' "$SCRATCH/double.out.err")"
  assert_contains "$(ORCH_BACKEND=swarm "$ORCH" run -c 1 2>&1)" "ORCH_BACKEND 'swarm' is not a backend"
}

# A session lives its ttl from when it is ready: on a cluster whose pods take 3 s to start (the
# double's --start-delay), a session of 2 s answers its create alive, runs code, and is gone soon
# after, through the CLI and the E2B SDK. (Its expiry once counted from the request: such a
# session came back already expired.)
test_short_ttl_session_on_a_slow_cluster() {
  start_double --start-delay 3
  write_kubeconfig "$SCRATCH/kubeconfig" "token: unused"
  export ORCH_BACKEND=kubernetes ORCH_KUBECONFIG=$SCRATCH/kubeconfig ORCH_K8S_NAMESPACE=default
  local out s expires now
  out=$("$ORCH" session create -t python --ttl 2 --json 2>&1) || fail "session create: $out"
  now=$(date +%s)
  s=$(printf '%s' "$out" | jq -r .id)
  expires=$(printf '%s' "$out" | jq -r .expires)
  [ "$expires" -ge "$now" ] || fail "the session came back expired: expires $expires, now $now"
  assert_eq "alive" "$("$ORCH" session exec "$s" -c 'print("alive")' 2>&1)" "exec right after create"
  wait_eval 100 '! "$ORCH" session ls 2>&1 | grep -q "$s"' || fail "the session outlived its ttl: $("$ORCH" session ls 2>&1)"
  "$ORCH" session gc >/dev/null || fail "session gc"
  wait_eval 100 '[ -z "$(kc get pods -o name)" ]' || fail "pods left behind: $(kc get pods -o name | tr '\n' ' ')"
  # The same through the E2B SDK (its create once failed: the sandbox had stopped before its agent started).
  out=$(unset SCRATCH; source "$IT_DIR/test_e2b.sh"; e2b_setup; cd "$E2B_DIR" && node --input-type=module -e '
    const { Sandbox } = await import("e2b");
    const s = await Sandbox.create("base", { timeoutMs: 2000 });
    console.log("run " + (await s.commands.run("echo hi")).stdout.trim());
    await new Promise((r) => setTimeout(r, 4000));
    console.log("running " + await s.isRunning());' 2>&1; stop_server) || fail "e2b on a slow cluster: $out"
  assert_contains "$out" "run hi"
  assert_contains "$out" "running false"
}
