# The dashboard in a real headless Chromium (Debian's package) driven by playwright-core.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

test_dashboard_runs_a_snippet_in_chromium() {
  command -v chromium >/dev/null || fail "chromium is not installed (apt-get install chromium)"
  need_js_tools
  dir=$(cd "$(dirname "$ORCH")" && pwd)/e2e
  mkdir -p "$dir"
  start_server
  shot="$dir/dashboard.png"
  rm -f "$shot"
  out=$(timeout 90 node "$JS/dashboard.mjs" "$BASE" "$shot") || fail "browser run failed: $out"
  assert_contains "$(json_get "$out" engine)" "engine: Docker"
  assert_contains "$(json_get "$out" output)" "dash 42"
  assert_contains "$(json_get "$out" output)" "warn"
  assert_contains "$(json_get "$out" status)" "ok · exit 0"
  assert_eq "[]" "$(json_get "$out" errors)"
  [ "$(json_get "$out" runs)" -ge 2 ] || fail "recent runs table is empty"
  [ -s "$shot" ] || fail "no screenshot"
}
