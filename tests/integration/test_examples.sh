# Every script in examples/ runs as its README says, against the real engine, and shows what it
# claims to show; examples/README.md lists each one.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"
EXAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../examples" && pwd)
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

example() {  # expected_rc script [args...]: runs it with this build's orch; its output in $OUT
  local want=$1 rc
  shift
  OUT=$(cd /tmp && ORCH=$ORCH timeout 300 "$@" 2>&1)
  rc=$?
  [ "$rc" = "$want" ] || { echo "$OUT" | tail -20; fail "$(basename "$1") exited $rc, not $want"; }
}

test_every_example_is_listed_and_tested() {
  local f name
  for f in "$EXAMPLES"/*; do
    name=$(basename "$f")
    [ "$name" = README.md ] && continue
    grep -q "($name)" "$EXAMPLES/README.md" || fail "examples/README.md does not list $name"
    grep -q "/$name" "$IT_DIR/test_examples.sh" || fail "no test runs examples/$name"
  done
}

test_first_runs() {
  example 0 bash "$EXAMPLES/first-runs.sh"
  for line in 42 "2 4 6" "bash 5" "['--rows', '10'] FROM STDIN" "2 rows" "saved: 6" "exit code 3" \
    "timeout: exit code 124" "status oom exit_code 137"; do
    grep -qxF -- "$line" <<<"$OUT" || fail "no line [$line] in: $OUT"
  done
}

test_ci_step_passes_and_fails_clearly() {
  scratch
  REPORTS=$SCRATCH/reports example 0 bash "$EXAMPLES/ci-step.sh"
  assert_contains "$OUT" "ci-step: passed; reports in $SCRATCH/reports: report.json"
  assert_contains "$(cat "$SCRATCH/reports/report.json")" '"network": "unreachable'
  printf 'import time\ntime.sleep(60)\n' >"$SCRATCH/slow.py"
  TIMEOUT=1 example 124 bash "$EXAMPLES/ci-step.sh" "$SCRATCH/slow.py"
  assert_contains "$OUT" "ci-step: FAILED: the script ran out of time"
  printf 'raise SystemExit(5)\n' >"$SCRATCH/bad.py"
  example 5 bash "$EXAMPLES/ci-step.sh" "$SCRATCH/bad.py"
  assert_contains "$OUT" "ci-step: FAILED: the script exited 5"
}

test_session_keeps_state_and_is_removed() {
  example 0 bash "$EXAMPLES/session.sh"
  for line in "total 6" "best: ada" "state kept: 6 status ok"; do
    grep -qxF "$line" <<<"$OUT" || fail "no line [$line] in: $OUT"
  done
  local id
  id=$(sed -n 's/^session //p' <<<"$OUT")
  [ -n "$id" ] || fail "no session id in: $OUT"
  assert_eq 0 "$(docker ps -aq --filter "label=orch.id=$id" | wc -l)" "the session's container is gone"
}

test_repo_test_reports_the_failing_test() {
  example 1 bash "$EXAMPLES/repo-test.sh"
  assert_contains "$OUT" "pytest: 2 passed, 1 failed"
  assert_contains "$OUT" "FAIL tests.test_shop :: test_rounding"
  assert_contains "$OUT" "exit code 1 "
  assert_contains "$OUT" "JUnit test cases: 3"
}

test_http_api_script() {
  example 0 bash "$EXAMPLES/http-api.sh"
  assert_contains "$OUT" '"stdout":"(3, 11)\n"'
  assert_contains "$OUT" '"code":"unauthorized"'
  grep -qE '^ +3 event: stdout$' <<<"$OUT" || fail "three stdout events expected: $OUT"
  for line in "ok done" "session says 42" "DELETE /v1/sessions/ID: 204"; do
    grep -qxF "$line" <<<"$OUT" || fail "no line [$line] in: $OUT"
  done
}

test_agent_tool() {
  scratch
  printf 'agent-token-0123456789 agent max_concurrent=2\n' >"$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens" --pool python=1
  ORCH_URL=$BASE ORCH_TOKEN=agent-token-0123456789 example 0 "$PY" "$EXAMPLES/agent_tool.py"
  for text in "2432902008176640000" "1,2,3" "ZeroDivisionError: division by zero" "[exited 1," "[killed: it ran past 2 s"; do
    assert_contains "$OUT" "$text"
  done
  # A wrong token is the tool's error text, not an exception.
  out=$(cd "$EXAMPLES" && ORCH_URL=$BASE ORCH_TOKEN=wrong "$PY" -c 'import agent_tool; print(agent_tool.run_code("print(1)"))')
  assert_contains "$out" "tool error: orch refused the run (401 unauthorized)"
}

test_piston_script() {
  start_server
  example 0 bash "$EXAMPLES/piston.sh" "$BASE"
  assert_contains "$OUT" "python 3.11.2 -> hello piston and stdin (code 0)"
  assert_contains "$OUT" "signal SIGKILL code None"
  grep -qx "cpp 12.2.0" <<<"$OUT" || fail "the runtimes list no cpp 12.2.0: $OUT"
}

test_e2b_sdk_script() {
  (source "$IT_DIR/test_e2b.sh"; e2b_sdk_ready) || fail "the E2B SDKs could not be installed"
  scratch
  # An ES module finds its packages beside it: the example runs from a folder holding the pinned SDKs.
  ln -s "$IT_DIR/../e2b/node_modules" "$SCRATCH/node_modules"
  cp "$EXAMPLES/e2b-sdk.mjs" "$SCRATCH/"
  start_server
  ORCH_URL=$BASE example 0 node "$SCRATCH/e2b-sdk.mjs"
  for line in "mean temperature: 11.5" "error: ZeroDivisionError - division by zero" "wc says: 2 /home/user/notes.txt" "files: notes.txt"; do
    grep -qxF "$line" <<<"$OUT" || fail "no line [$line] in: $OUT"
  done
  grep -qE '^chart: png, [0-9]{4,} base64 characters$' <<<"$OUT" || fail "no chart: $OUT"
  local pid=$SERVER_PID
  stop_server
  assert_eq 0 "$(containers_of_pid "$pid")" "the example's sandbox is gone"
}

test_gpu_budget() {
  scratch
  export XDG_CACHE_HOME=$SCRATCH/cache
  "$ORCH" pricing import "$IT_DIR/../fixtures/pricing/catalogs/v8/aws/vms.csv" >/dev/null 2>&1 || fail "import failed"
  NO_REFRESH=1 example 0 bash "$EXAMPLES/gpu-budget.sh" A100 5
  assert_contains "$OUT" "within budget: aws p4d.24xlarge in us-east-1: 8 x A100 at 4.0966 USD/h per GPU"
  NO_REFRESH=1 example 1 bash "$EXAMPLES/gpu-budget.sh" A100 3
  assert_contains "$OUT" "over budget (3.00)"
  NO_REFRESH=1 example 3 bash "$EXAMPLES/gpu-budget.sh" B300 3
  assert_contains "$OUT" "no offer with B300"
}
