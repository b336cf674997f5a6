#!/usr/bin/env bash
# orch's HTTP API with curl: a server with a token, a run, a streamed run, an async run polled by
# id, and a session. Everything the CLI does is there (the OpenAPI document is GET /openapi.json,
# a readable page GET /docs).
# Usage: bash examples/http-api.sh   (ORCH=path/to/orch when orch is not on PATH)
set -euo pipefail
orch=${ORCH:-orch}
work=$(mktemp -d)
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$token demo max_concurrent=4" >"$work/tokens.txt"
"$orch" serve --listen 127.0.0.1:0 --tokens "$work/tokens.txt" --pool python=1 --access-log off 2>"$work/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
# The first log line names the port it took: "listening on http://127.0.0.1:PORT".
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1) && [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }
api() { curl -sS -H "Authorization: Bearer $token" "$@"; }
within() {  # SECONDS COMMAND...: retries COMMAND until it succeeds, or gives up
  local until=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $until ] || { echo "gave up waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}
pool_ready() { api "$url/health" | grep -q '"ready":1'; }
within 60 pool_ready  # the pooled sandbox is up

echo "== POST /v1/run"
api "$url/v1/run" -d '{"language": "python", "code": "import sys; print(sys.version_info[:2])"}'
echo
echo "== without a token"
curl -sS "$url/v1/run" -d '{"code": "print(1)"}'
echo
echo "== the same run as server-sent events (stdout as it comes, then the result)"
api -N -H 'Accept: text/event-stream' "$url/v1/run" \
  -d '{"language": "bash", "code": "for i in 1 2 3; do echo tick $i; sleep 0.2; done"}' | grep '^event:' | sort | uniq -c
echo "== async: 202 and an id, then poll"
id=$(api "$url/v1/run" -d '{"code": "import time; time.sleep(1); print(\"done\")", "async": true}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["run_id"])')
run_done() { api "$url/v1/runs/$id" | grep -q '"state":"done"'; }
within 30 run_done
api "$url/v1/runs/$id" | python3 -c 'import json, sys; r = json.load(sys.stdin)["result"]; print(r["status"], r["stdout"].strip())'
echo "== a session over HTTP"
sid=$(api "$url/v1/sessions" -d '{"template": "python", "ttl": 300}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
api "$url/v1/sessions/$sid/exec" -d '{"code": "x = 41"}' >/dev/null
api "$url/v1/sessions/$sid/exec" -d '{"code": "print(x + 1)"}' | python3 -c 'import json, sys; print("session says", json.load(sys.stdin)["stdout"].strip())'
api -X DELETE -o /dev/null -w 'DELETE /v1/sessions/ID: %{http_code}\n' "$url/v1/sessions/$sid"
