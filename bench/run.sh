#!/usr/bin/env bash
# make bench: measures orch against its baselines in one run and prints one table.
# Usage: bench/run.sh ORCH_BINARY [CASE...]   (cases: cold net warm session load server cli scaling sessions runtime repo e2b)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
orch=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
docker info >/dev/null 2>&1 || { echo "bench: no Docker engine (scripts/install-docker.sh)" >&2; exit 1; }
# A fresh machine's package lists are empty: read them once, only when a package is missing.
install() { apt-get install -y -qq "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$1" >/dev/null 2>&1; }; }
command -v wrk >/dev/null || install wrk || echo "bench: wrk not installed; the /health case is skipped" >&2
py=$(command -v /usr/bin/python3 || command -v python3)
"$py" -c 'import docker' 2>/dev/null || install python3-docker || echo "bench: python3-docker not installed; the Engine API baseline is skipped" >&2
exec "$py" "$here/bench.py" "$orch" "$here/results" "$@"
