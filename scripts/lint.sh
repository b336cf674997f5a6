#!/usr/bin/env bash
# Checks the C++ lines changed since the lint base with clang-format (.clang-format) and clang-tidy
# (.clang-tidy: bugprone, performance), so new code follows both without reformatting the tree.
# The base is the commit in .ci/lint-base (BASE=<commit> overrides); moving it forward after a
# clean run keeps the check small. clang-tidy reads a per-file compile database, configured (not
# built) in BUILD/lint-db: the build itself compiles the sources in unity batches.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
base=${BASE:-$(cat .ci/lint-base)}
for tool in clang-format-diff-14 clang-tidy-14 clang-tidy-diff-14.py; do
  command -v "$tool" >/dev/null || { echo "lint: $tool is missing (apt-get install clang-format clang-tidy)" >&2; exit 1; }
done
git cat-file -e "$base^{commit}" 2>/dev/null || { echo "lint: base $base is not in this clone" >&2; exit 1; }

diff=$(git diff -U0 --no-color "$base" -- 'src/*.cpp' 'src/*.hpp' 'tests/unit/*.cpp' 'tests/unit/*.hpp')
files=$(git diff --name-only "$base" -- 'src/*.cpp' 'src/*.hpp' 'tests/unit/*.cpp' 'tests/unit/*.hpp' | wc -l)
if [ "${1:-}" = --fix ]; then
  printf '%s\n' "$diff" | clang-format-diff-14 -p1 -i -binary clang-format-14
  exit 0
fi
echo "lint: $files C++ files changed since $(git rev-parse --short "$base")"
failed=0

format=$(printf '%s\n' "$diff" | clang-format-diff-14 -p1 -binary clang-format-14)
if [ -n "$format" ]; then
  printf '%s\n' "$format"
  echo "lint: clang-format would change the lines above (scripts/lint.sh --fix applies it)"
  failed=1
fi

db="$BUILD/lint-db"
cmake -S . -B "$db" -DORCH_UNITY=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null ||
  { echo "lint: could not configure the compile database in $db" >&2; exit 1; }

# clang-tidy-diff prints findings but always exits 0: the findings are the verdict. Code clang 14
# cannot parse (GCC is the compiler; e.g. lambdas capturing structured bindings) is not a finding.
tidy=$(printf '%s\n' "$diff" | clang-tidy-diff-14.py -p1 -path "$db" -iregex '.*\.cpp' -quiet -j 2 \
  -clang-tidy-binary "$(command -v clang-tidy-14)" 2>&1 || true)
findings=$(printf '%s\n' "$tidy" | grep -E ': (warning|error): .*\[[a-z]' | grep -v '\[clang-diagnostic-error\]' || true)
if [ -n "$findings" ]; then
  printf '%s\n' "$findings"
  echo "lint: clang-tidy findings above (.clang-tidy lists the checks)"
  failed=1
fi
[ "$failed" = 0 ] && echo "lint: clean"
exit "$failed"
