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
  rm -f "${SERVER_LOG:-}"
  [ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}

# POST JSON; prints the body then the status code on its own last line.
post() {  # path json [curl args...]
  local path=$1 body=$2; shift 2
  curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' "$@" --data-binary "$body" "$BASE$path"
}

status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

# The npm tools pinned by tests/js/package-lock.json (.ci/run installs them; a developer's first run does).
need_js_tools() {
  JS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../js" && pwd)
  if [ ! -d "$JS/node_modules/.bin" ] || [ "$JS/package-lock.json" -nt "$JS/node_modules/.package-lock.json" ]; then
    (cd "$JS" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1) || fail "could not install tests/js's npm packages (npm ci)"
  fi
}

# A git repository with one passing and one failing pytest test, served by git daemon on loopback
# (the API refuses local paths; a server clones from loopback with --allow-repo-host 127.0.0.1).
# Sets GIT_URL; needs $SCRATCH.
serve_git_repo() {
  mkdir -p "$SCRATCH/srv/proj"
  (cd "$SCRATCH/srv/proj" && git init -q -b main . &&
    printf 'def test_ok():\n    assert 1 + 1 == 2\n\ndef test_bad():\n    assert 1 == 2\n' > test_x.py &&
    git add . && git -c user.email=t@t -c user.name=t commit -qm init && touch git-daemon-export-ok)
  local port
  port=$(free_port)
  git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$SCRATCH/srv" --export-all "$SCRATCH/srv" >/dev/null 2>&1 &
  GIT_DAEMON_PID=$!
  wait_for 50 bash -c "echo > /dev/tcp/127.0.0.1/$port" || fail "git daemon did not start"
  GIT_URL="git://127.0.0.1:$port/proj"
}

# Removes the sessions this test's server made (a failed test leaves none behind).
own_sessions_cleanup() {
  for id in $(docker ps -a --filter label=orch.kind=session --filter "label=orch.pid=$(hostname):$SERVER_PID" --format '{{.Label "orch.id"}}'); do
    curl -s -X DELETE "$BASE/v1/sessions/$id" >/dev/null
  done
  stop_server
}

start_seed_server() {
  start_server "$@"
  trap 'own_sessions_cleanup' EXIT
}
