#!/usr/bin/env bash
# Runs every integration suite (test_*.sh here) against the real orch binary and Docker engine.
# Usage: run.sh ORCH_BINARY [SUITE_PATTERN [TEST_PATTERN]]
# Suites run ORCH_IT_JOBS at a time (default 3: most of their time is spent waiting on the engine);
# a suite whose header says "# it: alone" runs by itself after the others (it restarts the engine);
# those that say "# it: long" (a few minutes each) start first, so that none of them is the tail.
# Ends with the line "N passed, N failed"; exits non-zero when any test failed or the engine is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ORCH=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export ORCH
suite_pat=${2:-}
test_pat=${3:-}
jobs=${ORCH_IT_JOBS:-3}

if ! docker info >/dev/null 2>&1; then
  echo "integration: no Docker engine answers (scripts/install-docker.sh installs and starts one)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

results=$(mktemp -d /tmp/orch-it-run.XXXXXX)
trap 'rm -rf "$results"' EXIT

# One suite: each test in its own subshell; the report goes to NAME.log, the counts to NAME.res.
run_suite() {  # suite_file
  local suite=$1 name t tests start secs out rc passed=0 failed=0 skipped=0
  name=$(basename "$suite" .sh)
  tests=$(bash -c "source '$here/lib.sh'; source '$suite'; declare -F" | awk '{print $3}' | grep '^test_' || true)
  local suite_start=$SECONDS
  {
    for t in $tests; do
      [ -n "$test_pat" ] && [[ $t != *$test_pat* ]] && continue
      start=$(date +%s.%N)
      out=$( (source "$here/lib.sh"; source "$suite"; set +e; "$t") 2>&1 )
      rc=$?
      secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
      if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "  ok   $t (${secs}s)"
      elif [ $rc -eq 77 ]; then  # a test that cannot run here says why on its last line
        skipped=$((skipped + 1))
        echo "  skip $t: $(echo "$out" | tail -1)"
      else
        failed=$((failed + 1))
        echo "$name::$t" >>"$results/failures"
        echo "  FAIL $t (${secs}s)"
        echo "$out" | tail -25 | sed 's/^/    | /'
      fi
    done
  } >"$results/$name.log"
  echo "$passed $failed $skipped" >"$results/$name.res"
  { echo "== $name ($((SECONDS - suite_start))s)"; cat "$results/$name.log"; } >"$results/$name.done"
}

parallel=() alone=() rest=()
for suite in "$here"/test_*.sh; do
  name=$(basename "$suite" .sh)
  [ -n "$suite_pat" ] && [[ $name != *$suite_pat* ]] && continue
  header=$(head -n 5 "$suite")
  if grep -q '^# it: alone' <<<"$header"; then alone+=("$suite")
  elif grep -q '^# it: long' <<<"$header"; then parallel+=("$suite")
  else rest+=("$suite"); fi
done
parallel+=("${rest[@]}")

before=$(docker ps -aq --filter label=orch.managed=1 | wc -l)
started=$SECONDS
running=0
for suite in "${parallel[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
  run_suite "$suite" &
  running=$((running + 1))
  # Print suites as they finish, whole, so lanes do not interleave.
  for done in "$results"/*.done; do [ -e "$done" ] && cat "$done" && mv "$done" "$done.shown"; done
done
while [ "$running" -gt 0 ]; do
  wait -n
  running=$((running - 1))
  for done in "$results"/*.done; do [ -e "$done" ] && cat "$done" && mv "$done" "$done.shown"; done
done
for suite in "${alone[@]}"; do
  run_suite "$suite"
  cat "$results/$(basename "$suite" .sh).done"
done

passed=0 failed=0 skipped=0
for res in "$results"/*.res; do
  [ -e "$res" ] || continue
  read -r p f s <"$res"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
failures=()
[ -f "$results/failures" ] && mapfile -t failures <"$results/failures"

# Nothing the suites made may outlive them.
after=$(docker ps -aq --filter label=orch.managed=1 | wc -l)
if [ -z "$suite_pat$test_pat" ] || [ "$after" -gt "$before" ]; then
  if [ "$after" -gt "$before" ]; then
    failed=$((failed + 1))
    failures+=("leftovers: $((after - before)) orch containers remain")
    echo "  FAIL no containers left behind: $((after - before)) remain"
    docker ps -a --filter label=orch.managed=1 --format '    | {{.Names}} {{.Status}} {{.Labels}}' | head -10
  else
    passed=$((passed + 1))
    echo "  ok   no containers left behind"
  fi
fi

echo "integration: $((SECONDS - started))s with $jobs suites at a time"
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
