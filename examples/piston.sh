#!/usr/bin/env bash
# A client written for Piston (emkc.org's code runner) talks to orch unchanged: only the base URL
# moves. GET /api/v2/runtimes lists what orch's templates offer; POST /api/v2/execute runs.
# Usage: bash examples/piston.sh [BASE_URL]   (default http://127.0.0.1:8420; start `orch serve` first)
set -euo pipefail
base=${1:-${ORCH_URL:-http://127.0.0.1:8420}}
auth=()
[ -n "${ORCH_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $ORCH_TOKEN")

echo "== runtimes"
curl -sS "${auth[@]}" "$base/api/v2/runtimes" |
  python3 -c 'import json, sys; print("\n".join(sorted({r["language"] + " " + r["version"] for r in json.load(sys.stdin)})))'

echo "== execute: two files, arguments and stdin, as Piston takes them"
curl -sS "${auth[@]}" "$base/api/v2/execute" -H 'Content-Type: application/json' -d '{
  "language": "python", "version": "3.x",
  "files": [
    {"name": "main.py", "content": "import sys, helper\nprint(helper.greet(sys.argv[1]), sys.stdin.read().strip())"},
    {"name": "helper.py", "content": "def greet(who):\n    return \"hello \" + who"}
  ],
  "args": ["piston"], "stdin": "and stdin", "run_timeout": 3000
}' | python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["language"], r["version"], "->", r["run"]["stdout"].strip(), "(code %s)" % r["run"]["code"])'

echo "== a runaway program is stopped at run_timeout, as Piston reports it"
curl -sS "${auth[@]}" "$base/api/v2/execute" -d '{"language": "bash", "version": "*",
  "files": [{"content": "while :; do :; done"}], "run_timeout": 1000}' |
  python3 -c 'import json, sys; r = json.load(sys.stdin)["run"]; print("signal", r["signal"], "code", r["code"])'
