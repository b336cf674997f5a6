# Hostile-input battery: the inputs of the compatibility routes and what they stand on (images a
# request names, tenants and admins, package names, files and sizes of the seed APIs).
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

test_images_only_from_the_allowlist() {
  scratch
  start_seed_server
  tool='{"tool_name":"t","image":"IMAGE"}'
  for image in alpine:3 cortex/tool-pdf-extractor:latest orch/python:latest; do
    r=$(post /containers/tool/execute "${tool/IMAGE/$image}")
    assert_eq 403 "$(status_of "$r")" "$image without an allowlist"
    assert_eq forbidden "$(json_get "$(body_of "$r")" error.code)"
  done
  assert_eq 403 "$(status_of "$(post /containers/relic/start '{"relic_name":"r","session_id":"hostile-s","image":"redis:7"}')")" "relic"
  id=$(json_get "$(body_of "$(post /v1/sessions '{"template":"python","ttl":60,"network":"private"}')")" id)
  assert_eq 403 "$(status_of "$(post "/v1/sessions/$id/services" '{"image":"redis:7"}')")" "service"
  own_sessions_cleanup
  docker build -q -t cortex/tool-pdf-extractor:latest "$here/seeds/tool" >/dev/null 2>&1 || fail "could not build the tool image"
  start_seed_server --allow-image 'cortex/*'
  for image in evil/cortex/x 'cortex/x:1 --privileged' $'cortex/x\n' 'cortex/"x"' "cortex/$(head -c 300 /dev/zero | tr '\0' a)"; do
    r=$(post /containers/tool/execute "$("$PY" -c 'import json,sys; print(json.dumps({"tool_name":"t","image":sys.argv[1]}))' "$image")")
    case "$(status_of "$r")" in 400|403) ;; *) fail "image [$image] got $(status_of "$r"): $(body_of "$r")";; esac
  done
  # An allowed image keeps the one-shot hardening: no capabilities, not root, read-only root, no network.
  r=$(body_of "$(post /containers/tool/execute '{"tool_name":"probe","image":"cortex/tool-pdf-extractor:latest","command":["sh","-c","grep CapEff /proc/self/status; id -u; touch /probe 2>&1; ls /sys/class/net"]}')")
  out=$(json_get "$r" stdout)
  assert_contains "$out" "CapEff:	0000000000000000"
  assert_contains "$out" "1000"
  assert_contains "$out" "Read-only file system"
  assert_eq "lo" "$(tail -n1 <<<"$out")" "only loopback"
  assert_eq 0 "$(docker ps -aq --filter label=orch.kind=run --filter "label=orch.pid=$(hostname):$SERVER_PID" | wc -l)"
}

test_tenants_and_admins() {
  scratch
  printf 'tok-alice-0000000000 alice\ntok-bob-000000000000 bob max_cpus=1\ntok-ops-000000000000 ops admin=true\n' >"$SCRATCH/tokens"
  start_seed_server --tokens "$SCRATCH/tokens" --allow-image 'orch/python:*'
  A=(-H 'Authorization: Bearer tok-alice-0000000000'); B=(-H 'X-API-Key: tok-bob-000000000000')
  assert_eq 403 "$(status_of "$(post /execute '{"tenant_id":"bob","scope":"s","code":"1"}' "${A[@]}")")" "another tenant_id"
  assert_eq 403 "$(status_of "$(post /session/create '{"tenant_id":"ops","scope":"s"}' "${A[@]}")")" "another tenant_id"
  assert_eq 401 "$(status_of "$(post /execute '{"code":"1"}' -H 'X-API-Key: tok-nobody-00000000000')")" "a wrong key"
  assert_eq 200 "$(status_of "$(post /execute '{"tenant_id":"bob","scope":"s","code":"1"}' "${B[@]}")")" "X-API-Key carries a token"
  assert_eq 403 "$(status_of "$(post /build-image '{"template":"minimal"}' "${A[@]}")")" "build needs an admin"
  assert_eq 403 "$(status_of "$(post /v1/templates '{"name":"x","packages":["apt:jq"]}' "${A[@]}")")" "templates need an admin"
  # Alice's run, session and service are nobody else's business.
  run=$(json_get "$(body_of "$(post /v1/run '{"language":"bash","code":"sleep 30","async":true}' "${A[@]}")")" run_id)
  for req in "GET /v1/runs/$run" "GET /v1/runs/$run/logs" "DELETE /v1/runs/$run" "GET /containers/tool/$run" "POST /containers/tool/$run/cancel"; do
    assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -X "${req%% *}" -d '' "${B[@]}" "$BASE${req#* }")" "bob: $req"
  done
  assert_eq "running" "$(json_get "$(curl -s "${A[@]}" "$BASE/v1/runs/$run")" state)" "alice's run untouched"
  sid=$(json_get "$(body_of "$(post /session/create '{"tenant_id":"alice","scope":"s","ttl":60}' "${A[@]}")")" session_id)
  cid=$(docker ps -q --no-trunc --filter "label=orch.id=$sid")
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "${B[@]}" "$BASE/containers/stats/${cid:0:12}")" "bob: alice's stats"
  assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "${B[@]}" "$BASE/v1/sessions/$sid/stats")" "bob: alice's session stats"
  assert_not_contains "$(curl -s "${B[@]}" "$BASE/v1/stats")" "$sid"
  assert_eq 0 "$(json_get "$(body_of "$(post /containers/cleanup/session "{\"session_id\":\"$sid\"}" "${B[@]}")")" containers_removed)" "bob cleans nothing of alice's"
  r=$(post /containers/cleanup/all-networks '' "${B[@]}")
  assert_eq 403 "$(status_of "$r")" "an engine-wide cleanup by a tenant: $(body_of "$r")"
  assert_eq 200 "$(status_of "$(post /containers/cleanup/all-networks '' -H 'Authorization: Bearer tok-ops-000000000000')")" "an admin's cleanup"
  assert_eq 404 "$(status_of "$(post /session/execute "{\"session_id\":\"$sid\",\"code\":\"1\"}" "${B[@]}")")"
  assert_eq 404 "$(status_of "$(post /session/destroy "{\"session_id\":\"$sid\"}" "${B[@]}")")"
  assert_eq "running" "$(json_get "$(curl -s "${A[@]}" "$BASE/v1/sessions/$sid")" state)" "alice's session untouched"
  # A tenant's cpu cap holds for its services and relics as for its runs.
  r=$(post /containers/relic/start '{"relic_name":"r","session_id":"bob-s","image":"orch/python:latest","resource_limits":{"cpu_limit":8}}' "${B[@]}")
  assert_eq 400 "$(status_of "$r")" "bob's relic above his cpu cap: $(body_of "$r")"
  assert_contains "$(body_of "$r")" "above this server's limit of 1"
  curl -s -X DELETE "${A[@]}" "$BASE/v1/runs/$run" >/dev/null
  curl -s -X DELETE "${A[@]}" "$BASE/v1/sessions/$sid" >/dev/null
  curl -s -X DELETE "${B[@]}" "$BASE/v1/sessions/bob-s" >/dev/null
}

test_package_names_and_counts() {
  scratch
  export ORCH_TEMPLATES=$SCRATCH/templates
  start_server
  many=$("$PY" -c 'import json; print(json.dumps(["apt:p%d" % i for i in range(33)]))')
  for with in '["npm:left-pad;rm -rf /"]' '["apt:$(id)"]' '["pip:--index-url=http://x"]' '["npm:`id`"]' '["gem:rails"]' '["npm:a b"]' "$many" '"apt:jq"'; do
    t0=$(date +%s%N)
    r=$(post /v1/run "{\"language\":\"node\",\"code\":\"1\",\"with\":$with}")
    assert_eq 400 "$(status_of "$r")" "with $with"
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000 ] || fail "with $with was not refused before a build"
    assert_eq 400 "$(status_of "$(post /v1/sessions "{\"template\":\"node\",\"with\":$with}")")" "session with $with"
  done
  "$ORCH" run --with 'apt:jq;id' -c 1 >/dev/null 2>&1
  assert_eq 125 $? "the CLI refuses a bad name before it builds"
  for name in ../x x/y "" "$(head -c 100 /dev/zero | tr '\0' a)" Python; do
    assert_eq 400 "$(status_of "$(post /v1/templates "{\"name\":\"$name\",\"packages\":[\"apt:jq\"]}")")" "template name [$name]"
  done
  assert_eq 409 "$(status_of "$(post /v1/templates '{"name":"python","packages":["apt:jq"]}')")" "a taken name"
  assert_eq 404 "$(status_of "$(post /v1/templates '{"name":"x","base":"nosuch","packages":["apt:jq"]}')")" "an unknown base"
  assert_eq 400 "$(status_of "$(post /v1/templates '{"name":"x","packages":[]}')")" "no packages"
  [ ! -e "$SCRATCH/templates" ] || [ -z "$(ls -A "$SCRATCH/templates")" ] || fail "a refused template left files: $(ls "$SCRATCH/templates")"
}

test_compat_files_sizes_and_names() {
  scratch
  start_seed_server
  # Captured artifacts are bounded: at most 100 files and 8 MiB in the answer.
  r=$(post /run '{"language":"bash","capture_artifacts":true,"code":"for i in $(seq 150); do echo $i > f$i.txt; done; head -c 20000000 /dev/zero > big.bin"}')
  assert_eq 200 "$(status_of "$r")"
  [ ${#r} -lt 12000000 ] || fail "the answer was ${#r} bytes"
  assert_eq true "$(json_get "$(body_of "$r")" artifacts_truncated)"
  n=$(body_of "$r" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["artifacts"]))')
  [ "$n" -le 100 ] || fail "$n artifacts"
  # Names that leave /workspace, on every route that takes files.
  for bad in '../x' '/etc/passwd' 'a/../../b' ''; do
    assert_eq 400 "$(status_of "$(post /run "{\"code\":\"1\",\"files\":{\"$bad\":\"x\"}}")")" "/run file [$bad]"
    assert_eq 400 "$(status_of "$(post /execute "{\"code\":\"1\",\"files\":{\"$bad\":\"x\"}}")")" "/execute file [$bad]"
  done
  sid=$(json_get "$(body_of "$(post /session/create '{"tenant_id":"t","scope":"s","ttl":60}')")" session_id)
  assert_eq 400 "$(status_of "$(post /session/execute "{\"session_id\":\"$sid\",\"code\":\"1\",\"files\":{\"../../etc/x\":\"x\"}}")")" "session file"
  # Parameters, labels and names.
  params=$("$PY" -c 'import json; print(json.dumps({"p%d" % i: i for i in range(200)}))')
  assert_eq 400 "$(status_of "$(post /containers/tool/execute "{\"tool_name\":\"t\",\"image\":\"x\",\"parameters\":$params}")")" "200 parameters"
  assert_eq 400 "$(status_of "$(post /containers/tool/execute '{"tool_name":"t","image":"x","parameters":{"1abc":"x"}}')")" "a parameter name"
  long=$(head -c 300 /dev/zero | tr '\0' a)
  assert_eq 400 "$(status_of "$(post /containers/tool/execute "{\"tool_name\":\"$long\",\"image\":\"x\"}")")" "a long tool name"
  assert_eq 400 "$(status_of "$(post /execute '{"code":"1","scope":"a\u0000b"}')")" "a NUL in scope"
  assert_eq 400 "$(status_of "$(post /containers/relic/start '{"relic_name":"___","session_id":"hostile-x","image":"x"}')")" "a relic name without letters"
  assert_eq 400 "$(status_of "$(post /containers/tool/execute '{"tool_name":"t","image":"x","resource_limits":{"memory_mb":1}}')")" "memory_mb below 6"
  assert_eq 400 "$(status_of "$(post /containers/tool/execute '{"tool_name":"t","image":"x","resource_limits":"big"}')")" "resource_limits not an object"
  # 2^44 + 512 MiB is 512 MiB once multiplied into 64-bit bytes: refused before any multiplication.
  r=$(post /containers/relic/start '{"relic_name":"r","session_id":"hostile-x","image":"x","resource_limits":{"memory_mb":17592186044928}}')
  assert_eq 400 "$(status_of "$r")" "a relic's memory_mb that wraps"
  assert_contains "$(body_of "$r")" "resource_limits.memory_mb must be between 6 and 65536"
}
