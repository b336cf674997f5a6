#!/usr/bin/env bash
# Testing a repository in isolation: orch detects the stack (pytest here), runs the tests in a
# sandbox without network, and reports counts and failing tests, as text, JSON or JUnit XML.
# The demo makes a small git repository with one failing test; pass your own path or URL instead.
# Usage: bash examples/repo-test.sh [PATH|URL]   (ORCH=path/to/orch when orch is not on PATH)
set -euo pipefail
orch=${ORCH:-orch}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=${1:-}
if [ -z "$repo" ]; then
  repo=$work/shop
  mkdir -p "$repo/tests"
  cat >"$repo/pyproject.toml" <<'TOML'
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.9"
TOML
  cat >"$repo/shop.py" <<'PY'
def total(prices, discount=0.0):
    return round(sum(prices) * (1 - discount), 2)
PY
  cat >"$repo/tests/test_shop.py" <<'PY'
from shop import total

def test_total():
    assert total([1.5, 2.5]) == 4.0

def test_discount():
    assert total([10], discount=0.1) == 9.0

def test_rounding():
    assert total([0.1, 0.2]) == 0.31  # wrong on purpose: this one fails
PY
  git -C "$repo" init -q && git -C "$repo" add -A &&
    git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -qm "a shop"
fi

rc=0
"$orch" repo test "$repo" --junit "$work/report.xml" || rc=$?
echo "exit code $rc (0 all passed, 1 tests failed, 3 clone failed, 4 tests could not run)"
[ -s "$work/report.xml" ] && echo "JUnit test cases: $(grep -c '<testcase' "$work/report.xml")"
exit "$rc"
