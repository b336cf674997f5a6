# Starting and stopping an orch server on a free loopback port for a test.

start_server() {  # extra serve flags...
  local port
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 20000))
    (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null || break
  done
  SERVER_LOG=$(mktemp /tmp/orch-serve.XXXXXX)
  "$ORCH" serve --listen 127.0.0.1:$port "$@" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  BASE=http://127.0.0.1:$port
  trap 'stop_server' EXIT
  wait_for 100 curl -sf "$BASE/health" || { cat "$SERVER_LOG"; fail "server did not start"; }
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
