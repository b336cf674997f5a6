# The official E2B SDKs (npm e2b and @e2b/code-interpreter, pinned in tests/e2b/package-lock.json)
# against orch serve's /e2b routes and the real engine. Each test runs one node script of
# tests/e2b/ against its own server with two tenants; a script prints ok/FAIL per check.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

E2B_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2b" && pwd)

e2b_setup() {
  e2b_sdk_ready
  scratch
  # Tenant a's key in E2B's e2b_<hex> form (its orch token hex-encoded); tenant b's as is.
  local tok_a=tenant-a-token-0123456789 tok_b=tenant-b-token-0123456789
  printf '%s a\n%s b\n' "$tok_a" "$tok_b" >"$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens" "$@"
  export E2B_API_URL="$BASE/e2b" E2B_SANDBOX_URL="$BASE/e2b"
  export E2B_API_KEY="e2b_$(printf %s "$tok_a" | od -An -tx1 | tr -d ' \n')" E2B_KEY_OTHER_TENANT=$tok_b
}

# Node and the pinned SDKs, installed on first use.
e2b_sdk_ready() {
  command -v node >/dev/null || fail "node is not installed (.ci/run installs it)"
  node -e 'const [a,b,c]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&(b>18||(b==18&&c>=1)))?0:1)' ||
    fail "the E2B SDKs need Node >= 20.18.1 (found $(node --version))"
  if [ ! -d "$E2B_DIR/node_modules/@e2b/code-interpreter" ] || [ "$E2B_DIR/package-lock.json" -nt "$E2B_DIR/node_modules/.package-lock.json" ]; then
    (cd "$E2B_DIR" && npm ci --no-audit --no-fund --loglevel=error) >/dev/null || fail "npm ci in tests/e2b failed"
  fi
}

e2b_run() {  # script.mjs: runs it, shows its lines, fails on any FAIL or a non-zero exit
  local out rc
  out=$(cd "$E2B_DIR" && timeout 300 node "$1" 2>&1)
  rc=$?
  echo "$out"
  [ $rc -eq 0 ] || fail "$1 failed (exit $rc)"
  assert_not_contains "$out" "FAIL "
  assert_contains "$out" "all checks passed"
}

e2b_no_leftovers() {  # after the script killed its sandboxes, a stopped server leaves nothing (its pool included)
  local pid=$SERVER_PID
  stop_server
  none_left() { [ "$(containers_of_pid "$pid")" = 0 ]; }  # counted again on each try
  wait_for 100 none_left || fail "sandboxes of this server remain: $(containers_of_pid "$pid")"
  local ids
  ids=$(docker volume ls -q --filter label=orch.kind=claim | while read -r v; do
    docker ps -aq --filter "label=orch.id=$(docker volume inspect -f '{{index .Labels "orch.id"}}' "$v")" | grep -q . || echo "$v"
  done)
  [ -z "$ids" ] || fail "claims without a session remain: $ids"
}

test_e2b_lifecycle_tenants_and_tokens() {
  e2b_setup --session-pool base=1
  wait_for 600 sh -c "curl -s '$BASE/health' | grep -q '\"ready\":1'" || fail "the session pool did not fill"
  e2b_run lifecycle.mjs
  e2b_no_leftovers
}

test_e2b_commands() {
  e2b_setup
  e2b_run commands.mjs
  # The access log names the tenant of each E2B call: the API key's on the control plane, the
  # sandbox's owner on the sandbox plane (it said "local" for all of them).
  "$PY" - "$SERVER_LOG" <<'PY' || fail "E2B access log lines name another tenant"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{') and '"route"' in l]
e2b = [l for l in lines if l["route"].startswith("/e2b") and l["status"] < 300]
wrong = [(l["method"], l["route"], l["tenant"]) for l in e2b if l["tenant"] != "a"]
assert len(e2b) > 10 and not wrong, (len(e2b), wrong[:5])
PY
  e2b_no_leftovers
}

test_e2b_files() {
  e2b_setup
  e2b_run files.mjs
  e2b_no_leftovers
}

test_e2b_code_interpreter() {
  e2b_setup
  e2b_run interpreter.mjs
  e2b_no_leftovers
}

test_e2b_sandboxes_are_hardened_sessions() {
  e2b_setup
  local sid cid inspect users
  sid=$(cd "$E2B_DIR" && node --input-type=module -e '
    const { Sandbox } = await import("e2b");
    const s = await Sandbox.create("base", { timeoutMs: 60000 });
    const h = await s.commands.run("sleep 30", { background: true });
    await h.disconnect();
    console.log(s.sandboxId);') || fail "create failed"
  cid=$(docker ps -q --filter "label=orch.id=$sid")
  [ -n "$cid" ] || fail "no container for $sid"
  inspect=$(docker inspect "$cid")
  # The agent and what it starts run as the sandbox user, never root.
  users=$(docker top "$cid" -eo pid,user,args | awk 'NR>1 && /orch-agent agent|sleep 30/ {print $2}' | sort -u)
  curl -sf -X DELETE -H "X-API-KEY: $E2B_API_KEY" "$E2B_API_URL/sandboxes/$sid" || fail "kill failed"
  assert_eq true "$(json_get "$inspect" 0.HostConfig.ReadonlyRootfs)" "read-only root"
  assert_eq '["ALL"]' "$(json_get "$inspect" 0.HostConfig.CapDrop)" "capabilities dropped"
  assert_eq none "$(json_get "$inspect" 0.HostConfig.NetworkMode)" "no network"
  assert_contains "$(json_get "$inspect" 0.HostConfig.SecurityOpt)" "no-new-privileges"
  assert_contains "$(json_get "$inspect" 0.HostConfig.SecurityOpt)" "SCMP_ACT_ERRNO"
  assert_contains "$(json_get "$inspect" 0.HostConfig.Tmpfs)" '/home/user'
  [ "$(json_get "$inspect" 0.HostConfig.PidsLimit)" -gt 0 ] || fail "no pids limit"
  [ -n "$users" ] || fail "no agent process in the sandbox"
  assert_not_contains "$users" root
  e2b_no_leftovers
}

# A file without end (/dev/zero, whose size says 0) is streamed to the client, never held whole:
# the server stays small, and stops reading when the client leaves.
test_e2b_download_of_a_device_is_streamed() {
  e2b_setup
  local sb sid tok got rss1 rss2
  sb=$(curl -sf -H "X-API-KEY: $E2B_API_KEY" -H 'Content-Type: application/json' -d '{"templateID":"base","timeout":60}' "$E2B_API_URL/sandboxes") ||
    fail "create failed"
  sid=$(json_get "$sb" sandboxID)
  tok=$(json_get "$sb" envdAccessToken)
  got=$(curl -s -m 20 -H "E2b-Sandbox-Id: $sid" -H "X-Access-Token: $tok" "$E2B_SANDBOX_URL/files?path=/dev/zero" | head -c 50000000 | wc -c)
  assert_eq 50000000 "$got" "the stream's first 50 MB"
  sleep 1
  rss1=$(awk '/VmRSS/{print $2}' "/proc/$SERVER_PID/status")
  sleep 2
  rss2=$(awk '/VmRSS/{print $2}' "/proc/$SERVER_PID/status")
  curl -sf -X DELETE -H "X-API-KEY: $E2B_API_KEY" "$E2B_API_URL/sandboxes/$sid" || fail "kill failed"
  [ "$(awk '/VmHWM/{print $2}' "/proc/$SERVER_PID/status")" -lt 200000 ] || fail "the server held the stream: $(grep VmHWM "/proc/$SERVER_PID/status")"
  [ "$rss2" -le $((rss1 + 20000)) ] || fail "the server went on reading after the client left: $rss1 -> $rss2 KiB"
  e2b_no_leftovers
}
