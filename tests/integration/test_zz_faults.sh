# it: alone
# Faults (issue 8, item 12): the Docker daemon restarted under running work, and orch itself killed
# with SIGKILL mid-run. The name sorts last on purpose: restarting dockerd kills every container on
# the engine (no live-restore), so this suite must run after all the others. Every test leaves the
# engine running, whatever happens (trap).
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

engine_up() { docker info >/dev/null 2>&1; }
ensure_engine() {
  engine_up && return 0
  bash "$REPO/scripts/install-docker.sh" >/dev/null 2>&1
  wait_for 900 engine_up
}
stop_dockerd() {
  local pid
  pid=$(pgrep -x dockerd | head -1)
  [ -n "$pid" ] || fail "no dockerd process to stop"
  kill -TERM "$pid"
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  fail "dockerd did not stop within 60 s"
}
# Everything a test made goes, and the engine is up again, however the test ends.
cleanup() {
  for p in ${BG:-}; do kill "$p" 2>/dev/null; done
  stop_server
  ensure_engine
  [ -n "${S:-}" ] && "$ORCH" session rm "$S" >/dev/null 2>&1
  [ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}
elapsed_since() { echo $(( $(date +%s) - $1 )); }

test_engine_restart_during_runs() {
  SCRATCH=$(mktemp -d /tmp/orch-it.XXXXXX)
  start_server --pool python=1
  trap cleanup EXIT
  wait_for 300 pool_ready || fail "the pool never filled"
  # Runs in flight when the engine goes away: one through the CLI, one through the server (SSE, as
  # the CLI sends it) and one plain JSON request. `timeout` turns a hang into rc 124.
  timeout 90 "$ORCH" run --json --timeout 60 -l bash -c 'sleep 60' >"$SCRATCH/cli.out" 2>"$SCRATCH/cli.err" &
  cli=$!
  ORCH_HOST=$BASE timeout 90 "$ORCH" run --json --timeout 60 -l bash -c 'sleep 60' >"$SCRATCH/remote.out" 2>"$SCRATCH/remote.err" &
  remote=$!
  timeout 90 curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' --data '{"code":"import time; time.sleep(60)","timeout":60}' \
    "$BASE/v1/run" >"$SCRATCH/curl.out" &
  plain=$!
  BG="$cli $remote $plain"
  wait_for 100 pgrep -P "$cli" -x orch
  cli_pid=$(pgrep -P "$cli" -x orch)
  # the plain request takes the warm sandbox, the remote one (bash) a cold one
  runs_started() { [ "$(json_get "$(curl -s "$BASE/health")" in_flight)" -ge 2 ] && [ "$(containers_of_pid "$SERVER_PID")" -ge 2 ]; }
  wait_for 200 runs_started || fail "the server's runs did not start: $(curl -s "$BASE/health")"
  cli_started() { [ "$(containers_of_pid "$cli_pid")" -ge 1 ]; }
  wait_for 200 cli_started || fail "the CLI's run did not start"
  sleep 1  # the programs are running, not only created

  t0=$(date +%s)
  stop_dockerd
  # While the engine is away: requests fail fast with an infrastructure error, health says why.
  r=$(post /v1/run '{"code":"print(1)"}' --max-time 30)
  case "$(status_of "$r")" in 5*) ;; *) fail "a run with the engine down got HTTP $(status_of "$r")";; esac
  assert_eq false "$(json_get "$(curl -s --max-time 10 "$BASE/health")" engine.reachable)"
  out=$("$ORCH" run -c 'print(1)' 2>&1)
  assert_eq 125 "$?" "CLI with the engine down"
  assert_contains "$out" "orch: error: cannot reach Docker"
  ensure_engine || fail "the engine did not come back"

  for p in $cli $remote $plain; do wait "$p"; echo $? >"$SCRATCH/rc.$p"; done
  [ "$(elapsed_since "$t0")" -lt 80 ] || fail "runs hung after the engine went away"
  for p in $cli $remote; do [ "$(cat "$SCRATCH/rc.$p")" != 124 ] || fail "a run hung"; done
  # Each reports an infrastructure failure (or, when the engine told it so first, a killed program), never success.
  assert_eq 125 "$(cat "$SCRATCH/rc.$cli")" "CLI run: $(cat "$SCRATCH/cli.err")"
  assert_contains "$(cat "$SCRATCH/cli.err")" "orch: error:"
  assert_eq 125 "$(cat "$SCRATCH/rc.$remote")" "remote run: $(cat "$SCRATCH/remote.err")"
  code=$(tail -n1 "$SCRATCH/curl.out")
  case "$code" in 5*) ;; *) fail "plain request got HTTP $code: $(head -c 300 "$SCRATCH/curl.out")";; esac
  assert_contains "$(cat "$SCRATCH/curl.out")" '"error"'

  # orch reconnects: the same server runs again, cold and pooled, and health says the engine is back.
  assert_eq true "$(json_get "$(curl -s "$BASE/health")" engine.reachable)"
  for i in 1 2 3; do
    r=$(post /v1/run "{\"code\":\"print($i)\"}" --max-time 60)
    assert_eq 200 "$(status_of "$r")" "run $i after the restart: $(body_of "$r")"
    assert_eq "$i" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  done
  wait_for 300 pool_ready || fail "the pool did not refill after the restart: $(curl -s "$BASE/health")"
  assert_eq back "$("$ORCH" run -c 'print("back")')" "CLI after the restart"
  # Nothing is left: the server removed its dead sandboxes once the engine was back; the CLI's
  # (its process is gone) are what `orch gc` is for.
  no_dead_runs() { [ "$(docker ps -aq --filter label=orch.kind=run --filter "label=orch.pid=$(hostname):$SERVER_PID" | wc -l)" = 0 ]; }
  wait_for 100 no_dead_runs || fail "the server left dead run containers: $(docker ps -a --filter "label=orch.pid=$(hostname):$SERVER_PID" --format '{{.Names}} {{.Status}}')"
  "$ORCH" gc >/dev/null || fail "orch gc"
  assert_eq 0 "$(containers_of_pid "$cli_pid")" "the CLI's dead sandbox after orch gc"
}

pool_ready() { [ "$(json_get "$(curl -s "$BASE/health")" pool.python.ready)" -ge 1 ] 2>/dev/null; }

test_orch_killed_mid_run_then_restarted() {
  SCRATCH=$(mktemp -d /tmp/orch-it.XXXXXX)
  trap cleanup EXIT
  ensure_engine || fail "no engine"
  S=$("$ORCH" session create -t python --ttl 600) || fail "session create"
  "$ORCH" session exec "$S" -c 'x = 41' || fail "session state"
  start_server --pool python=1
  trap cleanup EXIT
  old=$SERVER_PID
  curl -s -H 'Content-Type: application/json' --data '{"code":"import time; time.sleep(60)","timeout":60}' "$BASE/v1/run" >"$SCRATCH/curl.out" &
  req=$!
  # the run takes the pool's sandbox (or makes its own) and the pool starts another: two of this server's
  started() { [ "$(containers_of_pid "$old")" -ge 2 ]; }
  wait_for 200 started || fail "the run did not start"
  wait_for 300 pool_ready || fail "the pool never filled"
  # a CLI run killed the same way
  "$ORCH" run --timeout 60 -l bash -c 'echo started; sleep 60' >"$SCRATCH/cli.out" 2>&1 &
  cli=$!
  wait_for 100 grep -q started "$SCRATCH/cli.out" || fail "CLI run did not start"
  BG="$req $cli"
  kill -KILL "$old" "$cli"
  t0=$(date +%s)
  wait "$req"
  [ "$(elapsed_since "$t0")" -lt 10 ] || fail "the client hung after the server died"
  wait "$cli" 2>/dev/null
  [ "$(containers_of_pid "$old")" -ge 2 ] || fail "control: the killed server's sandboxes (run and pool) remain"
  [ "$(containers_of_pid "$cli")" -ge 1 ] || fail "control: the killed CLI's sandbox remains"
  SERVER_PID=
  start_server
  trap cleanup EXIT
  assert_contains "$(cat "$SERVER_LOG")" "orphaned sandboxes"
  assert_eq 0 "$(containers_of_pid "$old")" "orphans of the killed server"
  assert_eq 0 "$(containers_of_pid "$cli")" "orphans of the killed CLI"
  # sessions are not orphans: the session and its state survive
  assert_eq running "$(json_get "$("$ORCH" session show "$S")" state)"
  assert_eq 42 "$("$ORCH" session exec "$S" -c 'print(x + 1)')"
  r=$(post /v1/run '{"code":"print(\"after\")"}')
  assert_eq after "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
}
