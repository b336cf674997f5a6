# What operators watch: /metrics checked by the real promtool, the JSON access log, and what a
# server without tokens exposes.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

test_metrics_pass_promtool_and_cover_what_operators_watch() {
  command -v promtool >/dev/null || fail "promtool is not installed (.ci/run unpacks it from Debian's prometheus package)"
  start_server --pool python=1
  wait_for 200 sh -c "curl -s '$BASE/health' | grep -q '\"ready\":1'" || fail "pool did not fill"
  post /v1/run '{"code":"print(1)"}' >/dev/null
  id=$(json_get "$(body_of "$(post /v1/sessions '{"template":"python","ttl":60}')")" id)
  post "/v1/sessions/$id/exec" '{"code":"1/0"}' >/dev/null
  curl -s -X DELETE "$BASE/v1/sessions/$id" >/dev/null
  curl -s "$BASE/v1/sessions/$id" >/dev/null
  curl -s "$BASE/no/such/route" >/dev/null
  m=$(curl -s "$BASE/metrics")
  lint=$(promtool check metrics <<<"$m" 2>&1) || fail "promtool: $lint"
  [ -z "$lint" ] || fail "promtool complains: $lint"
  assert_contains "$m" 'orch_build_info{version="'
  assert_contains "$m" 'orch_engine_up 1'
  assert_contains "$m" 'orch_runs_total{status="ok"} 1'
  assert_contains "$m" 'orch_pool_requests_total{result="hit"} 1'
  assert_contains "$m" 'orch_pool_refills_total{template="python"}'
  assert_contains "$m" 'orch_sessions_total{event="created"} 1'
  assert_contains "$m" 'orch_sessions_total{event="deleted"} 1'
  assert_contains "$m" 'orch_session_execs_total{status="error"} 1'
  assert_contains "$m" 'orch_session_exec_duration_seconds_count 1'
  assert_contains "$m" 'orch_http_requests_total{method="GET",route="/v1/sessions/{id}",code="404"} 1'
  assert_contains "$m" 'orch_http_requests_total{method="GET",route="(unmatched)",code="404"} 1'
  assert_contains "$m" 'orch_http_request_duration_seconds_bucket{method="POST",route="/v1/sessions/{id}/exec",le="+Inf"} 1'
  assert_not_contains "$m" "$id" "a raw path leaked into the labels"
  for f in process_resident_memory_bytes process_open_fds process_start_time_seconds process_cpu_seconds_total orch_sessions_active orch_jobs_running; do
    assert_contains "$m" "# TYPE $f "
  done
  start=$(awk '/^process_start_time_seconds /{print int($2)}' <<<"$m")
  [ $(( $(date +%s) - start )) -lt 600 ] || fail "process_start_time_seconds is not this process's start: $start"
  rss=$(awk '/^process_resident_memory_bytes /{print $2}' <<<"$m")
  [ "${rss%.*}" -gt 1000000 ] || fail "implausible RSS $rss"
}

test_access_log_has_one_json_line_per_request_and_no_secrets() {
  scratch
  printf 'tok-accesslog-secret-1 alice\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens" --access-log "$SCRATCH/access.log"
  H="Authorization: Bearer tok-accesslog-secret-1"
  post /v1/run '{"code":"print(\"body-secret-7\")"}' -H "$H" >/dev/null
  curl -s -H "$H" "$BASE/v1/sessions/s-nope?x=query-secret" >/dev/null
  curl -s "$BASE/v1/sessions" >/dev/null
  four_lines() { [ "$(wc -l <"$SCRATCH/access.log")" -ge 4 ]; }  # counted again on each try
  wait_for 20 four_lines || fail "access log: $(cat "$SCRATCH/access.log")"
  log=$(cat "$SCRATCH/access.log")
  for secret in tok-accesslog-secret-1 body-secret-7 query-secret s-nope; do assert_not_contains "$log" "$secret"; done
  "$PY" - "$SCRATCH/access.log" <<'PY' || fail "access log lines: $log"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
want = [("GET", "/health", 200, None), ("POST", "/v1/run", 200, "alice"), ("GET", "/v1/sessions/{id}", 404, "alice"), ("GET", "(unmatched)", 401, None)]
got = [(l["method"], l["route"], l["status"], l["tenant"]) for l in lines]
got = got[:1] + [g for g in got[1:] if g[1] != "/health"]  # start_server polls /health
assert got == want, got
for l in lines:
    assert set(l) == {"time", "tenant", "method", "route", "status", "duration_ms", "remote"}, l
    assert l["time"].endswith("Z") and l["duration_ms"] >= 0 and l["remote"] == "127.0.0.1", l
PY
  grep -q '^{' "$SERVER_LOG" && fail "with --access-log FILE the lines go to the file, not stderr"
  return 0
}

test_access_log_goes_to_stderr_by_default_and_can_be_off() {
  start_server
  curl -s "$BASE/v1/templates" >/dev/null
  wait_for 20 grep -q '"route":"/v1/templates"' "$SERVER_LOG" || fail "no access log line on stderr: $(cat "$SERVER_LOG")"
  stop_server
  start_server --access-log off
  curl -s "$BASE/v1/templates" >/dev/null
  grep -q '"route"' "$SERVER_LOG" && fail "--access-log off still logged"
  return 0
}

test_tokenless_server_refuses_to_listen_beyond_loopback() {
  out=$("$ORCH" serve --listen 0.0.0.0:0 2>&1)
  assert_eq 2 $? "exit code"
  assert_contains "$out" "--insecure-no-auth"
  log=$(mktemp)
  "$ORCH" serve --listen 0.0.0.0:0 --insecure-no-auth --access-log off >"$log" 2>&1 &
  pid=$!
  wait_for 100 grep -q 'listening on' "$log"
  started=$?
  kill -TERM $pid; wait $pid
  [ $started -eq 0 ] || fail "--insecure-no-auth did not start: $(cat "$log")"
  rm -f "$log"
}

test_tokenless_server_sees_only_the_local_tenants_sessions() {
  other=$(ORCH_OWNER=someone-else "$ORCH" session create -t minimal --ttl 60) || fail "session create"
  mine=$("$ORCH" session create -t minimal --ttl 60) || fail "session create"
  start_server
  list=$(curl -s "$BASE/v1/sessions")
  assert_contains "$list" "$mine"
  assert_not_contains "$list" "$other" "another owner's session is listed"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/sessions/$other")"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/v1/sessions/$other")"
  assert_eq 404 "$(post "/v1/sessions/$other/exec" '{"code":"echo hi"}' | tail -n1)"
  assert_eq 204 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/v1/sessions/$mine")"
  "$ORCH" session rm "$other" >/dev/null || fail "the CLI could not remove the other owner's session"
}
