#!/usr/bin/env bash
# A session: one sandbox that keeps its interpreter's state between calls, for a notebook-like
# workflow or an agent that works step by step. It stops itself when its TTL passes, even if
# this script dies first; the trap removes it sooner.
# Usage: bash examples/session.sh   (ORCH=path/to/orch when orch is not on PATH)
set -euo pipefail
orch=${ORCH:-orch}
work=$(mktemp -d)
id=$("$orch" session create -t python --ttl 10m)
trap '"$orch" session rm "$id" >/dev/null; rm -rf "$work"' EXIT
echo "session $id"

"$orch" session exec "$id" -c 'total = 0'
for n in 1 2 3; do
  "$orch" session exec "$id" -c "total += $n; print('total', total)"
done

printf 'name,score\nada,9\nalan,7\n' >"$work/scores.csv"
"$orch" session upload "$id" "$work/scores.csv"
"$orch" session exec "$id" -c '
import csv
best = max(csv.DictReader(open("scores.csv")), key=lambda r: int(r["score"]))
with open("best.txt", "w") as f:
    f.write(best["name"])'
"$orch" session download "$id" best.txt "$work/best.txt"
echo "best: $(cat "$work/best.txt")"

"$orch" session files "$id"
"$orch" session exec "$id" --json -c 'print(total)' |
  python3 -c 'import json, sys; r = json.load(sys.stdin); print("state kept:", r["stdout"].strip(), "status", r["status"])'
