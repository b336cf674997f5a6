# it: long
# orch serve over real HTTP on loopback, against the real engine.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

test_health_metrics_templates() {
  start_server
  out=$(curl -s "$BASE/health")
  assert_eq "ok" "$(json_get "$out" status)"
  assert_eq "true" "$(json_get "$out" engine.reachable)"
  out=$(curl -s "$BASE/v1/templates")
  assert_contains "$out" '"name":"python"'
  post /v1/run '{"code":"print(1)"}' >/dev/null
  m=$(curl -s "$BASE/metrics")
  assert_contains "$m" 'orch_runs_total{status="ok"} 1'
  assert_contains "$m" 'orch_run_duration_seconds_count 1'
  assert_contains "$m" 'orch_http_requests_total{method="GET",route="/health",code="200"}'
}

test_run_json_fields_and_files() {
  start_server
  r=$(post /v1/run '{"language":"python","code":"import sys; print(open(\"d.txt\").read()); print(sys.stdin.read()); sys.exit(3)","files":[{"name":"d.txt","content":"aGVsbG8=","encoding":"base64"}],"stdin":"in!"}')
  assert_eq "200" "$(status_of "$r")"
  b=$(body_of "$r")
  assert_eq "error" "$(json_get "$b" status)"
  assert_eq "3" "$(json_get "$b" exit_code)"
  assert_eq "$(printf 'hello\nin!')" "$(json_get "$b" stdout)"
}

test_run_out_artifacts_base64() {
  start_server
  r=$(body_of "$(post /v1/run '{"code":"open(\"out/x.bin\",\"wb\").write(bytes([0,1,2,255]))","out":true}')")
  assert_eq "x.bin" "$(json_get "$r" artifacts.0.path)"
  assert_eq "AAEC/w==" "$(json_get "$r" artifacts.0.content_base64)"
}

test_run_timeout_status() {
  start_server
  r=$(body_of "$(post /v1/run '{"code":"import time; time.sleep(30)","timeout":1}')")
  assert_eq "timeout" "$(json_get "$r" status)"
  assert_eq "124" "$(json_get "$r" exit_code)"
}

test_bad_requests_are_json_400() {
  start_server
  r=$(post /v1/run '{bad json')
  assert_eq "400" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" '"code":"bad_input"'
  r=$(post /v1/run '{"code":"print(1)","timeout":"soon"}')
  assert_eq "400" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" "field 'timeout' must be a number"
  r=$(post /v1/run '{"code":42}')
  assert_contains "$(body_of "$r")" "field 'code' must be a string"
  r=$(post /v1/run '[1,2]')
  assert_contains "$(body_of "$r")" "must be a JSON object"
  deep=$(printf '%.0s[' $(seq 5000))
  r=$(post /v1/run "{\"code\":$deep")
  assert_eq "400" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" "nested deeper"
  r=$(post /v1/run '{"code":"print(1)","template":"nope"}')
  assert_eq "404" "$(status_of "$r")"
  r=$(post /v1/run '{"code":"print(1)","network":"bridge"}')
  assert_eq "400" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" "not allowed"
  # Limits are named by their field, with the CLI's bounds: no flag names over HTTP.
  r=$(post /v1/run '{"code":"print(1)","memory":"5m"}')
  assert_eq "400" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" '"memory must be between 6m and 64g"'
  r=$(post /v1/run '{"code":"print(1)","output_limit":"100m"}')
  assert_contains "$(body_of "$r")" '"output_limit must be between 1 byte and 64m"'
  r=$(post /v1/run '{"code":"print(1)","timeout":301}')
  assert_contains "$(body_of "$r")" '"timeout must be at most 300 seconds on this server"'
  r=$(curl -s -w '\n%{http_code}' "$BASE/no/such/route")
  assert_eq "404" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" '"error"'
}

test_body_too_large_is_413() {
  start_server --max-body 4k
  big=$(head -c 10000 /dev/zero | tr '\0' 'a')
  r=$(post /v1/run "{\"code\":\"$big\"}")
  assert_eq "413" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" '"too_large"'
  assert_contains "$(body_of "$r")" "larger than this server accepts (4.0 KiB, orch serve --max-body)"
  # The E2B routes say the same in E2B's error shape (the SDK shows the message).
  r=$(curl -s -w '\n%{http_code}' -H 'E2b-Sandbox-Id: s-000000000000' --data-binary "$big" "$BASE/e2b/files?path=x")
  assert_eq "413" "$(status_of "$r")"
  assert_contains "$(body_of "$r")" '"message":"the request body is larger than this server accepts (4.0 KiB'
  r=$(post /v1/run '{"code":"print(5)"}')
  assert_eq "200" "$(status_of "$r")"
}

test_tokens_auth_tenants_and_reload() {
  scratch
  printf '# team tokens\ntok-alpha-0123456789 alpha max_concurrent=2\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens"
  assert_eq "200" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health")"
  r=$(post /v1/run '{"code":"print(1)"}')
  assert_eq "401" "$(status_of "$r")"
  r=$(post /v1/run '{"code":"print(1)"}' -H 'Authorization: Bearer wrong-token-000000000')
  assert_eq "401" "$(status_of "$r")"
  r=$(post /v1/run '{"code":"print(7)"}' -H 'Authorization: Bearer tok-alpha-0123456789')
  assert_eq "200" "$(status_of "$r")"
  assert_eq "401" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/metrics")"
  printf 'tok-alpha-0123456789 alpha\ntok-beta-01234567890 beta\n' > "$SCRATCH/tokens"
  kill -HUP "$SERVER_PID"
  wait_for 50 grep -q "reloaded 2 tokens" "$SERVER_LOG" || fail "no reload"
  r=$(post /v1/run '{"code":"print(8)"}' -H 'Authorization: Bearer tok-beta-01234567890')
  assert_eq "200" "$(status_of "$r")"
  assert_not_contains "$(cat "$SERVER_LOG")" "tok-alpha"
}

test_concurrency_limit_gives_429() {
  start_server --max-concurrent 1
  post /v1/run '{"code":"import time; time.sleep(3)"}' >/dev/null &
  bg=$!
  sleep 1
  r=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' --data '{"code":"print(1)"}' "$BASE/v1/run")
  assert_contains "$r" "429"
  assert_contains "$r" "Retry-After: 1"
  wait $bg
  r=$(post /v1/run '{"code":"print(2)"}')
  assert_eq "200" "$(status_of "$r")"
}

test_sse_events_in_order() {
  start_server
  out=$(curl -sN -H 'Accept: text/event-stream' --data '{"code":"import sys,time\nprint(\"a\", flush=True)\ntime.sleep(0.3)\nprint(\"b\", file=sys.stderr, flush=True)\ntime.sleep(0.3)\nprint(\"c\")"}' "$BASE/v1/run")
  # Output may come in any number of chunks; the order of stream changes is what must hold.
  events=$(grep '^event:' <<<"$out" | awk '{print $2}' | uniq | tr '\n' ' ')
  assert_eq "start stdout stderr stdout result " "$events"
  last=$(grep '^data:' <<<"$out" | tail -1 | cut -c7-)
  assert_eq "ok" "$(json_get "$last" status)"
  assert_eq "$(printf 'a\nc')" "$(json_get "$last" stdout)"
}

test_compat_execute_and_run() {
  start_server
  r=$(body_of "$(post /execute '{"language":"node","code":"console.log(6*7)","timeout":10}')")
  assert_eq "true" "$(json_get "$r" success)"
  assert_eq "42" "$(json_get "$r" stdout | tr -d '\n')"
  assert_eq "false" "$(json_get "$r" timed_out)"
  r=$(body_of "$(post /run '{"language":"python","code":"import time; time.sleep(5)","timeout":1}')")
  assert_eq "true" "$(json_get "$r" timed_out)"
  assert_eq "false" "$(json_get "$r" success)"
}

test_json_body_declared_as_a_form_is_read_as_json() {
  start_server
  # curl -d without a header declares application/x-www-form-urlencoded: past HTTP libraries' 8 KiB form cap it is read as JSON all the same.
  big=$("$PY" -c 'import json; print(json.dumps({"code": "#" + "x" * 20000 + "\nprint(\"big\")", "language": "python"}))')
  r=$(curl -s -w '\n%{http_code}' -d "$big" "$BASE/execute")
  assert_eq 200 "$(status_of "$r")" "$(body_of "$r" | head -c 300)"
  assert_eq "big" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  r=$(curl -s -w '\n%{http_code}' -d "$big" "$BASE/v1/run")
  assert_eq 200 "$(status_of "$r")" "$(body_of "$r" | head -c 300)"
  # A form body is not read as query parameters: ?path= alone names the file.
  sid=$(json_get "$(body_of "$(post /v1/sessions '{"template":"python","ttl":60}')")" id)
  assert_eq 201 "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d 'path=../../etc/x' "$BASE/v1/sessions/$sid/files?path=a.txt")"
  assert_eq "path=../../etc/x" "$(curl -s "$BASE/v1/sessions/$sid/files?path=a.txt")"
  curl -s -X DELETE "$BASE/v1/sessions/$sid" >/dev/null
}

test_piston_client_round_trip() {
  dir=$(cd "$(dirname "$ORCH")" && pwd)/piston-client
  if [ ! -d "$dir/node_modules/piston-client" ]; then
    mkdir -p "$dir" && (cd "$dir" && npm install --no-audit --no-fund --silent piston-client@1.0.2 >/dev/null 2>&1) ||
      fail "could not install piston-client from npm"
  fi
  start_server
  cat > "$dir/t.mjs" <<'JS'
import piston from "piston-client";
const client = piston({ server: process.argv[2] });
const rts = await client.runtimes();
const py = await client.execute("python", "import sys\nprint(input()[::-1], sys.argv[1:])", { stdin: "abc" });
const js = await client.execute("javascript", "console.log(2 ** 10)");
const bad = await client.execute("python", "raise SystemExit(4)");
const slow = await client.execute("python", "import time\ntime.sleep(5)", { runTimeout: 1000 });
// Piston's own names: "c++" (orch's cpp lists it among its aliases), "gcc" for C.
const cxx = await client.execute("c++", "#include <cstdio>\nint main() { std::puts(\"cxx\"); }");
const c = await client.execute({ language: "gcc", version: "*" }, "#include <stdio.h>\nint main(void) { puts(\"c\"); }");
const cpp = rts.find((r) => r.language === "cpp");
console.log(JSON.stringify({ n: rts.length, py: py.run, js: js.run, bad: bad.run, slow: slow.run, cxx: cxx.run, c: c.run, c_version: c.version,
                             cpp_version: cpp.version, cpp_aliases: cpp.aliases.join(",") }));
JS
  out=$(cd "$dir" && node t.mjs "$BASE")
  assert_eq "cba ['1', '2', '3']" "$(json_get "$out" py.stdout | tr -d '\n')"
  assert_eq "1024" "$(json_get "$out" js.stdout | tr -d '\n')"
  assert_eq "RE" "$(json_get "$out" bad.status)"
  assert_eq "4" "$(json_get "$out" bad.code)"
  assert_eq "TO" "$(json_get "$out" slow.status)"
  assert_eq "SIGKILL" "$(json_get "$out" slow.signal)"
  assert_eq "cxx" "$(json_get "$out" cxx.stdout | tr -d '\n')"
  assert_eq "c" "$(json_get "$out" c.stdout | tr -d '\n')"
  assert_eq "c++,g++" "$(json_get "$out" cpp_aliases)"
  assert_eq "$(docker run --rm orch/cpp:latest g++ -dumpfullversion)" "$(json_get "$out" cpp_version)" "the cpp template's version is g++'s"
  assert_eq "$(docker run --rm orch/cpp:latest gcc -dumpfullversion)" "$(json_get "$out" c_version)"
  # Piston's run_timeout is in milliseconds: its bounds are said in them.
  r=$(curl -s "$BASE/api/v2/execute" -d '{"language":"python","version":"*","files":[{"content":"print(1)"}],"run_timeout":99999999}')
  assert_eq "run_timeout must be above 0 and at most 300000 ms on this server" "$(json_get "$r" message)"
}

test_sigterm_drains_in_flight_run() {
  start_server --drain 20
  local out
  out=$(mktemp /tmp/orch-it-drain.XXXXXX)
  post /v1/run '{"code":"import time; time.sleep(2); print(\"finished\")"}' >"$out" &
  bg=$!
  sleep 0.8
  kill -TERM "$SERVER_PID"
  wait $bg
  wait "$SERVER_PID"
  rc=$?
  r=$(cat "$out"); rm -f "$out"
  assert_eq "0" "$rc" "server exit code"
  assert_eq "200" "$(status_of "$r")"
  assert_eq "finished" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  assert_eq "0" "$(containers_of_pid "$SERVER_PID")"
}

test_drain_grace_cancels_long_runs() {
  start_server --drain 1
  post /v1/run '{"code":"import time; time.sleep(60)","timeout":120}' > /tmp/orch-drain2.$$ &
  bg=$!
  sleep 0.8
  start=$(date +%s)
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID"
  elapsed=$(( $(date +%s) - start ))
  wait $bg
  r=$(cat /tmp/orch-drain2.$$); rm -f /tmp/orch-drain2.$$
  [ "$elapsed" -le 8 ] || fail "drain took ${elapsed}s"
  assert_eq "killed" "$(json_get "$(body_of "$r")" status)"
  assert_eq "0" "$(containers_of_pid "$SERVER_PID")"
}

test_slow_client_does_not_block_others() {
  start_server --read-timeout 2
  port=${BASE##*:}
  # A client that sends half a request line and stalls.
  exec 3<>/dev/tcp/127.0.0.1/$port
  printf 'POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"co' >&3
  r=$(post /v1/run '{"code":"print(3)"}')
  assert_eq "200" "$(status_of "$r")"
  start=$(date +%s)
  timeout 10 cat <&3 >/dev/null
  elapsed=$(( $(date +%s) - start ))
  exec 3>&-
  # read timeout for the body, then at most the same again as keep-alive idle time
  [ "$elapsed" -le 4 ] || fail "slow client held its connection ${elapsed}s"
}

test_200_concurrent_requests() {
  start_server --max-concurrent 6 --tenant-concurrent 6
  seq 200 | xargs -P 40 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
    --data '{"code":"print({})"}' "$BASE/v1/run" > /tmp/orch-codes.$$
  codes=$(sort /tmp/orch-codes.$$ | uniq -c | awk '{print $2}' | tr '\n' ' ')
  ok=$(grep -c '^200$' /tmp/orch-codes.$$)
  rm -f /tmp/orch-codes.$$
  case "$codes" in "200 "|"200 429 ") ;; *) fail "unexpected status codes: $codes";; esac
  [ "$ok" -ge 6 ] || fail "only $ok succeeded"
  assert_eq "ok" "$(json_get "$(curl -s "$BASE/health")" status)"
  sleep 0.5
  assert_eq "0" "$(containers_of_pid "$SERVER_PID")"
}

pool_ready() {  # template count
  [ "$(json_get "$(curl -s "$BASE/health")" "pool.$1.ready")" -ge "$2" ]
}

test_pool_serves_fresh_sandboxes_and_refills() {
  start_server --pool python=1,node=1
  wait_for 300 pool_ready python 1 || fail "pool never filled: $(curl -s "$BASE/health")"
  r1=$(body_of "$(post /v1/run '{"code":"import os; open(\"/tmp/leftover\",\"w\").write(\"x\"); open(\"mine.txt\",\"w\").write(\"y\"); print(os.getpid() > 0)"}')")
  assert_eq "True" "$(json_get "$r1" stdout | tr -d '\n')"
  wait_for 300 pool_ready python 1 || fail "pool did not refill"
  # Nor from the runner's dry runs: their files are gone, the program starts in /workspace.
  r2=$(body_of "$(post /v1/run '{"code":"import os; print(os.path.exists(\"/tmp/leftover\"), os.path.exists(\"mine.txt\"), os.path.exists(\"/tmp/.orch-warm\"), os.getcwd(), \"ORCH_WARM\" in os.environ)"}')")
  assert_eq "False False False /workspace False" "$(json_get "$r2" stdout | tr -d '\n')" "state carried from one run to the next"
  wait_for 300 pool_ready node 1 || fail "node pool never filled"
  r3=$(body_of "$(post /v1/run '{"language":"node","code":"console.log(process.argv.length, require.main === module, Object.keys(require.cache).join(), process.cwd(), require(\"fs\").existsSync(\"/tmp/.orch-warm\"), \"ORCH_WARM\" in process.env); process.exitCode = 3"}')")
  assert_eq "2 true /workspace/main.js /workspace false false" "$(json_get "$r3" stdout | tr -d '\n')"
  assert_eq "3" "$(json_get "$r3" exit_code)"
  m=$(curl -s "$BASE/metrics")
  hits=$(grep 'orch_pool_requests_total{result="hit"}' <<<"$m" | awk '{print $2}')
  [ "$hits" -ge 3 ] || fail "expected 3 pool hits, metrics say $hits"
  runs=$(curl -s "$BASE/v1/runs")
  assert_eq "true" "$(json_get "$runs" runs.0.pooled)"
}

test_pool_quiet_hit_refills_after_its_run() {
  start_server --pool python=2
  wait_for 300 pool_ready python 2 || fail "pool never filled: $(curl -s "$BASE/health")"
  long=$(json_get "$(body_of "$(post /v1/run '{"code":"import time; time.sleep(30)","timeout":60,"async":true}')")" run_id)
  sleep 0.5
  h=$(curl -s "$BASE/health")
  assert_eq "1 0" "$(json_get "$h" pool.python.ready) $(json_get "$h" pool.python.preparing)" "a quiet hit holds its refill while it runs: $h"
  # Not for long: the refill comes within its 2 s limit although the run goes on.
  wait_for 150 pool_ready python 2 || fail "a long run kept the pool short: $(curl -s "$BASE/health")"
  assert_eq running "$(json_get "$(curl -s "$BASE/v1/runs/$long")" state)"
  # A hit that takes the last one ready refills at once.
  wait_for 100 pool_ready python 2 || fail "pool did not refill"
  a=$(json_get "$(body_of "$(post /v1/run '{"code":"import time; time.sleep(30)","timeout":60,"async":true}')")" run_id)
  b=$(json_get "$(body_of "$(post /v1/run '{"code":"import time; time.sleep(30)","timeout":60,"async":true}')")" run_id)
  refilling() { h=$(curl -s "$BASE/health"); [ $(($(json_get "$h" pool.python.ready) + $(json_get "$h" pool.python.preparing))) -ge 1 ]; }
  wait_for 5 refilling || fail "emptied, the pool did not start refilling: $(curl -s "$BASE/health")"
  for id in "$long" "$a" "$b"; do
    assert_eq running "$(json_get "$(curl -s "$BASE/v1/runs/$id")" state)"
    curl -s -o /dev/null -X DELETE "$BASE/v1/runs/$id"
  done
}

test_pool_runs_keep_run_semantics() {
  start_server --pool python=1
  wait_for 300 pool_ready python 1 || fail "pool never filled"
  r=$(body_of "$(post /v1/run '{"code":"import sys\nprint(sys.stdin.read().upper(), sys.argv[1:])\ndef f(): raise KeyError(\"k\")\nf()","stdin":"abc","args":["x"]}')")
  assert_eq "ABC ['x']" "$(json_get "$r" stdout | tr -d '\n')"
  assert_eq "1" "$(json_get "$r" exit_code)"
  err=$(json_get "$r" stderr)
  assert_contains "$err" 'File "/workspace/main.py", line 4'  # as python3 main.py prints it
  assert_contains "$err" "KeyError: 'k'"
  assert_not_contains "$err" "runpy"
  wait_for 300 pool_ready python 1 || fail "pool did not refill"
  r=$(body_of "$(post /v1/run '{"code":"import time; time.sleep(10)","timeout":1}')")
  assert_eq "timeout" "$(json_get "$r" status)"
  wait_for 300 pool_ready python 1 || fail "pool did not refill"
  r=$(body_of "$(post /v1/run '{"code":"x = bytearray(400 * 1024 * 1024)"}')")
  assert_eq "oom" "$(json_get "$r" status)"
}

test_pool_python_output_comes_over_its_own_sockets() {
  # A pooled python runner's stdout and stderr bypass the engine: two unix sockets in a read-only
  # mount, whose host listeners are gone before the sandbox is offered.
  start_server --pool python=2
  wait_for 300 pool_ready python 2 || fail "pool never filled"
  if [ "$(id -u)" = 0 ]; then
    # This server's own listeners only: suites running beside this one have pools of their own.
    assert_eq "" "$(ss -xlpH 2>/dev/null | grep /run/orch | grep "pid=$SERVER_PID,")" "listeners left on the host while the pool waits"
  fi
  r=$(body_of "$(post /v1/run '{"code":"import os, stat, subprocess, sys\nprint([stat.S_ISSOCK(os.fstat(fd).st_mode) for fd in (1, 2)], os.listdir(\"/.orch-io\"))\ntry:\n    open(\"/.orch-io/x\", \"w\")\n    print(\"written\")\nexcept OSError:\n    print(\"refused\")\nprint(\"to stderr\", file=sys.stderr)\nsubprocess.run([\"sh\", \"-c\", \"echo child; echo child-err >&2\"])\nprint(sys.stdin.read())","stdin":"from stdin"}')")
  assert_eq "[True, True] []|refused|child|from stdin|" "$(json_get "$r" stdout | paste -sd'|')"
  assert_eq "to stderr|child-err|" "$(json_get "$r" stderr | paste -sd"|")"
  # A process left holding the sockets does not hold the run open.
  wait_for 300 pool_ready python 1 || fail "pool did not refill"
  r=$(body_of "$(post /v1/run '{"code":"import subprocess\nsubprocess.Popen([\"sleep\", \"300\"])\nprint(\"started\")"}')")
  assert_eq "started" "$(json_get "$r" stdout)"
  [ "$(json_get "$r" duration_ms)" -lt 3000 ] || fail "the run waited for its child: $(json_get "$r" duration_ms) ms"
  hits=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
  assert_eq 2 "$hits" "control: both runs came from the pool"
}

test_pool_node_and_bash_output_comes_over_their_own_sockets() {
  # The pooled node runner is started by `orch agent direct`, which hands it orch's two sockets as
  # stdout and stderr, and the shell runner is `orch agent shell` on them: a run keeps its semantics (stdin, both streams, children, exit
  # code, output limit, timeout) without the engine's copy.
  start_server --pool node=1,bash=1
  wait_for 300 pool_ready node 1 || fail "node pool never filled: $(curl -s "$BASE/health")"
  r=$(body_of "$(post /v1/run '{"language":"node","code":"const fs = require(\"fs\");\nconsole.log([1, 2].map((fd) => fs.fstatSync(fd).isSocket()).join(), fs.readdirSync(\"/.orch-io\").length, process.env.ORCH_DIRECT_IO);\nconsole.error(\"to stderr\");\nrequire(\"child_process\").spawnSync(\"sh\", [\"-c\", \"echo child; echo child-err >&2\"], {stdio: \"inherit\"});\nconsole.log(fs.readFileSync(0, \"utf8\"));\nprocess.exitCode = 4","stdin":"from stdin"}')")
  assert_eq "true,true 0 undefined|child|from stdin|" "$(json_get "$r" stdout | paste -sd'|')"
  assert_eq "to stderr|child-err|" "$(json_get "$r" stderr | paste -sd'|')"
  assert_eq "4" "$(json_get "$r" exit_code)"
  wait_for 300 pool_ready node 1 || fail "node pool did not refill"
  r=$(body_of "$(post /v1/run '{"language":"node","code":"process.stdout.write(\"x\".repeat(200000)); console.error(\"e\".repeat(10))","output_limit":1000}')")
  assert_eq "1000 true eeeeeeeeee false 0" "$(json_get "$r" stdout | tr -d '\n' | wc -c) $(json_get "$r" stdout_truncated) $(json_get "$r" stderr | tr -d '\n') $(json_get "$r" stderr_truncated) $(json_get "$r" exit_code)"
  wait_for 300 pool_ready bash 1 || fail "bash pool never filled"
  r=$(body_of "$(post /v1/run '{"language":"bash","code":"[ -S /proc/self/fd/1 ] && [ -S /proc/self/fd/2 ] && echo sockets\nls -A /.orch-io | wc -l\necho \"${ORCH_DIRECT_IO-unset}\"\nread -r line; echo \"$line\"\necho to stderr >&2\nexit 3","stdin":"from stdin\n"}')")
  assert_eq "sockets|0|unset|from stdin|" "$(json_get "$r" stdout | paste -sd'|')"
  assert_eq "to stderr" "$(json_get "$r" stderr | tr -d '\n')"
  assert_eq "3" "$(json_get "$r" exit_code)"
  wait_for 300 pool_ready bash 1 || fail "bash pool did not refill"
  # Arguments and environment as given, nothing of the runner's own left in the workspace, a signal's exit code.
  r=$(body_of "$(post /v1/run '{"language":"bash","code":"echo \"$#:$1:$GREETING\"; ls -A; kill -TERM $$","args":["a b"],"env":{"GREETING":"hi there"}}')")
  assert_eq "1:a b:hi there|main.sh|" "$(json_get "$r" stdout | paste -sd'|')" "$r"
  assert_eq "143" "$(json_get "$r" exit_code)" "$r"
  wait_for 300 pool_ready bash 1 || fail "bash pool did not refill"
  r=$(body_of "$(post /v1/run '{"language":"bash","code":"echo started; sleep 30","timeout":1}')")
  assert_eq "timeout started" "$(json_get "$r" status) $(json_get "$r" stdout | tr -d '\n')"
  hits=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
  assert_eq 5 "$hits" "control: every run came from the pool"
}

test_pool_bash_started_ahead_runs_as_bash_main_sh_would() {
  # The pooled shell runner starts `bash main.sh` before the request, waiting in its startup on
  # $BASH_ENV for the arguments and environment: what the script sees must be what `orch run`'s
  # bash shows it. Variables bash treats as its own (SHELLOPTS here) get a bash started per run.
  scratch
  start_server --pool bash=1
  local script='echo "0=$0 _=$_ n=$# args=$(printf "[%s]" "$@") src=${BASH_SOURCE[*]} line=$LINENO secs=$((SECONDS < 2 ? 0 : SECONDS)) env=${BASH_ENV-unset} g=$GREETING"
f() { echo "f: $LINENO ${BASH_LINENO[*]} ${FUNCNAME[*]}"; }
f
sh -c '"'"'echo "child: $GREETING ${BASH_ENV-unset}"'"'"'
nosuchcommand
echo "shlvl=$SHLVL pwd=$PWD" >&2
exit 7'
  local args=("a b" "it's" '$HOME' $'line\nbreak' "ünï" "")
  cold_out=$("$ORCH" run -l bash -e 'GREETING=hi  there' -c "$script" -- "${args[@]}" 2>"$SCRATCH/err"); cold_rc=$?
  cold_err=$(cat "$SCRATCH/err")
  assert_eq 7 "$cold_rc" "control: the cold run's exit code"
  assert_contains "$cold_out" "args=[a b][it's][\$HOME][line"
  for case in plain xtrace; do
    wait_for 300 pool_ready bash 1 || fail "bash pool never filled: $(curl -s "$BASE/health")"
    # Long enough that a bash started ahead shows it: $SECONDS counts whole seconds of the clock, so a
    # fresh one may read 1 a moment after it started (both runs print 0 below 2).
    sleep 2.2
    env='{"GREETING":"hi  there"}'
    [ "$case" = xtrace ] && env='{"GREETING":"hi  there","SHELLOPTS":"xtrace"}'
    body=$("$PY" -c 'import json, sys; print(json.dumps({"language": "bash", "code": sys.argv[1] + "\nps -o etimes= -p $$ >&2", "args": sys.argv[3:], "env": json.loads(sys.argv[2])}))' \
      "${script%exit 7}" "$env" "${args[@]}")
    r=$(body_of "$(post /v1/run "$body")")
    err=$(json_get "$r" stderr)
    age=$(tail -n1 <<<"$err" | tr -d ' ')
    if [ "$case" = plain ]; then
      assert_eq "$cold_out" "$(json_get "$r" stdout)" "stdout as bash main.sh gives it"
      assert_eq "$cold_err" "$(sed '$d' <<<"$err")" "stderr as bash main.sh gives it"
      [ "$age" -ge 1 ] || fail "the pooled bash did not start ahead of its request (age $age s)"
    else
      assert_contains "$err" "+ echo 'shlvl=1 pwd=/workspace'"  # xtrace from the start, as bash takes SHELLOPTS from its environment
      assert_eq 0 "$age" "a bash started for a request with SHELLOPTS"
    fi
    [ "$(json_get "$r" exit_code)" = 0 ] || fail "$r"
  done
  hits=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
  assert_eq 2 "$hits" "control: both runs came from the pool"
}

test_pool_used_sandboxes_stop_by_themselves() {
  # A runner that got to its end marks waits until orch closes its direct socket, then exits: the
  # engine removes a container that stopped by itself (exit 0) instead of killing one (137), which
  # costs a runc process more per pooled run. A run that timed out is killed as before.
  start_server --pool python=1 --pool node=1,bash=1  # --pool repeats
  for t in python node bash; do wait_for 300 pool_ready "$t" 1 || fail "$t pool never filled: $(curl -s "$BASE/health")"; done
  since=$(date +%s)
  post /v1/run '{"code":"print(1)"}' >/dev/null
  post /v1/run '{"language":"node","code":"console.log(1)"}' >/dev/null
  post /v1/run '{"language":"bash","code":"echo 1; exit 5"}' >/dev/null
  wait_for 300 pool_ready python 1 || fail "pool did not refill"
  post /v1/run '{"code":"import time; time.sleep(30)","timeout":1}' >/dev/null
  sleep 3  # the removals, in the background
  ev=$(docker events --since "$since" --until "$(date +%s)" --filter type=container --filter label=orch.managed=1 \
    --format '{{.Action}} {{.Actor.Attributes.exitCode}} {{index .Actor.Attributes "orch.pid"}}' | grep -E ":$SERVER_PID\$")
  assert_eq "4" "$(grep -c '^die ' <<<"$ev")" "four used sandboxes stopped: $ev"
  assert_eq "3" "$(grep -cE '^die (0|5) ' <<<"$ev")" "the runs that ended stopped by themselves: $ev"
  assert_eq "1" "$(grep -c '^kill ' <<<"$ev")" "only the run that timed out was killed: $ev"
}

run_body() {  # language code-file [extra JSON fields]: a /v1/run body with files of every kind
  "$PY" -c '
import json, sys
lang, code, extra = sys.argv[1], open(sys.argv[2]).read(), json.loads(sys.argv[3] if len(sys.argv) > 3 else "{}")
files = [{"name": "a/b/c.txt", "content": "deep"}, {"name": "d" + "x" * 120 + "/f.txt", "content": "long"},
         {"name": "z.bin", "content": "AAEC/w==", "encoding": "base64"}, {"name": "big.txt", "content": "0123456789" * 10000 + "end"}]
print(json.dumps(dict({"language": lang, "code": code, "files": files}, **extra)))' "$@"
}

test_pool_runners_unpack_files_like_tar() {
  # The warm runners read orch's archive themselves: nested and long (GNU long-name) paths, binary
  # bytes and modes must come out as tar gives them to one-shot runs, with nothing of .orch left. The
  # request is larger than the runners' first read of it (64 KiB): the rest is read to its end.
  scratch
  start_server --pool python=1,node=1
  cat > "$SCRATCH/t.py" <<'EOF'
import os, stat
for p in ["a/b/c.txt", "d" + "x" * 120 + "/f.txt", "z.bin"]:
    print(open(p, "rb").read(), oct(stat.S_IMODE(os.stat(p).st_mode)))
print(oct(stat.S_IMODE(os.stat("a/b").st_mode)), os.path.exists(".orch"), os.getcwd())
big = open("big.txt", "rb").read()
print(len(big), sum(big) % 65521, big[-3:])
EOF
  cat > "$SCRATCH/t.js" <<'EOF'
const fs = require("fs");
for (const p of ["a/b/c.txt", "d" + "x".repeat(120) + "/f.txt", "z.bin"])
  console.log(JSON.stringify([...fs.readFileSync(p)]), (fs.statSync(p).mode & 0o777).toString(8));
console.log((fs.statSync("a/b").mode & 0o777).toString(8), fs.existsSync(".orch"), process.cwd());
const big = fs.readFileSync("big.txt");
console.log(big.length, big.reduce((a, b) => a + b, 0) % 65521, big.subarray(-3).toString());
EOF
  wait_for 300 pool_ready python 1 || fail "pool never filled"
  wait_for 300 pool_ready node 1 || fail "node pool never filled"
  warm_py=$(body_of "$(post /v1/run "$(run_body python "$SCRATCH/t.py")")")
  warm_js=$(body_of "$(post /v1/run "$(run_body node "$SCRATCH/t.js")")")
  # The same runs without the pool (a memory limit of their own keeps them off it).
  cold_py=$(body_of "$(post /v1/run "$(run_body python "$SCRATCH/t.py" '{"memory":"300m"}')")")
  cold_js=$(body_of "$(post /v1/run "$(run_body node "$SCRATCH/t.js" '{"memory":"300m"}')")")
  runs=$(curl -s "$BASE/v1/runs")
  assert_eq "true true false false" "$(for i in 3 2 1 0; do json_get "$runs" "runs.$i.pooled"; done | tr '\n' ' ' | sed 's/ $//')"
  assert_eq "b'deep' 0o644
b'long' 0o644
b'\\x00\\x01\\x02\\xff' 0o644
0o755 False /workspace
100003 $(( (525 * 10000 + 311) % 65521 )) b'end'" "$(json_get "$warm_py" stdout)"
  assert_eq "$(json_get "$cold_py" stdout)" "$(json_get "$warm_py" stdout)"
  assert_eq "[100,101,101,112] 644
[108,111,110,103] 644
[0,1,2,255] 644
755 false /workspace
100003 $(( (525 * 10000 + 311) % 65521 )) end" "$(json_get "$warm_js" stdout)"
  assert_eq "$(json_get "$cold_js" stdout)" "$(json_get "$warm_js" stdout)"
}

test_pool_is_removed_on_shutdown() {
  start_server --pool python=2
  wait_for 300 pool_ready python 2 || fail "pool never filled"
  [ "$(containers_of_pid "$SERVER_PID")" -ge 2 ] || fail "pool containers not visible"
  pid=$SERVER_PID
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID"
  assert_eq "0" "$(containers_of_pid "$pid")"
}

# A pooled session that died before anyone claimed it (its container killed) is passed over: the
# create gets a session made afresh, and nothing of the dead one stays behind.
test_session_pool_passes_over_a_pooled_session_that_died() {
  start_server --session-pool python=1
  wait_eval 300 '[ "$(json_get "$(curl -s "$BASE/health")" session_pool.python.ready)" -ge 1 ]' ||
    fail "session pool never filled: $(curl -s "$BASE/health")"
  local pooled r id
  pooled=$(docker ps -q --filter label=orch.kind=session --filter "label=orch.pid=$(hostname):$SERVER_PID")
  [ "$(wc -w <<<"$pooled")" = 1 ] || fail "expected one pooled session container, found: $pooled"
  docker kill "$pooled" >/dev/null || fail "docker kill $pooled"
  wait_eval 100 '[ "$(docker inspect -f "{{.State.Running}}" "$pooled" 2>/dev/null)" != true ]' || fail "the pooled session did not stop"
  r=$(post /v1/sessions '{"template":"python"}')
  assert_eq 201 "$(status_of "$r")" "create: $r"
  id=$(json_get "$(body_of "$r")" id)
  assert_eq 2 "$(json_get "$(body_of "$(post "/v1/sessions/$id/exec" '{"code":"print(1 + 1)"}')")" stdout | tr -d '\n')"
  wait_eval 100 '[ -z "$(docker ps -aq --filter "id=$pooled")" ]' || fail "the pooled session that died was left behind"
  curl -s -X DELETE "$BASE/v1/sessions/$id" >/dev/null
}

test_pool_misses_wait_for_the_sandbox_being_prepared() {
  # With nothing ready, runs take the pool's sandboxes as they come up instead of making their own
  # beside them: every run is a miss, and every run is pooled.
  scratch
  start_server --pool python=0-4
  pids=()
  for i in 1 2 3; do post /v1/run "{\"code\":\"print($i)\"}" >"$SCRATCH/out.$i" & pids+=($!); done
  wait "${pids[@]}"
  for i in 1 2 3; do assert_eq "$i" "$(json_get "$(body_of "$(cat "$SCRATCH/out.$i")")" stdout)"; done
  runs=$(curl -s "$BASE/v1/runs")
  assert_eq "true true true" "$(for i in 0 1 2; do json_get "$runs" "runs.$i.pooled"; done | paste -sd' ')"
  m=$(curl -s "$BASE/metrics")
  assert_contains "$m" 'orch_pool_requests_total{result="miss"} 3'
}

pool_at_floor() {  # template: one ready, and the target back at auto's floor of one
  local h
  h=$(curl -s "$BASE/health")
  [ "$(json_get "$h" "pool.$1.ready")" = 1 ] && [ "$(json_get "$h" "pool.$1.target")" = 1 ]
}

test_pool_auto_grows_with_traffic_and_shrinks_when_it_stops() {
  start_server --pool python=auto --pool-idle 1
  wait_for 300 pool_ready python 1 || fail "pool never filled"
  for _ in $(seq 8); do post /v1/run '{"code":"pass"}' >/dev/null; done
  h=$(curl -s "$BASE/health")
  [ "$(json_get "$h" pool.python.target)" -ge 2 ] || fail "the target did not follow traffic: $h"
  wait_for 300 pool_ready python 2 || fail "the pool did not grow: $(curl -s "$BASE/health")"
  wait_for 600 pool_at_floor python || fail "the pool did not shrink: $(curl -s "$BASE/health")"
}

test_pool_stays_within_its_memory_budget() {
  # python's template limit is 256m: a 512m budget holds two of the four asked for.
  start_server --pool python=4 --pool-memory 512m
  wait_for 300 pool_ready python 2 || fail "pool never filled: $(curl -s "$BASE/health")"
  sleep 2
  h=$(curl -s "$BASE/health")
  assert_eq "2 0" "$(json_get "$h" pool.python.ready) $(json_get "$h" pool.python.preparing)" "$h"
  assert_eq "1" "$(json_get "$(body_of "$(post /v1/run '{"code":"print(1)"}')")" stdout)"
}

test_cli_through_server_with_orch_host() {
  scratch
  printf 'tok-cli-000000000000 cli\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens" --pool python=1
  export ORCH_HOST=$BASE
  out=$("$ORCH" run -c 'print(1)' 2>&1)
  assert_eq "125" "$?" "no token"
  assert_contains "$out" "refused the token"
  export ORCH_TOKEN=tok-cli-000000000000
  out=$(printf 'abc' | "$ORCH" run -e K=v -c 'import os,sys; print(sys.stdin.read(), os.environ["K"]); sys.exit(6)')
  assert_eq "6" "$?"
  assert_eq "abc v" "$out"
  echo 'data' > "$SCRATCH/in.txt"
  "$ORCH" run -f "$SCRATCH/in.txt" --out "$SCRATCH/res" -c 'open("out/copy.txt","w").write(open("in.txt").read().upper())' || fail "run with files failed"
  assert_eq "DATA" "$(cat "$SCRATCH/res/copy.txt")"
  out=$("$ORCH" run --json --timeout 1 -c 'import time; time.sleep(5)')
  assert_eq "124" "$?"
  assert_eq "timeout" "$(json_get "$out" status)"
  runs=$(curl -s -H "Authorization: Bearer $ORCH_TOKEN" "$BASE/v1/runs")
  assert_eq "cli" "$(json_get "$runs" runs.0.tenant)"
}
