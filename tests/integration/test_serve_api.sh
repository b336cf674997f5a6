# Sessions, jobs and prices over HTTP on loopback, against the real engine.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

auth() { echo "Authorization: Bearer $1"; }

test_sessions_over_http_with_tenant_isolation() {
  scratch
  printf 'tok-alice-0000000000 alice max_sessions=1\ntok-bob-000000000000 bob\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens"
  A=$(auth tok-alice-0000000000); B=$(auth tok-bob-000000000000)
  r=$(post /v1/sessions '{"template":"python","ttl":120,"name":"alice-1"}' -H "$A")
  assert_eq "201" "$(status_of "$r")"
  id=$(json_get "$(body_of "$r")" id)
  assert_eq "alice" "$(json_get "$(body_of "$r")" owner)"
  r=$(post /v1/sessions '{"template":"python"}' -H "$A")
  assert_eq "429" "$(status_of "$r")" "second session over max_sessions=1"
  r=$(post /v1/sessions "{\"template\":\"python\",\"image\":\"alpine\"}" -H "$B")
  assert_contains "$(body_of "$r")" "field 'image' is not accepted"
  body=$(body_of "$(post "/v1/sessions/$id/exec" '{"code":"x = 41"}' -H "$A")")
  assert_eq "ok" "$(json_get "$body" status)"
  body=$(body_of "$(post "/v1/sessions/$id/exec" '{"code":"print(x + 1)"}' -H "$A")")
  assert_eq "42" "$(json_get "$body" stdout | tr -d '\n')"
  # Bob sees nothing of Alice's session: not in the list, 404 on every route.
  assert_not_contains "$(curl -s -H "$B" "$BASE/v1/sessions")" "$id"
  assert_contains "$(curl -s -H "$A" "$BASE/v1/sessions")" "$id"
  assert_eq "404" "$(status_of "$(post "/v1/sessions/$id/exec" '{"code":"print(x)"}' -H "$B")")"
  assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' -H "$B" "$BASE/v1/sessions/$id")"
  assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' -H "$B" -X DELETE "$BASE/v1/sessions/$id")"
  assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' -H "$B" "$BASE/v1/sessions/$id/files?path=a")"
  # Files in and out, binary-safe.
  head -c 2048 /dev/urandom > "$SCRATCH/blob"
  assert_eq "201" "$(curl -s -o /dev/null -w '%{http_code}' -H "$A" -X PUT --data-binary @"$SCRATCH/blob" "$BASE/v1/sessions/$id/files?path=in/blob.bin")"
  curl -s -H "$A" "$BASE/v1/sessions/$id/files?path=in/blob.bin" > "$SCRATCH/back"
  cmp -s "$SCRATCH/blob" "$SCRATCH/back" || fail "file changed on the round trip"
  assert_contains "$(curl -s -H "$A" "$BASE/v1/sessions/$id/files?dir=in")" '"size":2048'
  r=$(curl -s -w '\n%{http_code}' -H "$A" "$BASE/v1/sessions/$id/files?path=../../etc/passwd")
  assert_eq "400" "$(status_of "$r")"
  r=$(body_of "$(post "/v1/sessions/$id/extend" '{"ttl":600}' -H "$A")")
  [ "$(json_get "$r" expires_in)" -gt 500 ] || fail "extend did not move the expiry"
  assert_eq "204" "$(curl -s -o /dev/null -w '%{http_code}' -H "$A" -X DELETE "$BASE/v1/sessions/$id")"
  assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' -H "$A" "$BASE/v1/sessions/$id")"
}

test_session_exec_streams_events() {
  start_server
  id=$(json_get "$(body_of "$(post /v1/sessions '{"template":"python","ttl":60}')")" id)
  out=$(curl -sN -H 'Accept: text/event-stream' --data '{"code":"import sys,time\nprint(\"one\", flush=True)\ntime.sleep(0.3)\nprint(\"two\", file=sys.stderr, flush=True)\n6*7"}' "$BASE/v1/sessions/$id/exec")
  events=$(grep '^event:' <<<"$out" | awk '{print $2}' | uniq | tr '\n' ' ')
  assert_eq "stdout stderr display result " "$events"
  last=$(grep '^data:' <<<"$out" | tail -1 | cut -c7-)
  assert_eq "ok" "$(json_get "$last" status)"
  curl -s -X DELETE "$BASE/v1/sessions/$id" >/dev/null
}

test_bash_session_exec_streams_as_it_runs() {
  # The bash kernel writes output to files; its relay must forward them while the code runs.
  scratch
  start_server
  id=$(json_get "$(body_of "$(post /v1/sessions '{"template":"bash","ttl":60}')")" id)
  curl -sN -H 'Accept: text/event-stream' --data '{"code":"echo one; printf \"\\x00\\xff\" >&2; sleep 2; echo two"}' \
    "$BASE/v1/sessions/$id/exec" | while IFS= read -r line; do echo "$(date +%s%N) $line"; done >"$SCRATCH/ev"
  curl -s -X DELETE "$BASE/v1/sessions/$id" >/dev/null
  first=$(grep -m1 'event: stdout' "$SCRATCH/ev" | cut -d' ' -f1)
  result=$(grep -m1 'event: result' "$SCRATCH/ev" | cut -d' ' -f1)
  [ -n "$first" ] && [ -n "$result" ] || fail "missing events: $(cat "$SCRATCH/ev")"
  [ $(( (result - first) / 1000000 )) -ge 1500 ] || fail "stdout came with the result, not as it was written: $(cat "$SCRATCH/ev")"
  last=$(grep 'data:' "$SCRATCH/ev" | tail -1 | cut -d' ' -f3-)
  assert_eq "one
two" "$(json_get "$last" stdout)"
  assert_eq "AP8=" "$(json_get "$last" stderr_base64)"
  assert_eq 1 "$(json_get "$last" execution_count)"
}

test_repo_test_job_runs_asynchronously() {
  scratch
  start_server --allow-repo-host 127.0.0.1
  serve_git_repo
  r=$(post /v1/repo/test "{\"source\":\"$GIT_URL\"}")
  assert_eq "202" "$(status_of "$r")"
  job=$(json_get "$(body_of "$r")" id)
  for _ in $(seq 240); do
    j=$(curl -s "$BASE/v1/jobs/$job")
    [ "$(json_get "$j" status)" != "running" ] && break
    sleep 0.5
  done
  kill "$GIT_DAEMON_PID" 2>/dev/null
  assert_eq "done" "$(json_get "$j" status)"
  assert_eq "1" "$(json_get "$j" report.counts.passed)"
  assert_eq "1" "$(json_get "$j" report.counts.failed)"
  assert_contains "$j" "test_bad"
  r=$(post /v1/repo/test "{\"source\":\"$SCRATCH/srv/proj\"}")
  assert_eq "400" "$(status_of "$r")" "local paths must be refused over the API"
  assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/jobs/j-000000000000")"
}

test_pricing_over_http() {
  scratch
  export XDG_CACHE_HOME="$SCRATCH/cache"
  mkdir -p "$SCRATCH/aws"
  printf 'InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch\n' > "$SCRATCH/aws/vms.csv"
  printf 'p4d.24xlarge,A100,8,96,1152,,32.77,12.5,us-east-1,us-east-1a,x86_64\ng5.xlarge,A10G,1,4,16,,1.006,0.4,us-east-1,us-east-1a,x86_64\n' >> "$SCRATCH/aws/vms.csv"
  "$ORCH" pricing import "$SCRATCH/aws/vms.csv" >/dev/null 2>&1 || fail "import failed"
  start_server
  r=$(curl -s "$BASE/v1/pricing?gpu=A100&sort=price")
  assert_eq "1" "$(json_get "$r" total)"
  assert_eq "p4d.24xlarge" "$(json_get "$r" offers.0.instance_type)"
  r=$(curl -s "$BASE/v1/pricing?min_gpus=1&sort=price&limit=1")
  assert_eq "g5.xlarge" "$(json_get "$r" offers.0.instance_type)"
  assert_eq "400" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/pricing?gpuz=A100")"
}

test_session_cli_through_server() {
  scratch
  printf 'tok-carol-0000000000 carol\n' > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens"
  export ORCH_HOST=$BASE ORCH_TOKEN=tok-carol-0000000000
  id=$("$ORCH" session create -t python --ttl 120) || fail "create through the server failed"
  "$ORCH" session exec "$id" -c 'x = 20' >/dev/null || fail "exec failed"
  out=$("$ORCH" session exec "$id" -c 'print(x * 2 + 2)')
  assert_eq "42" "$out"
  echo "payload" > "$SCRATCH/p.txt"
  "$ORCH" session upload "$id" "$SCRATCH/p.txt" p.txt >/dev/null || fail "upload failed"
  "$ORCH" session download "$id" p.txt "$SCRATCH/back.txt" >/dev/null || fail "download failed"
  assert_eq "payload" "$(cat "$SCRATCH/back.txt")"
  assert_contains "$("$ORCH" session ls)" "$id"
  # The server scoped it to the token's tenant.
  assert_eq "carol" "$(json_get "$(curl -s -H "Authorization: Bearer $ORCH_TOKEN" "$BASE/v1/sessions/$id")" owner)"
  "$ORCH" session rm "$id" >/dev/null || fail "rm failed"
  out=$("$ORCH" session exec "$id" -c 'print(1)' 2>&1)
  assert_eq "3" "$?" "exec on a removed session"
  assert_contains "$out" "orch: error:"
}

test_session_listing_follows_what_happens_beside_the_server() {
  # The server answers listings from memory between the engine's events: a session made, extended
  # or removed by another process must show in its answers, not a listing kept from before.
  scratch
  start_server
  assert_eq "200" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/sessions")"
  id=$(env -u ORCH_HOST "$ORCH" session create -t python --ttl 120) || fail "create beside the server"
  wait_for 20 sh -c "curl -s '$BASE/v1/sessions' | grep -q '$id'" || fail "the server does not list $id made beside it"
  env -u ORCH_HOST "$ORCH" session extend "$id" --ttl 3000 >/dev/null || fail "extend beside the server"
  wait_for 20 sh -c "curl -s '$BASE/v1/sessions/$id' | grep -q '\"expires_in\":29[0-9][0-9]'" ||
    fail "the server kept the old expiry: $(curl -s "$BASE/v1/sessions/$id")"
  docker rm -f "$(docker ps -aq --filter "label=orch.id=$id")" >/dev/null
  wait_for 20 sh -c "! curl -s '$BASE/v1/sessions' | grep -q '$id'" || fail "the server still lists $id after docker rm"
  assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/sessions/$id")"
}
