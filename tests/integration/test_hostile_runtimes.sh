# Hostile-input battery: gVisor, and the battery's subsets under gVisor and through the warm pool.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

use_cases limits output disk network privileges files

# Stronger isolation: gVisor per run, per server and per template, and a subset of the battery under it.

has_runsc() { docker info -f '{{json .Runtimes}}' | grep -q '"runsc"'; }

test_runtime_absent_is_a_clear_error() {
  out=$("$ORCH" run --runtime kata-nope -c 'print(1)' 2>&1)
  assert_eq 125 "$?"
  assert_contains "$out" "runtime 'kata-nope' is not available on this engine (it has: "
  out=$(timeout 20 "$ORCH" serve --listen 127.0.0.1:0 --runtime kata-nope 2>&1)
  assert_eq 2 "$?" "serve with a missing runtime"
  assert_contains "$out" "runtime 'kata-nope' is not available on this engine"
}

test_runsc_per_run_server_and_template() {
  has_runsc || fail "the engine has no runsc runtime (scripts/install-docker.sh registers it); CI must not skip this"
  scratch
  assert_eq 4.4.0 "$("$ORCH" run --runtime runsc -l bash -c 'uname -r')" "per run"
  assert_eq "$(uname -r)" "$("$ORCH" run -l bash -c 'uname -r')" "control: runc by default"
  mkdir -p "$SCRATCH/tpl/gbash"
  "$ORCH" templates show bash --json >/dev/null || fail "templates show"
  cat >"$SCRATCH/tpl/gbash/template.json" <<'EOF'
{"name": "gbash", "image": "orch/bash:latest", "runtime": "runsc",
 "languages": {"bash": {"file": "main.sh", "run": ["bash", "{file}"]}}}
EOF
  printf 'FROM orch/bash:latest\n' >"$SCRATCH/tpl/gbash/Dockerfile"
  assert_eq 4.4.0 "$(ORCH_TEMPLATES="$SCRATCH/tpl" "$ORCH" run -t gbash -c 'uname -r')" "per template"
  start_server --runtime runsc
  export ORCH_HOST=$BASE
  assert_eq 4.4.0 "$("$ORCH" run -l bash -c 'uname -r')" "per server"
  assert_eq 4.4.0 "$("$ORCH" run --runtime runsc -l bash -c 'uname -r')" "per server, asked for the same"
  out=$("$ORCH" run --runtime runc -l bash -c 'uname -r' 2>&1) && fail "a request overrode the server's runtime"
  assert_contains "$out" "chosen by the server"
}

# The warm pool's path (a pooled python runner whose output comes over its own sockets rather than
# the engine's attach stream) under the cases that stress output, environment and privileges.
test_battery_subset_through_the_warm_pool() {
  scratch
  MODE=serve-pool
  start_server --pool python=2
  export ORCH_HOST=$BASE
  local c before after
  for c in case_one_huge_line case_binary_output case_utf8_split_across_chunks case_env_is_clean case_privileges; do
    wait_for 300 pool_ready 2 || fail "the pool did not refill before $c"
    before=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
    TOK=hx$RANDOM$RANDOM
    SERVER_HWM_LIMIT_KB=120000 "$c"
    after=$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')
    [ "${after:-0}" -gt "${before:-0}" ] || fail "control: $c did not go through the pool"
  done
}

test_pooled_bash_takes_hostile_arguments_and_environment_as_data() {
  # A pooled bash started ahead gets its arguments and environment written into its startup:
  # quotes, command substitutions and newlines must arrive as bytes, never as code, and a value
  # larger than the pipe between the runner and bash (64 KiB; under exec's 128 KiB for one
  # variable, which the program's children need) must neither block nor be cut.
  scratch
  MODE=serve-pool-bash
  start_server --pool bash=1
  bash_ready() { [ "$(json_get "$(curl -s "$BASE/health")" pool.bash.ready)" -ge 1 ]; }
  wait_for 300 bash_ready || fail "bash pool never filled: $(curl -s "$BASE/health")"
  local evil=$'\x27; touch /tmp/pwned-env; echo \x27 $(touch /tmp/pwned-sub) `touch /tmp/pwned-tick`\nunset X; touch /tmp/pwned-line'
  "$PY" -c 'import json, sys; e = sys.argv[1]; print(json.dumps({"language": "bash",
    "code": "printf %s \"$X\" | md5sum; printf %s \"$1\" | md5sum; echo ${#BIG}; ls /tmp | grep -c pwned",
    "args": [e], "env": {"X": e, "BIG": "b" * 100000}}))' "$evil" >"$SCRATCH/body.json"
  r=$(body_of "$(post /v1/run "@$SCRATCH/body.json")")
  want=$(printf %s "$evil" | md5sum)
  assert_eq "$want|$want|100000|0|" "$(json_get "$r" stdout | paste -sd'|')" "[$MODE] $r"
  assert_eq "1" "$(curl -s "$BASE/metrics" | awk '/orch_pool_requests_total\{result="hit"\}/{print $2}')" "control: the run came from the pool"
}

# The representative subset: every battery family once through the CLI, the riskiest ones again
# through a runsc server (the server path itself is runtime-independent and covered above).
runsc_subset() {  # case functions...
  local c
  for c in "$@"; do
    FLOOD=16M HOST_PORT=9 "$c"  # gVisor moves output at a few MB/s on the ptrace platform
  done
}
case_deadline_kills_everything_runsc() {
  # gVisor's processes are not host processes: check the deadline and the sandbox's removal.
  hrun --timeout 3 -l bash --arg "$TOK" -c 'trap "" TERM INT HUP
setsid bash -c "trap \"\" TERM; while :; do sleep 1; done" "d1-$1" </dev/null >/dev/null 2>&1 &
( bash -c "while :; do sleep 1; done" "d2-$1" & ) &
while :; do :; done'
  assert_eq timeout "$STATUS" "[$MODE] status"
  duration_below 7000
  no_procs "$TOK"
}
test_battery_subset_under_gvisor() {
  has_runsc || fail "the engine has no runsc runtime; CI must not skip this"
  RUNTIME=runsc
  scratch
  TOK=hx$RANDOM$RANDOM
  MODE=cli-runsc
  unset ORCH_HOST
  # the CLI path: every run of the subset asks for runsc
  ORCH_REAL=$ORCH
  ORCH=$SCRATCH/orch-runsc
  printf '#!/bin/sh\nif [ "$1" = run ]; then shift; exec "%s" run --runtime runsc "$@"; fi\nexec "%s" "$@"\n' "$ORCH_REAL" "$ORCH_REAL" >"$ORCH"
  chmod +x "$ORCH"
  runsc_subset case_fork_bomb_python case_memory_bomb case_deadline_kills_everything_runsc case_flood_both_streams \
    case_binary_output case_fill_disks case_no_persistence case_masked_and_no_socket case_privileges case_out_links \
    case_network_off
  ORCH=$ORCH_REAL
  MODE=serve-runsc
  start_server --runtime runsc
  export ORCH_HOST=$BASE
  runsc_subset case_fork_bomb_python case_deadline_kills_everything_runsc case_flood_both_streams case_privileges \
    case_out_links case_network_off
}
