# Hostile-input battery: repository jobs on a server, which clone on the server's host on a
# tenant's behalf: no reaching the server's own or internal services, no one else's credentials.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# A TCP listener on ADDR:PORT that logs one line per connection to FILE; an HTTP request gets a
# redirect to REDIRECT (when given); with HOLD it keeps connections open for that many seconds.
listen_and_log() {  # addr port file [redirect] [hold]
  "$PY" - "$@" >/dev/null 2>&1 <<'EOF' &
import socket, sys, threading, time
addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
redirect = sys.argv[4] if len(sys.argv) > 4 else ""
hold = float(sys.argv[5]) if len(sys.argv) > 5 else 0
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port)); s.listen(16)
def serve(c):
    c.settimeout(5)
    try:
        first = c.recv(4096).split(b"\r\n")[0].decode(errors="replace")
    except OSError:
        first = ""
    with open(log, "a") as f:
        f.write(first + "\n")
    if redirect and first.startswith("GET"):
        c.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + redirect.encode() + b"\r\nContent-Length: 0\r\n\r\n")
    time.sleep(hold)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
  LISTENERS="${LISTENERS:-} $!"
  trap 'kill $LISTENERS 2>/dev/null; stop_server' EXIT
  wait_for 50 bash -c "echo > /dev/tcp/$1/$2" || fail "listener on $1:$2 did not start"
  : >"$3"  # the readiness probe is not a connection the case made
}

repo_post() {  # json [curl args...]
  local body=$1; shift
  post /v1/repo/test "$body" "$@"
}

test_repo_jobs_cannot_reach_the_servers_own_services() {
  scratch
  local p p2 src r
  p=$(free_port) p2=$(free_port)
  listen_and_log 127.0.0.2 "$p2" "$SCRATCH/hits2"
  listen_and_log 0.0.0.0 "$p" "$SCRATCH/hits" "http://127.0.0.2:$p2/x.git"
  # control: plain git follows the listener's redirect (so a clone that does not is held back by orch)
  git ls-remote "http://127.0.0.1:$p/x.git" >/dev/null 2>&1
  [ -s "$SCRATCH/hits2" ] || fail "control: git did not follow the redirect"
  : >"$SCRATCH/hits" && : >"$SCRATCH/hits2"

  start_server
  trap 'kill $LISTENERS 2>/dev/null; stop_server' EXIT
  local own
  own=$(ip -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n3)
  for src in "http://127.0.0.1:$p/x.git" "https://127.0.0.1:$p/x.git" "ssh://git@127.0.0.1:$p/x" "git://127.0.0.1:$p/x" \
             "git@localhost:x.git" "http://localhost:$p/x" "http://2130706433:$p/x" "http://0x7f.1:$p/x" "http://[::1]:$p/x" \
             "http://[::ffff:127.0.0.1]:$p/x" "http://0.0.0.0:$p/x" "http://169.254.169.254/latest/meta-data/" \
             "http://$GATEWAY:$p/x" $(for a in $own; do echo "git://$a:$p/x"; done); do
    r=$(repo_post "{\"source\":\"$src\"}")
    assert_eq 400 "$(status_of "$r")" "$src was accepted: $(body_of "$r")"
    assert_contains "$(body_of "$r")" "allow-repo-host"
  done
  sleep 1
  [ ! -s "$SCRATCH/hits" ] || fail "the server connected to its own listener: $(cat "$SCRATCH/hits")"
  kill -TERM "$SERVER_PID" && wait "$SERVER_PID"

  # An operator who allows loopback gets the clone; the redirect to another host is not followed.
  start_server --allow-repo-host 127.0.0.1
  trap 'kill $LISTENERS 2>/dev/null; stop_server' EXIT
  r=$(repo_post "{\"source\":\"http://127.0.0.1:$p/x.git\",\"clone_timeout\":20}")
  assert_eq 202 "$(status_of "$r")" "an allowed host: $(body_of "$r")"
  job=$(json_get "$(body_of "$r")" id)
  for _ in $(seq 100); do
    j=$(curl -s "$BASE/v1/jobs/$job")
    [ "$(json_get "$j" status)" != running ] && break
    sleep 0.2
  done
  assert_eq clone_failed "$(json_get "$j" report.status)" "the job: $j"
  [ -s "$SCRATCH/hits" ] || fail "control: the allowed host was never reached"
  [ ! -s "$SCRATCH/hits2" ] || fail "the clone followed a redirect to another host: $(cat "$SCRATCH/hits2")"
  # a local user keeps cloning from loopback with the CLI
  : >"$SCRATCH/hits"
  "$ORCH" repo test "git://127.0.0.1:$p/x" --clone-timeout 5 >/dev/null 2>&1
  [ -s "$SCRATCH/hits" ] || fail "the CLI was held back from loopback"
}

# The pids of the processes below PID (its children, theirs, ...).
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done
}

# While a job's fetch hangs in the proxy: which credentials its git processes hold.
job_git_credentials() {  # auth-header
  local r job pid found=""
  : >"$SCRATCH/proxy"
  r=$(repo_post '{"source":"https://github.com/octo/private.git","clone_timeout":30}' -H "Authorization: Bearer $1")
  assert_eq 202 "$(status_of "$r")" "job: $(body_of "$r")"
  wait_for 100 test -s "$SCRATCH/proxy" || fail "the clone never reached the proxy"
  local seen=0
  for pid in $(descendants "$SERVER_PID"); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^GIT_TERMINAL_PROMPT=' || continue
    seen=$((seen + 1))
    found="$found$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -E '^GIT_CONFIG_VALUE_0=|^GITHUB_TOKEN=' | sort -u)"$'\n'
  done
  [ "$seen" -gt 0 ] || fail "no git process of the job was found"
  CREDS=$found
  # the proxy lets go after a while; the job then fails and its processes are gone
  job=$(json_get "$(body_of "$r")" id)
  wait_for 300 bash -c "curl -s -H 'Authorization: Bearer $1' $BASE/v1/jobs/$job | grep -q '\"status\":\"failed\\|\"status\":\"done'" ||
    fail "the job did not end"
}

test_repo_jobs_use_only_the_tenants_credentials() {
  scratch
  local pp tok_a=tenantA-token-0123456789 tok_b=tenantB-token-0123456789
  pp=$(free_port)
  # the operator's proxy, which holds each connection open long enough to look at the clone
  listen_and_log 127.0.0.1 "$pp" "$SCRATCH/proxy" "" 4
  printf '%s alice github_token=ghp_alice_secret_0123\n%s bob\n' "$tok_a" "$tok_b" >"$SCRATCH/tokens"
  GITHUB_TOKEN=ghp_server_secret_4567 https_proxy="http://127.0.0.1:$pp" start_server --tokens "$SCRATCH/tokens"
  trap 'kill $LISTENERS 2>/dev/null; stop_server' EXIT
  local alice server
  alice="Authorization: Basic $(printf 'x-access-token:ghp_alice_secret_0123' | base64 -w0)"
  server=$(printf 'x-access-token:ghp_server_secret_4567' | base64 -w0)
  job_git_credentials "$tok_a"
  assert_contains "$CREDS" "GIT_CONFIG_VALUE_0=$alice" "alice's clone carries alice's token"
  assert_not_contains "$CREDS" "$server" "alice's clone carries the server's token"
  assert_not_contains "$CREDS" "ghp_server_secret_4567"
  job_git_credentials "$tok_b"
  [ -z "$(echo "$CREDS" | tr -d '\n')" ] || fail "bob's clone carries credentials: $CREDS"
}

# A repository job is held to the server's and the tenant's caps like a run: asking past them is a
# 400 at once, and what a job takes by default (1 GiB, 512 processes, 600 s) is brought under them.
test_repo_jobs_keep_the_caps_of_runs() {
  scratch
  printf 'tok-small-0123456789 small max_memory=256m max_timeout=30 max_pids=64\n' >"$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens" --allow-repo-host 127.0.0.1
  serve_git_repo
  trap 'kill $GIT_DAEMON_PID 2>/dev/null; stop_server' EXIT
  local h='Authorization: Bearer tok-small-0123456789' body r
  for body in '"memory":"4g"' '"timeout":5000' '"cpus":64' '"max_size":"100t"' '"max_size":"0"' '"submodules":true' '"env":["A=B=C","1X=2"]'; do
    r=$(repo_post "{\"source\":\"$GIT_URL\",$body}" -H "$h")
    assert_eq 400 "$(status_of "$r")" "$body: $(body_of "$r")"
  done
  r=$(repo_post "{\"source\":\"$GIT_URL\",\"memory\":\"4g\"}" -H "$h")
  assert_contains "$(body_of "$r")" "at most 256.0 MiB"
  r=$(repo_post "{\"source\":\"$GIT_URL\",\"cmd\":\"cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max\"}" -H "$h")
  assert_eq 202 "$(status_of "$r")" "$(body_of "$r")"
  job=$(json_get "$(body_of "$r")" id)
  for _ in $(seq 240); do
    j=$(curl -s -H "$h" "$BASE/v1/jobs/$job")
    [ "$(json_get "$j" status)" != running ] && break
    sleep 0.5
  done
  assert_eq passed "$(json_get "$j" report.status)" "$j"
  assert_eq "$((256 << 20))
64" "$(json_get "$j" report.output_tail | tr -d '\r' | sed '/^$/d')"
}
