#!/usr/bin/env bash
# A CI step that runs a script it does not trust (from a pull request, or written by an AI agent)
# in a sandbox: no network, capped memory, CPU, processes and time, the checkout's files copied in
# (never mounted), reports copied back out. The step fails with a clear line unless the script
# succeeded, and orch's exit code tells a timeout (124) from the script's own failure.
# Usage: bash examples/ci-step.sh [SCRIPT.py]   (without one it makes a demo script; TIMEOUT=S, REPORTS=DIR)
set -euo pipefail
orch=${ORCH:-orch}
reports=${REPORTS:-$(mktemp -d)}
script=${1:-}
if [ -z "$script" ]; then
  script=$(mktemp --suffix .py)
  trap 'rm -f "$script"' EXIT
  cat >"$script" <<'PY'
import json, os, platform
checks = {"python": platform.python_version(), "network": "reachable"}
try:
    import socket
    socket.create_connection(("1.1.1.1", 53), timeout=1)
except OSError as e:
    checks["network"] = "unreachable (%s)" % type(e).__name__
os.makedirs("out", exist_ok=True)
json.dump(checks, open("out/report.json", "w"), indent=1)
print("checks done:", ", ".join(sorted(checks)))
PY
fi

rc=0
"$orch" run --timeout "${TIMEOUT:-60}" --memory 512m --cpus 1 --pids 128 --out "$reports" "$script" || rc=$?
case $rc in
  0) echo "ci-step: passed; reports in $reports: $(cd "$reports" && ls | tr '\n' ' ')" ;;
  124) echo "ci-step: FAILED: the script ran out of time" >&2 ;;
  125) echo "ci-step: FAILED: the sandbox could not run (engine or image; see the error above)" >&2 ;;
  *) echo "ci-step: FAILED: the script exited $rc" >&2 ;;
esac
exit "$rc"
