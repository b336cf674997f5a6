# The hostile-input battery's shared harness (issue 8, split by attack class into test_hostile_*.sh):
# code and requests written to break orch, against the real engine. Most cases run twice, through
# the CLI and through `orch serve` (the same `orch run --json` with ORCH_HOST set). After each case:
# the result is one valid JSON object with the right status, a harmless run started beside it
# succeeded, the case's container is gone, orch left no temp files, no process the case started
# survives, and a server under test is still healthy.
#
# A case function (case_*) reads TOK (a token its processes carry) and MODE (cli, serve, ...) and
# leaves its result in the globals hrun sets: OUT_FILE, OUT, RC, STATUS, RUN_ID, RSS_KB.
[ -n "${HOSTILE_LIB:-}" ] && return 0
HOSTILE_LIB=1
HOSTILE_DIR=$(dirname "${BASH_SOURCE[0]}")
source "$HOSTILE_DIR/serve_lib.sh"

GATEWAY=$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
GATEWAY=${GATEWAY:-172.17.0.1}
SANDBOX_UID=1000

# Brings the case_* functions of other attack classes into a suite (the subsets under gVisor and the
# pool rerun them) without their test_* functions, which run in their own suites.
use_cases() {  # class...
  local c
  for c in "$@"; do source "$HOSTILE_DIR/test_hostile_$c.sh"; done
  # shellcheck disable=SC2046
  unset -f $(declare -F | awk '{print $3}' | grep '^test_')
}

pool_ready() { [ "$(json_get "$(curl -s "$BASE/health")" pool.python.ready)" -ge "${1:-1}" ]; }  # [count]

# ---------------------------------------------------------------------------------------------------
# Harness

# Runs `orch run --json ARGS...` as a hostile caller would, with a harmless run beside it, and checks
# what must hold after every case. Sets OUT_FILE, OUT (the JSON), RC, STATUS, RUN_ID and RSS_KB
# (orch's own peak memory: the CLI's, or the client's in serve mode).
hrun() {
  HRUN_N=$((${HRUN_N:-0} + 1))
  local n=$HRUN_N
  mkdir -p "$SCRATCH/tmp$n"
  "$ORCH" run -c 'print("alive")' >"$SCRATCH/alive$n" 2>&1 &
  local side=$!
  OUT_FILE=$SCRATCH/out$n
  TMPDIR="$SCRATCH/tmp$n" /usr/bin/time -f %M -o "$SCRATCH/rss$n" "$ORCH" run --json "$@" >"$OUT_FILE" 2>"$SCRATCH/err$n"
  RC=$?
  wait "$side"
  [ "$(cat "$SCRATCH/alive$n")" = alive ] || fail "[$MODE] the harmless run beside the case failed: $(head -c 300 "$SCRATCH/alive$n")"
  RSS_KB=$(tail -n1 "$SCRATCH/rss$n")
  "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT_FILE" 2>/dev/null ||
    fail "[$MODE] not one valid JSON object (rc $RC): $(head -c 300 "$OUT_FILE") $(head -c 300 "$SCRATCH/err$n")"
  OUT=$(cat "$OUT_FILE")
  STATUS=$(jf status)
  RUN_ID=$(jf run_id)
  [ -n "$RUN_ID" ] || fail "[$MODE] no run_id"
  [ -z "$(docker ps -aq --filter "name=^/orch-$RUN_ID\$")" ] || fail "[$MODE] the container of $RUN_ID was left behind"
  [ -z "$(ls -A "$SCRATCH/tmp$n")" ] || fail "[$MODE] orch left files in TMPDIR: $(ls -A "$SCRATCH/tmp$n")"
  [ "$RSS_KB" -lt 200000 ] || fail "[$MODE] orch's memory was not bounded: ${RSS_KB} KiB"
  if [ -n "${ORCH_HOST:-}" ]; then
    assert_eq ok "$(json_get "$(curl -s "$BASE/health")" status)" "[$MODE] server health"
    wait_for 50 no_runs_of_server || fail "[$MODE] the server left run containers behind"
  fi
}

jf() { json_get "$OUT" "$1"; }  # a field of the last result
jfile() {                        # a field of the last result, read from the file (large outputs)
  "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v if not isinstance(v,bool) else str(v).lower())' "$OUT_FILE" "$1"
}
no_runs_of_server() {
  [ "$(docker ps -aq --filter label=orch.kind=run --filter "label=orch.pid=$(hostname):$SERVER_PID" | wc -l)" = 0 ]
}
# No host process carries the token in its command line (the case's processes are gone).
no_procs() { ! pgrep -u "$SANDBOX_UID" -f "$1" >/dev/null || fail "[$MODE] processes of the case survived: $(pgrep -u "$SANDBOX_UID" -af "$1" | head -3)"; }
duration_below() { [ "$(jf duration_ms)" -lt "$1" ] || fail "[$MODE] took $(jf duration_ms) ms, expected under $1"; }
server_hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$SERVER_PID/status"; }

# Runs a case function through the CLI, then through a fresh `orch serve` (extra serve flags in
# SERVE_FLAGS), then checks the server's own peak memory.
both() {
  scratch
  TOK=hx$RANDOM$RANDOM
  MODE=cli
  unset ORCH_HOST
  "$@"
  MODE=serve
  # shellcheck disable=SC2086
  start_server ${SERVE_FLAGS:-}
  export ORCH_HOST=$BASE
  TOK=hx$RANDOM$RANDOM
  "$@"
  local hwm
  hwm=$(server_hwm_kb)
  [ "$hwm" -lt "${SERVER_HWM_LIMIT_KB:-300000}" ] || fail "[serve] the server's peak memory was ${hwm} KiB"
}

# Counts, while a case runs, the most sandbox processes that carried the token at once (a positive
# control for no_procs: the processes were there, and then they were not).
watch_procs() {  # token file
  ( best=0
    for _ in $(seq 60); do
      c=$(pgrep -u "$SANDBOX_UID" -f "$1" | wc -l)
      [ "$c" -gt "$best" ] && best=$c
      echo "$best" >"$2"
      sleep 0.1
    done ) &
  WATCHER=$!
}

