#!/usr/bin/env bash
# A first tour of `orch run`: one sandbox per run, no network, removed when the run ends.
# Usage: bash examples/first-runs.sh   (ORCH=path/to/orch when orch is not on PATH)
set -euo pipefail
orch=${ORCH:-orch}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== inline code, three languages"
"$orch" run -c 'print(6 * 7)'
"$orch" run -l node -c 'console.log([1, 2, 3].map(x => x * 2).join(" "))'
"$orch" run -l bash -c 'echo "bash $BASH_VERSION" | cut -d. -f1'

echo "== a file, its arguments and piped stdin"
printf 'import sys\nprint(sys.argv[1:], sys.stdin.read().upper().strip())\n' >"$work/job.py"
echo "from stdin" | "$orch" run "$work/job.py" -- --rows 10

echo "== files in, artifacts out"
printf 'a,b\n1,2\n3,4\n' >"$work/data.csv"
"$orch" run -f "$work/data.csv" --out "$work/results" -c '
import csv, os
rows = list(csv.DictReader(open("data.csv")))
os.makedirs("out", exist_ok=True)
open("out/sum.txt", "w").write(str(sum(int(r["b"]) for r in rows)))
print(len(rows), "rows")'
echo "saved: $(cat "$work/results/sum.txt")"

echo "== the exit code is the program's; limits end a run with their own status"
rc=0
"$orch" run -c 'raise SystemExit(3)' || rc=$?
echo "exit code $rc"
rc=0
"$orch" run --timeout 1 -c 'while True: pass' 2>/dev/null || rc=$?
echo "timeout: exit code $rc"

echo "== --json for scripts"
"$orch" run --json --memory 64m -c 'x = bytearray(256 << 20)' >"$work/result.json" || true
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("status", r["status"], "exit_code", r["exit_code"])' "$work/result.json"
