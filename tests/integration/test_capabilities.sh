# it: long
# What the compatibility routes stand on, in orch's own API and CLI: runs by id, services and
# stats over HTTP, figures from one-shot runs, package caching, health with a reason.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

test_async_run_logs_follow_and_cancel() {
  start_server
  r=$(post /v1/run '{"language":"bash","code":"for i in 1 2 3; do echo tick $i; sleep 0.3; done; sleep 60","timeout":120,"async":true}')
  assert_eq 202 "$(status_of "$r")" "$(body_of "$r")"
  id=$(json_get "$(body_of "$r")" run_id)
  assert_eq "running" "$(json_get "$(curl -s "$BASE/v1/runs/$id")" state)"
  # Following the logs replays what was stored, then streams the rest as it comes.
  curl -sN -m 3 -H 'Accept: text/event-stream' "$BASE/v1/runs/$id/logs" >"/tmp/orch-follow.$$" 2>/dev/null
  assert_eq 3 "$(grep -c 'tick' "/tmp/orch-follow.$$")" "$(cat "/tmp/orch-follow.$$")"
  rm -f "/tmp/orch-follow.$$"
  assert_contains "$(json_get "$(curl -s "$BASE/v1/runs/$id/logs")" stdout)" "tick 3"
  assert_eq 204 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/v1/runs/$id")" "cancelled"
  r=$(curl -s "$BASE/v1/runs/$id")
  assert_eq "done" "$(json_get "$r" state)" "$r"
  assert_eq "killed" "$(json_get "$r" result.status)"
  assert_eq 0 "$(containers_of_pid "$SERVER_PID")" "the cancelled run's sandbox is removed"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/v1/runs/$id")" "no longer in flight"
  # A synchronous run is findable by id while it runs, and its output so far.
  r=$(body_of "$(post /v1/run '{"code":"print(6*7)"}')")
  assert_eq "done" "$(json_get "$(curl -s "$BASE/v1/runs/$(json_get "$r" run_id)")" state)"
}

test_json_client_that_disconnects_cancels_its_run() {
  start_server
  curl -s -m 2 -H 'Content-Type: application/json' --data '{"language":"bash","code":"sleep 60","timeout":120}' "$BASE/v1/run" >/dev/null
  gone() { [ "$(containers_of_pid "$SERVER_PID")" = 0 ]; }
  wait_for 50 gone || fail "the run outlived its client"
  assert_eq "killed" "$(json_get "$(curl -s "$BASE/v1/runs")" runs.0.status)"
}

test_piston_client_that_disconnects_cancels_its_run() {
  # Piston's route runs as orch's own: findable under /v1/runs, killed when its client leaves.
  start_server
  curl -s -m 2 -H 'Content-Type: application/json' \
    --data '{"language":"bash","version":"*","files":[{"content":"sleep 60"}],"run_timeout":120000}' "$BASE/api/v2/execute" >/dev/null
  gone() { [ "$(containers_of_pid "$SERVER_PID")" = 0 ]; }
  wait_for 50 gone || fail "the run outlived its client"
  runs=$(curl -s "$BASE/v1/runs")
  assert_eq "killed bash" "$(json_get "$runs" runs.0.status) $(json_get "$runs" runs.0.template)" "$runs"
}

test_services_over_http_with_name_mapping() {
  scratch
  docker build -q -t orch-it/echo-service:latest - >/dev/null <<'EOF' || fail "could not build the service image"
FROM orch/python:latest
CMD ["python3", "-m", "http.server", "8080", "--directory", "/usr"]
EOF
  start_seed_server --allow-image 'orch-it/*'
  id=$(json_get "$(body_of "$(post /v1/sessions '{"template":"python","ttl":120,"network":"private"}')")" id)
  r=$(post "/v1/sessions/$id/services" '{"image":"alpine:3","name":"db"}')
  assert_eq 403 "$(status_of "$r")" "an image off the allowlist"
  r=$(post "/v1/sessions/$id/services" '{"image":"orch-it/echo-service:latest","name":"research_cache","port":8080,"health":"/"}')
  assert_eq 201 "$(status_of "$r")" "$(body_of "$r")"
  assert_eq "research-cache" "$(json_get "$(body_of "$r")" name)"
  assert_eq "research_cache" "$(json_get "$(body_of "$r")" requested_name)"
  assert_contains "$(json_get "$(body_of "$r")" note)" "research-cache"
  assert_eq "research-cache" "$(json_get "$(curl -s "$BASE/v1/sessions/$id/services")" services.0.name)"
  # Stats move when a sandbox allocates memory.
  before=$(json_get "$(curl -s "$BASE/v1/sessions/$id/stats")" sandboxes.0.memory.bytes)
  post "/v1/sessions/$id/exec" '{"code":"blob = bytearray(120 * 1024 * 1024)\nfor i in range(0, len(blob), 4096): blob[i] = 1"}' >/dev/null
  s=$(curl -s "$BASE/v1/sessions/$id/stats")
  after=$(json_get "$s" sandboxes.0.memory.bytes)
  [ $((after - before)) -gt $((100 * 1024 * 1024)) ] || fail "memory did not move: $before -> $after ($s)"
  assert_eq 2 "$(printf '%s' "$s" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["sandboxes"]))')" "the session and its service"
  [ "$(json_get "$s" sandboxes.0.pids.current)" -ge 1 ] || fail "pids: $s"
  cli=$("$ORCH" session stats "$id" --json)
  [ "$(json_get "$cli" sandboxes.0.memory.bytes)" -gt $((100 * 1024 * 1024)) ] || fail "orch session stats: $cli"
  assert_contains "$("$ORCH" session stats "$id")" "MEMORY"
  assert_contains "$(json_get "$(curl -s "$BASE/v1/stats")" sandboxes)" "$id"
  assert_eq 204 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/v1/sessions/$id/services/research_cache")"
  assert_eq "[]" "$(json_get "$(curl -s "$BASE/v1/sessions/$id/services")" services)"
  curl -s -X DELETE "$BASE/v1/sessions/$id" >/dev/null
}

test_one_shot_runs_return_figures() {
  scratch
  code='import matplotlib.pyplot as plt
plt.plot([1, 3, 2])
plt.show()
plt.figure(); plt.bar([1, 2], [3, 4])'
  out=$("$ORCH" run -t python-data --json -c "$code")
  assert_eq "figure-1.png image/png figure-2.png" "$(printf '%s' "$out" | "$PY" -c 'import json,sys
a = json.load(sys.stdin)["artifacts"]; print(a[0]["path"], a[0]["mime"], a[1]["path"])')" "shown and left-open figures: $out"
  "$ORCH" run -t python-data --out "$SCRATCH/plots" -c "$code" >/dev/null || fail "orch run --out"
  assert_eq "PNG" "$(head -c4 "$SCRATCH/plots/figure-1.png" | tail -c3)"
  assert_contains "$("$ORCH" run -t python-data -c "$code" 2>&1)" "2 figure(s) not saved"
  # Without matplotlib in the code nothing changes (and the run stays eligible for the pool).
  assert_eq "[]" "$(json_get "$("$ORCH" run -t python-data --json -c 'print(1)')" artifacts)"
  start_server
  r=$(body_of "$(post /v1/run "{\"template\":\"python-data\",\"code\":$(printf '%s' "$code" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}")")
  assert_eq "image/png" "$(json_get "$r" artifacts.0.mime)"
  assert_eq "89504e47" "$(json_get "$r" artifacts.0.content_base64 | base64 -d | head -c4 | od -An -tx1 | tr -d ' \n')"
}

test_packages_build_once_and_prune() {
  scratch
  out=$("$ORCH" run --with npm:left-pad --with apt:jq -l node -c "console.log(require('left-pad')('x', 3) + '|'); require('child_process').execSync('jq -n 1', {stdio: 'inherit'})" 2>"$SCRATCH/err")
  assert_eq "  x|
1" "$out" "$(cat "$SCRATCH/err")"
  assert_contains "$(cat "$SCRATCH/err")" "building orch/with:"
  # Reused, and the sandbox's own network stays off.
  out=$("$ORCH" run --with apt:jq --with npm:left-pad -l node -c "require('net').connect(53, '1.1.1.1').on('error', e => console.log('offline', e.code))" 2>"$SCRATCH/err2")
  assert_contains "$out" "offline"
  assert_not_contains "$(cat "$SCRATCH/err2")" "building"
  "$ORCH" run --with npm:orch-no-such-package-zz9 -l node -c '1' 2>"$SCRATCH/err3"
  assert_eq 2 $? "an uninstallable package exits 2"
  assert_contains "$(cat "$SCRATCH/err3")" "npm:orch-no-such-package-zz9"
  "$ORCH" run --with 'npm:left-pad;rm' -c '1' 2>/dev/null
  assert_eq 125 $? "a bad name is refused before anything is built"
  # Over HTTP: the same images, a registered template, a 400 naming the package.
  export ORCH_TEMPLATES=$SCRATCH/templates
  start_server
  r=$(post /v1/run '{"language":"node","with":["npm:left-pad","apt:jq"],"code":"console.log(require(\"left-pad\")(\"y\", 2))"}')
  assert_eq " y" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')" "$(body_of "$r")"
  r=$(post /v1/run '{"language":"node","with":["npm:orch-no-such-package-zz9"],"code":"1"}')
  assert_eq 400 "$(status_of "$r")"
  assert_contains "$(json_get "$(body_of "$r")" error.message)" "npm:orch-no-such-package-zz9"
  r=$(post /v1/templates '{"name":"node-pad","base":"node","packages":["npm:left-pad","apt:jq"],"description":"node with left-pad"}')
  assert_eq 201 "$(status_of "$r")" "$(body_of "$r")"
  assert_eq "orch/node-pad:latest" "$(json_get "$(body_of "$r")" image)"
  assert_eq 409 "$(status_of "$(post /v1/templates '{"name":"node-pad","base":"node","packages":["npm:left-pad"]}')")"
  [ -f "$SCRATCH/templates/node-pad/template.json" ] || fail "the template was not kept"
  # The same registration as server-sent events: the build's lines, then the template.
  sse=$(curl -sN -H 'Accept: text/event-stream' -H 'Content-Type: application/json' \
    -d '{"name":"node-pad-sse","base":"node","packages":["npm:left-pad","apt:jq"]}' "$BASE/v1/templates")
  assert_contains "$sse" 'data: {"line":"building template node-pad-sse' "$sse"
  assert_eq "result" "$(grep '^event: ' <<<"$sse" | tail -n1 | cut -d' ' -f2)" "the last event"
  assert_eq 0 "$(grep -c '^event: error' <<<"$sse")" "$sse"
  assert_contains "$(grep -A1 '^event: result' <<<"$sse")" '"image":"orch/node-pad-sse:latest"'
  [ -f "$SCRATCH/templates/node-pad-sse/template.json" ] || fail "the streamed registration was not kept"
  docker rmi -f orch/node-pad-sse:latest >/dev/null
  assert_eq "  z" "$(json_get "$(body_of "$(post /v1/run '{"template":"node-pad","code":"console.log(require(\"left-pad\")(\"z\", 3))"}')")" stdout | tr -d '\n')"
  assert_eq "  z" "$("$ORCH" run -t node-pad -c "console.log(require('left-pad')('z', 3))")" "the CLI knows the registered template"
  pruned=$("$ORCH" templates prune --json)
  assert_contains "$pruned" "orch/with:"
  assert_eq 0 "$(docker images -q --filter label=orch.derived=1 | wc -l)"
  docker rmi -f orch/node-pad:latest >/dev/null
}

test_health_says_degraded_with_a_reason() {
  scratch
  SERVER_LOG=$(mktemp /tmp/orch-serve.XXXXXX)
  DOCKER_HOST=unix://$SCRATCH/no-engine.sock "$ORCH" serve --listen 127.0.0.1:0 >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  trap 'stop_server' EXIT
  wait_for 100 grep -q 'listening on http://' "$SERVER_LOG" || { cat "$SERVER_LOG"; fail "server did not start"; }
  BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$SERVER_LOG" | head -n1)
  r=$(curl -s -w '\n%{http_code}' "$BASE/health")
  assert_eq 503 "$(status_of "$r")"
  assert_eq "degraded" "$(json_get "$(body_of "$r")" status)"
  assert_contains "$(json_get "$(body_of "$r")" reason)" "no-engine.sock"
}

test_pip_packages_come_from_the_index_orch_is_given() {
  scratch
  # A package index of our own: one wheel made here, served from a container on the default bridge
  # (a build's steps reach other containers there, not the host's loopback).
  mkdir -p "$SCRATCH/index/simple/orch-it-hello" "$SCRATCH/index/packages"
  sum=$("$PY" - "$SCRATCH/index/packages" <<'PYEOF'
import base64, hashlib, sys, zipfile
files = {"orch_it_hello/__init__.py": "def hi():\n    return 'hello from the index'\n",
         "orch_it_hello-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: orch-it-hello\nVersion: 1.0\n",
         "orch_it_hello-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: orch-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
record = ""
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()).rstrip(b"=").decode()
    record += f"{name},sha256={digest},{len(data.encode())}\n"
files["orch_it_hello-1.0.dist-info/RECORD"] = record + "orch_it_hello-1.0.dist-info/RECORD,,\n"
path = sys.argv[1] + "/orch_it_hello-1.0-py3-none-any.whl"
with zipfile.ZipFile(path, "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
print(hashlib.sha256(open(path, "rb").read()).hexdigest())
PYEOF
)
  printf '<a href="../../packages/orch_it_hello-1.0-py3-none-any.whl#sha256=%s">orch_it_hello-1.0-py3-none-any.whl</a>\n' "$sum" \
    >"$SCRATCH/index/simple/orch-it-hello/index.html"
  docker rmi -f $(docker images -q --filter label=orch.packages=pip:orch-it-hello) >/dev/null 2>&1
  cid=$(docker run -d --rm -u 0:0 --cap-drop ALL -v "$SCRATCH/index:/srv:ro" orch/python:latest python3 -m http.server 8000 --directory /srv)
  ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$cid")
  wait_eval 100 'curl -sf "http://$ip:8000/simple/orch-it-hello/" >/dev/null' || fail "the index did not start"
  export PIP_INDEX_URL="http://$ip:8000/simple" PIP_TRUSTED_HOST=$ip
  out=$("$ORCH" run --with pip:orch-it-hello -c 'import os, orch_it_hello; print(orch_it_hello.hi(), os.environ.get("PIP_INDEX_URL"))' 2>"$SCRATCH/err")
  assert_eq "hello from the index None" "$out" "$(tail -n 20 "$SCRATCH/err")"
  assert_contains "$(cat "$SCRATCH/err")" "building orch/with:"
  out=$("$ORCH" run --with pip:orch-it-hello -c 'import orch_it_hello, socket; s = socket.socket(); s.settimeout(2)
try: s.connect(("'"$ip"'", 8000)); print("reached")
except OSError: print("offline")' 2>"$SCRATCH/err2")
  assert_eq "offline" "$out" "the sandbox's own network stays off"
  assert_not_contains "$(cat "$SCRATCH/err2")" "building"
  "$ORCH" run --with pip:orch-it-missing -c 'pass' 2>"$SCRATCH/err3"
  assert_eq 2 $? "a package the index does not have exits 2"
  assert_contains "$(cat "$SCRATCH/err3")" "package pip:orch-it-missing cannot be installed on python"
  unset PIP_INDEX_URL PIP_TRUSTED_HOST
  docker rm -f "$cid" >/dev/null
  docker rmi -f $(docker images -q --filter label=orch.packages=pip:orch-it-hello) >/dev/null
}
