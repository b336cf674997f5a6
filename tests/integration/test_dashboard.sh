# The dashboard in a real headless Chromium (Debian's package) driven by playwright-core: every view,
# against a server with tokens, a live session, a finished repo job and imported prices.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

test_dashboard_views_in_chromium() {
  command -v chromium >/dev/null || fail "chromium is not installed (apt-get install chromium)"
  need_js_tools
  scratch
  out_dir=$(cd "$(dirname "$ORCH")" && pwd)/e2e
  mkdir -p "$out_dir" && rm -f "$out_dir"/dashboard-*.png
  export XDG_CACHE_HOME="$SCRATCH/cache"
  fx=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/pricing/catalogs/v8" && pwd)
  "$ORCH" pricing import "$fx/lambda/vms.csv" >/dev/null && sleep 1.1 && "$ORCH" pricing import "$fx/aws/vms.csv" >/dev/null &&
    sleep 1.1 && "$ORCH" pricing import "$fx/lambda/vms.csv" >/dev/null || fail "pricing import failed"
  printf 'tok-dashboard-0000000 alice\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens" --allow-repo-host 127.0.0.1
  H="Authorization: Bearer tok-dashboard-0000000"
  serve_git_repo
  job=$(json_get "$(body_of "$(post /v1/repo/test "{\"source\":\"$GIT_URL\"}" -H "$H")")" id)
  sid=$(json_get "$(body_of "$(post /v1/sessions '{"template":"python","ttl":600}' -H "$H")")" id)
  curl -s -X PUT -H "$H" --data-binary 'hello' "$BASE/v1/sessions/$sid/files?path=notes/data.txt" >/dev/null
  wait_for 600 sh -c "curl -s -H '$H' '$BASE/v1/jobs/$job' | grep -q '\"status\":\"done\"'" || fail "job did not finish"
  kill "$GIT_DAEMON_PID"
  out=$(timeout 180 node "$JS/dashboard.mjs" "$BASE" "$out_dir" tok-dashboard-0000000 "$sid" "$job") || fail "browser run failed: $out"
  curl -s -X DELETE -H "$H" "$BASE/v1/sessions/$sid" >/dev/null
  [ "$(json_get "$out" failed 2>/dev/null)" = "" ] || fail "$(json_get "$out" failed): $out"
  assert_eq "[]" "$(json_get "$out" errors)" "page errors"
  assert_contains "$(json_get "$out" banner)" "This server needs a token"
  assert_eq "false" "$(json_get "$out" bannerAfterToken)"
  assert_contains "$(json_get "$out" engine)" "engine: Docker"
  assert_eq "dash 42" "$(json_get "$out" run.stdout)"
  assert_eq "warn" "$(json_get "$out" run.stderr)"
  assert_contains "$(json_get "$out" run.status)" "error · exit 3"
  [ "$(json_get "$out" run.stderrColor)" != "$(json_get "$out" run.stdoutColor)" ] || fail "stderr is not coloured apart"
  assert_contains "$(json_get "$out" run.artifacts)" "report.txt"
  assert_eq "data:application/octet-stream;base64,YWJj" "$(json_get "$out" run.download)"
  assert_contains "$(json_get "$out" cancel.status)" "killed"
  assert_not_contains "$(json_get "$out" cancel.stdout)" "tick 200" "the run went on after cancel"
  assert_contains "$(json_get "$out" session.files)" "notes/data.txt"
  assert_contains "$(json_get "$out" session.info)" "TTL left"
  assert_contains "$(json_get "$out" session.extended)" "TTL left 4"
  assert_eq "true" "$(json_get "$out" session.deleted)"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -H "$H" "$BASE/v1/sessions/$sid")" "delete in the page did not remove the session"
  assert_contains "$(json_get "$out" job.row)" "1 passed, 1 failed"
  assert_contains "$(json_get "$out" job.failures)" "test_bad"
  [ "$(json_get "$out" prices.filtered)" -lt "$(json_get "$out" prices.all)" ] || fail "the GPU filter did not narrow: $out"
  assert_contains "$(json_get "$out" prices.age)" "data from"
  assert_contains "$(json_get "$out" prices.chart)" '"lambda", 2'
  for v in needs-token run cancelled session jobs prices; do [ -s "$out_dir/dashboard-$v.png" ] || fail "no screenshot of $v"; done
}
