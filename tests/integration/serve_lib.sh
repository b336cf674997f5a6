# Starting and stopping an orch server on a free loopback port for a test.

start_server() {  # extra serve flags...
  # Port 0: the server takes a port the kernel knows is free (a probed port can be taken by
  # another test's connection before the server binds it) and logs it.
  SERVER_LOG=$(mktemp /tmp/orch-serve.XXXXXX)
  "$ORCH" serve --listen 127.0.0.1:0 "$@" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  trap 'stop_server' EXIT
  wait_for 100 grep -q 'listening on http://' "$SERVER_LOG" || { cat "$SERVER_LOG"; fail "server did not start"; }
  BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$SERVER_LOG" | head -n1)
  wait_for 100 curl -sf "$BASE/health" || { cat "$SERVER_LOG"; fail "server did not answer /health"; }
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -f "$SERVER_LOG"
  [ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}

# POST JSON; prints the body then the status code on its own last line.
post() {  # path json [curl args...]
  local path=$1 body=$2; shift 2
  curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' "$@" --data-binary "$body" "$BASE$path"
}

status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
