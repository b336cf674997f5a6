# Hostile-input battery: one tenant against another (what it can see, how much it can take), and
# sandbox operations a session's code stalls on purpose.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

TOK_A=tok-alpha-0123456789
TOK_B=tok-beta-01234567890

tenant_server() {  # extra serve flags...
  scratch
  printf '%s alpha max_sessions=2 max_pids=64 max_cpus=1\n%s beta\n' "$TOK_A" "$TOK_B" >"$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens" "$@"
}
as() {  # token path [curl args...]: the body, then the status on its own last line
  local tok=$1 path=$2; shift 2
  curl -s -w '\n%{http_code}' -H "Authorization: Bearer $tok" "$@" "$BASE$path"
}
last_lines() { local f; for f in "$@"; do tail -n1 "$f"; echo; done; }
post_as() { local tok=$1 path=$2 body=$3; shift 3; as "$tok" "$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"; }

test_runs_list_is_per_tenant() {
  tenant_server
  a=$(json_get "$(body_of "$(post_as "$TOK_A" /v1/run '{"code":"print(1)"}')")" run_id)
  b=$(json_get "$(body_of "$(post_as "$TOK_B" /v1/run '{"code":"print(2)"}')")" run_id)
  c=$(ORCH_HOST=$BASE ORCH_TOKEN=$TOK_B "$ORCH" run --json -c 'print(3)' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["run_id"])')
  [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] || fail "control: the runs did not happen ($a $b $c)"
  runs_a=$(body_of "$(as "$TOK_A" /v1/runs)")
  runs_b=$(body_of "$(as "$TOK_B" /v1/runs)")
  assert_contains "$runs_a" "$a"
  assert_not_contains "$runs_a" "$b" "alpha sees beta's run"
  assert_not_contains "$runs_a" "$c" "alpha sees beta's CLI run"
  assert_not_contains "$runs_a" '"beta"'
  assert_contains "$runs_b" "$b"
  assert_contains "$runs_b" "$c"
  assert_not_contains "$runs_b" "$a" "beta sees alpha's run"
  assert_eq 401 "$(status_of "$(curl -s -w '\n%{http_code}' "$BASE/v1/runs")")" "without a token"
}

# A run through Piston's route belongs to the tenant whose token sent it, as a run of orch's own:
# another tenant who learns its id (here from the container's name) can neither cancel it in
# flight nor read it, its logs or its listing afterwards.
test_piston_runs_stay_with_their_tenant() {
  tenant_server
  local body='{"language":"bash","version":"*","files":[{"content":"echo b-secret-7; sleep 3; echo b-done"}]}'
  post_as "$TOK_B" /api/v2/execute "$body" >"$SCRATCH/piston" &
  local client=$! id=""
  named() { id=$(docker ps --filter label=orch.owner=beta --format '{{.Names}}' | sed -n 's/^orch-//p' | head -n1); [ -n "$id" ]; }
  wait_for 100 named || fail "control: beta's Piston run never had a sandbox"
  assert_eq 404 "$(status_of "$(as "$TOK_A" "/v1/runs/$id" -X DELETE)")" "alpha cancelling beta's run in flight"
  assert_eq 404 "$(status_of "$(as "$TOK_A" "/v1/runs/$id")")" "alpha reading beta's run in flight"
  wait "$client"
  local r
  r=$(cat "$SCRATCH/piston")
  assert_eq 200 "$(status_of "$r")" "beta's run: $r"
  assert_eq "$(printf 'b-secret-7\nb-done\n')" "$(json_get "$(body_of "$r")" run.stdout)" "beta's run was not disturbed"
  assert_eq 200 "$(status_of "$(as "$TOK_B" "/v1/runs/$id")")" "control: beta reads its own run by that id"
  assert_contains "$(body_of "$(as "$TOK_B" "/v1/runs/$id/logs")")" "b-secret-7"
  assert_contains "$(body_of "$(as "$TOK_B" /v1/runs)")" "$id"
  for path in "/v1/runs/$id" "/v1/runs/$id/logs"; do
    r=$(as "$TOK_A" "$path")
    assert_eq 404 "$(status_of "$r")" "alpha reading $path"
    assert_not_contains "$r" "b-secret-7" "alpha sees beta's output through $path"
  done
  assert_not_contains "$(body_of "$(as "$TOK_A" /v1/runs)")" "$id" "alpha lists beta's Piston run"
}

# Six creates at once against max_sessions=2: exactly two sessions, through HTTP and the CLI.
test_max_sessions_holds_under_concurrent_creates() {
  tenant_server
  trap 'docker ps -q --filter label=orch.owner=alpha --filter "label=orch.pid=$(hostname):$SERVER_PID" | xargs -r docker rm -f >/dev/null; stop_server' EXIT
  local pids=()
  for i in 1 2 3 4 5 6; do post_as "$TOK_A" /v1/sessions '{"template":"bash"}' >"$SCRATCH/http$i" & pids+=($!); done
  wait "${pids[@]}"
  assert_eq 2 "$(last_lines "$SCRATCH"/http* | grep -cx 201)" "sessions created over HTTP"
  assert_eq 4 "$(last_lines "$SCRATCH"/http* | grep -cx 429)" "creates refused over HTTP"
  assert_eq 2 "$(body_of "$(as "$TOK_A" /v1/sessions)" | grep -o '"id"' | wc -l)" "alpha's sessions"
  for f in "$SCRATCH"/http*; do
    id=$(json_get "$(body_of "$(cat "$f")")" id 2>/dev/null) && as "$TOK_A" "/v1/sessions/$id" -X DELETE >/dev/null
  done
  pids=()
  for i in 1 2 3 4 5 6; do
    ( ORCH_HOST=$BASE ORCH_TOKEN=$TOK_A "$ORCH" session create -t bash >"$SCRATCH/cli$i" 2>&1; echo "rc=$?" >>"$SCRATCH/cli$i" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  assert_eq 2 "$(last_lines "$SCRATCH"/cli* | grep -cx 'rc=0')" "sessions created through the CLI"
  assert_eq 4 "$(last_lines "$SCRATCH"/cli* | grep -cx 'rc=5')" "creates refused through the CLI (busy)"
  assert_contains "$(cat "$SCRATCH"/cli*)" "already has 2 sessions"
}

test_tenant_caps_on_pids_and_cpus() {
  tenant_server --max-pids 256 --max-cpus 1
  r=$(post_as "$TOK_A" /v1/run '{"code":"print(1)","pids":100000}')
  assert_eq 400 "$(status_of "$r")" "alpha asks for 100000 pids"
  assert_contains "$r" "above this server's limit of 64"
  r=$(post_as "$TOK_A" /v1/run '{"language":"bash","code":"cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max","pids":64}')
  assert_eq 64 "$(json_get "$(body_of "$r")" stdout | tr -d '\n')" "alpha's own cap"
  r=$(post_as "$TOK_B" /v1/run '{"code":"print(1)","pids":1000}')
  assert_eq 400 "$(status_of "$r")" "beta is held to the server's --max-pids"
  assert_eq 200 "$(status_of "$(post_as "$TOK_B" /v1/run '{"code":"print(1)","pids":200}')")"
  for who in "$TOK_A" "$TOK_B"; do
    r=$(post_as "$who" /v1/run '{"code":"print(1)","cpus":2}')
    assert_eq 400 "$(status_of "$r")" "cpus above the cap"
    assert_contains "$r" "cpus 2 is above this server's limit of 1"
  done
  r=$(post_as "$TOK_B" /v1/sessions '{"template":"bash","cpus":64}')
  assert_eq 400 "$(status_of "$r")" "a session with every core"
  out=$(ORCH_HOST=$BASE ORCH_TOKEN=$TOK_A "$ORCH" run --pids 100000 -c 'print(1)' 2>&1)
  assert_eq 125 "$?" "the CLI through the server"
  assert_contains "$out" "above this server's limit of 64"
}

# A session's code stops the in-sandbox file helper (SIGSTOP to every process of the sandbox user,
# in a loop, a second after the call that starts it returns): the transfer ends at its stall
# deadline, holds only the tenant's own slots meanwhile, and a drain cancels it.
STOPPER='echo stuck > f; setsid nohup bash -c "sleep 1; while :; do kill -STOP -1; done" >/dev/null 2>&1 &
echo ready'

stuck_session() {
  S=$(json_get "$(body_of "$(post_as "$TOK_A" /v1/sessions '{"template":"bash"}')")" id) || fail "session create"
  r=$(post_as "$TOK_A" "/v1/sessions/$S/exec" "$("$PY" -c 'import json,sys; print(json.dumps({"code": sys.argv[1]}))' "$STOPPER")")
  assert_eq ready "$(json_get "$(body_of "$r")" stdout | tr -d '\n')" "the stopper started"
  # Until the stopper has stopped the session's processes (its own second of sleep, longer on a
  # loaded host: a fixed 1.5 s let a download through before it).
  local cid; cid=$(docker ps -q --filter "label=orch.id=$S" | head -n1)
  stopped() { docker top "$cid" -eo pid,stat,comm 2>/dev/null | awk '$2 ~ /^T/ && $3 ~ /bash/ { found = 1 } END { exit !found }'; }
  wait_for 100 stopped || fail "the session's processes were not stopped: $(docker top "$cid" -eo pid,stat,comm 2>&1)"
  sleep 0.3
}

test_stopped_file_helper_times_out() {
  tenant_server --transfer-timeout 2
  trap 'docker ps -q --filter label=orch.owner=alpha --filter label=orch.kind=session | xargs -r docker rm -f >/dev/null; stop_server' EXIT
  stuck_session
  t0=$(date +%s)
  r=$(as "$TOK_A" "/v1/sessions/$S/files?path=f" --max-time 60)
  assert_eq 504 "$(status_of "$r")" "a stalled download"
  echo data >"$SCRATCH/up"
  out=$(ORCH_HOST=$BASE ORCH_TOKEN=$TOK_A timeout 60 "$ORCH" session upload "$S" "$SCRATCH/up" g 2>&1)
  assert_eq 124 "$?" "a stalled upload through the CLI: $out"
  out=$(ORCH_HOST=$BASE ORCH_TOKEN=$TOK_A timeout 60 "$ORCH" session download "$S" f "$SCRATCH/f" 2>&1)
  assert_eq 124 "$?" "a stalled download through the CLI: $out"
  [ $(($(date +%s) - t0)) -lt 30 ] || fail "three stalled transfers took $(($(date +%s) - t0)) s with a 2 s stall limit"
}

test_stopped_file_helper_pins_only_its_tenant_and_drain_cancels_it() {
  tenant_server --transfer-timeout 120 --tenant-concurrent 2 --drain 1
  trap 'docker ps -q --filter label=orch.owner=alpha --filter label=orch.kind=session | xargs -r docker rm -f >/dev/null; stop_server' EXIT
  stuck_session
  local pids=()
  for i in 1 2; do as "$TOK_A" "/v1/sessions/$S/files?path=f" --max-time 60 >"$SCRATCH/dl$i" & pids+=($!); done
  wait_for 100 sh -c "[ \$(curl -s '$BASE/health' | '$PY' -c 'import json,sys; print(json.load(sys.stdin)[\"in_flight\"])') = 2 ]" ||
    fail "the two downloads did not take their slots"
  r=$(as "$TOK_A" "/v1/sessions/$S/files?path=f" --max-time 10)
  assert_eq 429 "$(status_of "$r")" "a third transfer of the same tenant"
  t0=$(date +%s%N)
  r=$(post_as "$TOK_B" /v1/run '{"code":"print(\"served\")"}' --max-time 20)
  assert_eq 200 "$(status_of "$r")" "another tenant's run"
  [ $((($(date +%s%N) - t0) / 1000000)) -lt 10000 ] || fail "another tenant waited $((($(date +%s%N) - t0) / 1000000)) ms"
  assert_eq ok "$(json_get "$(curl -s --max-time 5 "$BASE/health")" status)" "health during the stall"
  t0=$(date +%s)
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID"
  # the grace period, then at most one engine call's 10 s (the engine hangs on a container whose
  # processes are being stopped, and a wait on it cannot be cancelled)
  [ $(($(date +%s) - t0)) -le 15 ] || fail "the drain took $(($(date +%s) - t0)) s with transfers stuck"
  wait "${pids[@]}"
  for i in 1 2; do
    case "$(status_of "$(cat "$SCRATCH/dl$i")")" in 503|000) ;; *) fail "a stuck download ended with $(cat "$SCRATCH/dl$i")";; esac
  done
}

# One tenant's output reservations (a large output_limit, many requests) hold at most half of
# --output-budget: another tenant's run is served at once, not after 30 s with a 429.
test_one_tenant_cannot_hold_the_whole_output_budget() {
  tenant_server --output-budget 8m
  local r i t0 took
  for i in 1 2; do
    r=$(post_as "$TOK_A" /v1/run '{"code":"import time; time.sleep(12)","async":true,"output_limit":"8m","timeout":30}')
    assert_eq 202 "$(status_of "$r")" "$(body_of "$r")"
  done
  sleep 1
  t0=$(date +%s%N)
  r=$(post_as "$TOK_B" /v1/run '{"code":"print(\"B ran\")"}')
  took=$(( ($(date +%s%N) - t0) / 1000000 ))
  assert_eq 200 "$(status_of "$r")" "beta's run: $(body_of "$r")"
  assert_eq "B ran" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  [ "$took" -lt 10000 ] || fail "beta waited ${took} ms behind alpha's reservations"
}
