# The documented requests of the systems orch replaces (../shared/SEED-APIS.md, seeds 000-003),
# sent as their documentation writes them (bodies and headers verbatim; `curl -d` without a
# Content-Type where the documentation's curl has none), against a real server and engine.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The seed's own images, stand-ins built from tests/integration/seeds (the layer cache makes a rebuild instant).
seed_images() {
  docker build -q -t cortex/tool-pdf-extractor:latest "$here/seeds/tool" >/dev/null || fail "could not build the tool image"
  docker build -q -t cortex/relic-research-cache:latest "$here/seeds/relic" >/dev/null || fail "could not build the relic image"
}

# POST as the documentation's curl does: -d, with or without the JSON header.
doc_post() {  # path body [curl args...]
  local path=$1 body=$2; shift 2
  curl -s -w '\n%{http_code}' -X POST "$BASE$path" "$@" -d "$body"
}

test_coderunner_000_documented_requests() {
  start_server
  r=$(curl -s -H 'Accept: application/json' "$BASE/")
  assert_eq "orch" "$(json_get "$r" service)" "GET / as JSON is the service status"
  assert_contains "$(curl -s "$BASE/")" "<html" "a browser still gets the dashboard"
  assert_eq "ok" "$(json_get "$(curl -s "$BASE/health")" status)"
  r=$(doc_post /execute '{
    "code": "print(\"Hello from CodeRunner!\")",
    "language": "python",
    "timeout": 30
  }' -H "Content-Type: application/json")
  assert_eq 200 "$(status_of "$r")"
  assert_eq "Hello from CodeRunner!" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  assert_eq "true" "$(json_get "$(body_of "$r")" success)"
  # curl -d without a header declares a form body: one past HTTP libraries' 8 KiB form cap is read as JSON all the same.
  big=$("$PY" -c 'import json; print(json.dumps({"code": "#" + "x" * 20000 + "\nprint(\"big\")", "language": "python"}))')
  r=$(doc_post /execute "$big")
  assert_eq 200 "$(status_of "$r")" "$(body_of "$r" | head -c 300)"
  assert_eq "big" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
}

test_aurea_001_run_readonly_artifacts_fields() {
  start_server
  r=$(doc_post /run '{
    "code": "print(\"Hello from sandbox!\")",
    "language": "python",
    "timeout": 30,
    "readonly": true
  }' -H "Content-Type: application/json")
  body=$(body_of "$r")
  for f in run_id success exit_code stdout stderr execution_time timed_out timeout artifacts; do
    printf '%s' "$body" | "$PY" -c 'import json,sys; sys.exit(0 if sys.argv[1] in json.load(sys.stdin) else 1)' "$f" || fail "no field $f in $body"
  done
  assert_eq "Hello from sandbox!" "$(json_get "$body" stdout | tr -d '\n')"
  assert_eq 30 "$(json_get "$body" timeout)"
  assert_eq "{}" "$(json_get "$body" artifacts)"
  # Read-only: the workspace refuses a write and keeps the input files readable; /tmp stays writable.
  r=$(body_of "$(post /run '{"language":"python","readonly":true,"files":{"data.txt":"abc"},"code":"import os\nprint(open(\"data.txt\").read())\nopen(\"/tmp/t\",\"w\").write(\"x\")\ntry:\n    open(\"w.txt\",\"w\")\nexcept OSError as e:\n    print(\"refused\", e.errno)\nos.chmod(\".\", 0o777)"}')")
  assert_contains "$(json_get "$r" stdout)" "abc"
  assert_contains "$(json_get "$r" stdout)" "refused 13"
  assert_contains "$(json_get "$r" stderr)" "PermissionError" "the program cannot make the workspace writable"
  r=$(body_of "$(post /run '{"language":"python","files":{"data.txt":"abc"},"code":"open(\"w.txt\",\"w\").write(\"ok\")"}')")
  assert_eq "true" "$(json_get "$r" success)" "without readonly the workspace is writable (control)"
  r=$(doc_post /run '{
    "code": "console.log(\"Hello from Node.js!\")",
    "language": "javascript",
    "timeout": 30
  }' -H "Content-Type: application/json")
  assert_eq "Hello from Node.js!" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  # capture_artifacts: what the run made or changed comes back; the files it was given do not.
  r=$(body_of "$(post /run '{"language":"bash","files":{"in.txt":"given","keep.txt":"old"},"capture_artifacts":true,"code":"mkdir -p sub; echo made > sub/new.txt; echo changed > keep.txt; cat in.txt"}')")
  assert_eq "given" "$(json_get "$r" stdout)"
  assert_eq '{"keep.txt": "changed\n", "sub/new.txt": "made\n"}' "$(printf '%s' "$r" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["artifacts"], sort_keys=True))')"
}

test_aurea_001_build_image_docs_redoc() {
  scratch
  printf 'tok-admin-000000000000 ops admin=true\ntok-user-0000000000000 alice\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens"
  for page in /docs /redoc; do
    html=$(curl -s "$BASE$page")
    assert_contains "$html" "/openapi.json" "$page renders the document"
    assert_not_contains "$html" "src=\"http" "$page loads nothing from elsewhere"
    assert_not_contains "$html" "href=\"http" "$page links nothing from elsewhere"
  done
  assert_eq 403 "$(status_of "$(doc_post /build-image '' -H 'Authorization: Bearer tok-user-0000000000000')")" "not an admin"
  r=$(doc_post /build-image '' -H 'Authorization: Bearer tok-admin-000000000000')
  assert_eq 202 "$(status_of "$r")"
  job=$(json_get "$(body_of "$r")" id)
  done_job() { [ "$(json_get "$(curl -s -H 'Authorization: Bearer tok-admin-000000000000' "$BASE/v1/jobs/$job")" status)" != running ]; }
  wait_for 1800 done_job || fail "build did not finish"
  j=$(curl -s -H 'Authorization: Bearer tok-admin-000000000000' "$BASE/v1/jobs/$job")
  assert_eq "done" "$(json_get "$j" status)" "$j"
  assert_contains "$(json_get "$j" log)" "building template node"
  assert_eq "python" "$(json_get "$j" report.built.0.template)"
  # Asked for server-sent events, the build streams its lines, then its result.
  sse=$(curl -sN -H 'Accept: text/event-stream' -H 'Content-Type: application/json' -H 'Authorization: Bearer tok-admin-000000000000' \
    -d '{"template":"minimal"}' "$BASE/build-image")
  assert_contains "$(grep -A1 -m1 '^event: progress' <<<"$sse")" '"line":"building template minimal -> orch/minimal:latest"' "$sse"
  assert_contains "$sse" "Successfully tagged orch/minimal:latest"
  assert_eq "result" "$(grep '^event: ' <<<"$sse" | tail -n1 | cut -d' ' -f2)" "the last event"
  assert_contains "$(grep -A1 '^event: result' <<<"$sse")" '"template":"minimal"'
  assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: text/event-stream' -H 'Authorization: Bearer tok-user-0000000000000' -d '{}' "$BASE/build-image")" "streamed, not an admin"
}

test_executor_002_execute_templates_and_plots() {
  scratch
  printf 'tok-t1-00000000000000 t1\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens"
  A=(-H 'Authorization: Bearer tok-t1-00000000000000')
  # The documentation's shell quotes split its Python string; this is the body it means.
  r=$(doc_post /execute '{
    "tenant_id": "t1",
    "scope": "user:123",
    "code": "print('"'"'Hello, Sandbox!'"'"')",
    "template": "default"
  }' -H "Content-Type: application/json" "${A[@]}")
  assert_eq 200 "$(status_of "$r")" "$(body_of "$r")"
  assert_eq "success" "$(json_get "$(body_of "$r")" status)"
  assert_eq "Hello, Sandbox!" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  r=$(doc_post /execute '{"tenant_id": "t2", "scope": "user:123", "code": "print(1)"}' -H "Content-Type: application/json" "${A[@]}")
  assert_eq 403 "$(status_of "$r")" "another tenant's tenant_id"
  assert_eq forbidden "$(json_get "$(body_of "$r")" error.code)"
  # The documentation's timeout example: no Content-Type header (curl -d), "..." is Python's Ellipsis.
  r=$(doc_post /execute '{
    "tenant_id": "t1",
    "scope": "test",
    "code": "...",
    "timeout": 120
  }' "${A[@]}")
  assert_eq 200 "$(status_of "$r")" "$(body_of "$r")"
  assert_eq 0 "$(json_get "$(body_of "$r")" exit_code)"
  r=$(doc_post /execute '{
    "tenant_id": "t1",
    "scope": "test",
    "code": "...",
    "template": "python-ml"
  }' "${A[@]}")
  assert_eq 404 "$(status_of "$r")" "a template this server does not have"
  assert_contains "$(json_get "$(body_of "$r")" error.message)" "python-ml"
  plot='import matplotlib.pyplot as plt\nimport numpy as np\n\nx = np.linspace(0, 10, 100)\nplt.plot(x, np.sin(x))\nplt.show()\nprint(open(\"data.csv\").read())'
  r=$(body_of "$(doc_post /execute "{\"tenant_id\": \"t1\", \"scope\": \"user:123\", \"code\": \"$plot\", \"language\": \"python\", \"template\": \"python-data\", \"files\": {\"data.csv\": \"name,value\\nAlice,100\"}}" -H "Content-Type: application/json" "${A[@]}")")
  assert_eq "success" "$(json_get "$r" status)" "$r"
  assert_contains "$(json_get "$r" stdout)" "Alice,100"
  assert_eq "image/png" "$(json_get "$r" artifacts.0.type)"
  assert_eq "plot_0" "$(json_get "$r" artifacts.0.name)"
  assert_eq "89504e47" "$(json_get "$r" artifacts.0.content | base64 -d | head -c4 | od -An -tx1 | tr -d ' \n')" "a PNG"
  t=$(curl -s "${A[@]}" "$BASE/templates")
  assert_eq "success" "$(json_get "$t" status)"
  printf '%s' "$t" | "$PY" -c 'import json,sys
ts = {t["name"]: t for t in json.load(sys.stdin)["templates"]}
assert ts["python-data"]["memory_limit"] == "512m" and ts["python-data"]["package_count"] == 3, ts["python-data"]
assert ts["default"]["alias_of"] == "python", ts["default"]' || fail "templates: $t"
}

test_executor_002_sessions_and_json_metrics() {
  start_seed_server
  r=$(doc_post /session/create '{
    "tenant_id": "t1",
    "scope": "user:123",
    "template": "python-ml",
    "ttl": 300
  }' -H "Content-Type: application/json")
  assert_eq 404 "$(status_of "$r")" "python-ml is not a template here"
  r=$(doc_post /session/create '{"tenant_id": "t1", "scope": "user:123", "template": "default", "ttl": 300}' -H "Content-Type: application/json")
  assert_eq 200 "$(status_of "$r")" "$(body_of "$r")"
  sid=$(json_get "$(body_of "$r")" session_id)
  assert_eq 300 "$(json_get "$(body_of "$r")" ttl)"
  r=$(doc_post /session/execute "{
    \"session_id\": \"$sid\",
    \"code\": \"print('In session')\",
    \"language\": \"python\"
  }" -H "Content-Type: application/json")
  assert_eq "In session" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  assert_eq "success" "$(json_get "$(body_of "$r")" status)"
  m=$(curl -s -H 'Accept: application/json' "$BASE/metrics")
  assert_eq "success" "$(json_get "$m" status)"
  [ "$(json_get "$m" metrics.sessions_created)" -ge 1 ] || fail "sessions_created: $m"
  [ "$(json_get "$m" metrics.sessions_reused)" -ge 1 ] || fail "sessions_reused: $m"
  [ "$(json_get "$m" metrics.active_sessions)" -ge 1 ] || fail "active_sessions: $m"
  json_get "$m" metrics.max_sessions >/dev/null || fail "max_sessions: $m"
  prom=$(curl -s "$BASE/metrics")
  assert_contains "$prom" 'orch_sessions_total{event="created"} 1'
  assert_contains "$prom" 'orch_session_execs_total{status="ok"} 1'
  assert_contains "$prom" "orch_session_exec_duration_seconds_count 1"
  assert_contains "$prom" "orch_sessions_active "
  r=$(doc_post /session/destroy "{
    \"session_id\": \"$sid\"
  }" -H "Content-Type: application/json")
  assert_eq "success" "$(json_get "$(body_of "$r")" status)"
  assert_eq 404 "$(status_of "$(doc_post /session/execute "{\"session_id\": \"$sid\", \"code\": \"1\"}")")"
}

test_containers_003_tools_run_cancel_and_logs() {
  seed_images
  start_server --allow-image 'cortex/*'
  r=$(doc_post /containers/tool/execute '{
    "tool_name": "pdf_extractor",
    "session_id": "session_abc123",
    "parameters": {"file": "document.pdf"},
    "image": "cortex/tool-pdf-extractor:latest",
    "resource_limits": {
      "memory_mb": 512,
      "cpu_limit": 1.0,
      "timeout_seconds": 300
    },
    "cleanup": true
  }' -H "Content-Type: application/json")
  assert_eq 200 "$(status_of "$r")" "$(body_of "$r")"
  body=$(body_of "$r")
  assert_eq "completed" "$(json_get "$body" status)" "$body"
  assert_eq "document.pdf" "$(json_get "$body" result.file)" "parameters arrive as environment variables; JSON output is parsed"
  assert_eq "pdf_extractor" "$(json_get "$body" result.tool)"
  assert_eq "/app" "$(json_get "$body" result.cwd)" "the image keeps its working directory"
  assert_eq 1000 "$(json_get "$body" result.uid)"
  id=$(json_get "$body" execution_id)
  assert_eq "completed" "$(json_get "$(curl -s "$BASE/containers/tool/$id")" status)"
  assert_contains "$(json_get "$(curl -s "$BASE/containers/tool/$id/logs")" logs)" "extracting document.pdf"
  # Cancel stops a running tool: its sandbox is gone once the answer comes.
  r=$(body_of "$(post /containers/tool/execute '{"tool_name":"slow","session_id":"session_abc123","image":"cortex/tool-pdf-extractor:latest","parameters":{"sleep":60},"async":true}')")
  id=$(json_get "$r" execution_id)
  assert_eq "running" "$(json_get "$r" status)"
  wait_for 100 sh -c "curl -s '$BASE/containers/tool/$id/logs' | grep -q sleeping" || fail "the tool did not start"
  r=$(curl -s -X POST -d '' "$BASE/containers/tool/$id/cancel")
  assert_eq "cancelled" "$(json_get "$r" status)" "$r"
  assert_eq 0 "$(containers_of_pid "$SERVER_PID")" "the cancelled tool's sandbox is removed"
  assert_eq 409 "$(status_of "$(curl -s -w '\n%{http_code}' -X POST -d '' "$BASE/containers/tool/$id/cancel")")" "already ended"
  assert_eq 404 "$(status_of "$(curl -s -w '\n%{http_code}' "$BASE/containers/tool/r-000000000000")")"
}

test_containers_003_relics_stats_cleanup() {
  seed_images
  start_seed_server --allow-image 'cortex/*'
  curl -s -X DELETE "$BASE/v1/sessions/session_abc123" >/dev/null  # one a killed run of this test left
  short=$(json_get "$(body_of "$(post /v1/sessions '{"template":"bash","ttl":2}')")" id)  # expires during this test
  r=$(doc_post /containers/relic/start '{
    "relic_name": "research_cache",
    "session_id": "session_abc123",
    "image": "cortex/relic-research-cache:latest",
    "resource_limits": {
      "memory_mb": 1024,
      "cpu_limit": 2.0,
      "timeout_seconds": 600
    },
    "create_private_network": true,
    "health_check_endpoint": "/health",
    "health_check_timeout_seconds": 30
  }' -H "Content-Type: application/json")
  assert_eq 201 "$(status_of "$r")" "$(body_of "$r")"
  relic=$(body_of "$r")
  for f in relic_id relic_name session_id status container_id container_name network_id internal_url healthy; do
    printf '%s' "$relic" | "$PY" -c 'import json,sys; sys.exit(0 if sys.argv[1] in json.load(sys.stdin) else 1)' "$f" || fail "no field $f in $relic"
  done
  assert_eq "research_cache" "$(json_get "$relic" relic_name)"
  assert_eq "http://research-cache:8000" "$(json_get "$relic" internal_url)" "the name is mapped to a host name, and said so"
  assert_eq "true" "$(json_get "$relic" healthy)"
  rid=$(json_get "$relic" relic_id)
  # The internal URL answers from its session, and not from another session.
  probe='import urllib.request\ntry:\n    print(urllib.request.urlopen(\"http://research-cache:8000/data\", timeout=3).read().decode().strip())\nexcept Exception as e:\n    print(\"unreachable\", type(e).__name__)'
  assert_eq "cached" "$(json_get "$(body_of "$(post /v1/sessions/session_abc123/exec "{\"code\":\"$probe\"}")")" stdout | tr -d '\n')"
  other=$(json_get "$(body_of "$(post /v1/sessions '{"template":"python","ttl":120,"network":"private"}')")" id)
  assert_contains "$(json_get "$(body_of "$(post "/v1/sessions/$other/exec" "{\"code\":\"$probe\"}")")" stdout)" "unreachable"
  assert_eq "$rid" "$(json_get "$(curl -s "$BASE/containers/relic/$rid")" relic_id)"
  assert_eq 1 "$(json_get "$(curl -s "$BASE/containers/relic?session_id=session_abc123")" count)"
  s=$(curl -s "$BASE/containers/stats")
  [ "$(json_get "$s" count)" -ge 3 ] || fail "stats: $s"
  s=$(curl -s "$BASE/containers/stats/$rid")
  [ "$(json_get "$s" memory.bytes)" -gt 0 ] || fail "relic stats: $s"
  assert_eq "true" "$(json_get "$(curl -s -X DELETE "$BASE/containers/relic/$rid")" deleted)"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/containers/relic/$rid")"
  # Stop ends a relic's container (as every session service's ends); the relic stays, stopped, until
  # it is deleted, as in the API this follows.
  relic=$(body_of "$(post /containers/relic/start '{"relic_name":"cache2","session_id":"session_abc123","image":"cortex/relic-research-cache:latest"}')")
  rid=$(json_get "$relic" relic_id)
  cid=$(json_get "$relic" container_id)
  assert_eq "stopped" "$(json_get "$(curl -s -X POST -d '' "$BASE/containers/relic/$rid/stop")" status)"
  wait_for 50 sh -c "[ -z \"\$(docker ps -aq --filter id=$cid)\" ]" || fail "the stopped relic's container stayed"
  assert_eq "stopped" "$(json_get "$(curl -s "$BASE/containers/relic/$rid")" status)"
  assert_eq "stopped" "$(json_get "$(curl -s -X POST -d '' "$BASE/containers/relic/$rid/stop")" status)" "a second stop"
  assert_contains "$(curl -s "$BASE/containers/relic?session_id=session_abc123")" "\"$rid\""
  assert_eq "true" "$(json_get "$(curl -s -X DELETE "$BASE/containers/relic/$rid")" deleted)"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/containers/relic/$rid")"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/containers/relic/$rid")"
  rid=$(json_get "$(body_of "$(post /containers/relic/start '{"relic_name":"cache3","session_id":"session_abc123","image":"cortex/relic-research-cache:latest"}')")" relic_id)
  assert_eq "stopped" "$(json_get "$(curl -s -X POST -d '' "$BASE/containers/relic/$rid/stop")" status)"
  r=$(doc_post /containers/cleanup/session '{
    "session_id": "session_abc123",
    "force": true
  }' -H "Content-Type: application/json")
  assert_eq "success" "$(json_get "$(body_of "$r")" status)"
  assert_eq 1 "$(json_get "$(body_of "$r")" networks_removed)"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/sessions/session_abc123")"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/containers/relic/$rid")" "a stopped relic goes with its session"
  curl -s -X DELETE "$BASE/v1/sessions/$other" >/dev/null
  wait_for 100 sh -c "[ -z \"\$(docker ps -q --filter label=orch.id=$short)\" ]" || fail "the 2 s session is still running"
  r=$(curl -s -X POST -d '' "$BASE/containers/cleanup/all-networks")
  assert_eq "success" "$(json_get "$r" status)"
  # The server's janitor (every 30 s) or this call removed it; either counts it as expired.
  assert_eq 0 "$(docker ps -aq --filter label=orch.id=$short | wc -l)" "the expired session's container"
  curl -s "$BASE/metrics" | awk '/^orch_sessions_total\{event="expired"\} / {found=1; ok=($2 >= 1)} END {exit !(found && ok)}' ||
    fail "no expired session counted: $(curl -s "$BASE/metrics" | grep orch_sessions_total)"
  assert_eq 0 "$(docker network ls -q --filter "label=orch.id=$other" | wc -l)"
}
