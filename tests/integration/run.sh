#!/usr/bin/env bash
# Runs every integration suite (test_*.sh here) against the real orch binary and Docker engine.
# Usage: run.sh ORCH_BINARY [SUITE_PATTERN [TEST_PATTERN]]
# Ends with the line "N passed, N failed"; exits non-zero when any test failed or the engine is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ORCH=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export ORCH
suite_pat=${2:-}
test_pat=${3:-}

if ! docker info >/dev/null 2>&1; then
  echo "integration: no Docker engine answers (scripts/install-docker.sh installs and starts one)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0 failed=0 failures=()
before=$(docker ps -aq --filter label=orch.managed=1 | wc -l)
for suite in "$here"/test_*.sh; do
  name=$(basename "$suite" .sh)
  [ -n "$suite_pat" ] && [[ $name != *$suite_pat* ]] && continue
  tests=$(bash -c "source '$here/lib.sh'; source '$suite'; declare -F" | awk '{print $3}' | grep '^test_' || true)
  echo "== $name"
  for t in $tests; do
    [ -n "$test_pat" ] && [[ $t != *$test_pat* ]] && continue
    start=$(date +%s.%N)
    out=$( (source "$here/lib.sh"; source "$suite"; set +e; "$t") 2>&1 )
    rc=$?
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
    if [ $rc -eq 0 ]; then
      passed=$((passed + 1))
      echo "  ok   $t (${secs}s)"
    else
      failed=$((failed + 1))
      failures+=("$name::$t")
      echo "  FAIL $t (${secs}s)"
      echo "$out" | tail -25 | sed 's/^/    | /'
    fi
  done
done

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

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
