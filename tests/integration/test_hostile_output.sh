# Hostile-input battery: output floods and bytes orch must keep exactly.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# Output floods: bounded memory, capped and flagged output, valid JSON, exact bytes kept.

case_flood_both_streams() {
  hrun --timeout 60 -l bash -c "head -c ${FLOOD:-1G} /dev/zero & head -c ${FLOOD:-1G} /dev/urandom >&2; wait"
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq true "$(jfile stdout_truncated)"
  assert_eq true "$(jfile stderr_truncated)"
  assert_eq true "$(jfile stderr_binary)" "[$MODE] random bytes are flagged"
  sizes=$("$PY" -c 'import json,sys,base64; j=json.load(open(sys.argv[1]))
print(len(j["stdout"]), len(base64.b64decode(j["stderr_base64"])))' "$OUT_FILE")
  assert_eq "1048576 1048576" "$sizes" "[$MODE] each stream is cut at 1 MiB"
  [ "$RSS_KB" -lt 60000 ] || fail "[$MODE] orch's peak memory was $RSS_KB KiB during a flood"
}
test_output_flood_on_both_streams() { FLOOD=1G SERVER_HWM_LIMIT_KB=120000 both case_flood_both_streams; }

case_one_huge_line() {
  hrun --timeout 60 -c 'import sys
line = "z" * (1 << 20)
for _ in range(300):
    sys.stdout.write(line)'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq true "$(jfile stdout_truncated)"
  assert_eq 1048576 "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stdout"]))' "$OUT_FILE")"
  [ "$RSS_KB" -lt 60000 ] || fail "[$MODE] orch's peak memory was $RSS_KB KiB"
}
test_one_huge_line_without_newline() { SERVER_HWM_LIMIT_KB=120000 both case_one_huge_line; }

BINARY_PROG='import sys
sys.stdout.buffer.write(bytes(range(256)) + b"|\xff\xfe\xc3\x28|\x00\x00|\x1b[31mred\x1b[0m|\x1b]0;title\x07|\xed\xa0\x80|\xf4\x90\x80\x80|")
sys.stdout.flush()
sys.stderr.write("\x1b[2J\x1b[Hcleared\0nul \u00e9\u4e2d\U0001f600")'
BINARY_EXPECT='bytes(range(256)) + b"|\xff\xfe\xc3\x28|\x00\x00|\x1b[31mred\x1b[0m|\x1b]0;title\x07|\xed\xa0\x80|\xf4\x90\x80\x80|"'

case_binary_output() {
  hrun -c "$BINARY_PROG"
  assert_eq ok "$STATUS" "[$MODE] status"
  "$PY" - "$OUT_FILE" <<EOF || fail "[$MODE] bytes were not kept exactly"
import base64, json, sys
j = json.load(open(sys.argv[1]))
assert j["stdout_binary"] is True, "stdout_binary"
assert base64.b64decode(j["stdout_base64"]) == $BINARY_EXPECT, "stdout_base64"
assert j["stderr_binary"] is False, "stderr_binary"
assert j["stderr"] == "\x1b[2J\x1b[Hcleared\0nul \u00e9\u4e2d\U0001f600", "stderr text"
EOF
  # Streaming to a terminal or pipe, the bytes come out as the program wrote them.
  "$ORCH" run -c "$BINARY_PROG" >"$SCRATCH/raw.out" 2>"$SCRATCH/raw.err" || fail "[$MODE] streaming run failed"
  "$PY" - "$SCRATCH/raw.out" "$SCRATCH/raw.err" <<EOF || fail "[$MODE] streamed bytes changed"
import sys
assert open(sys.argv[1], "rb").read() == $BINARY_EXPECT, "stdout"
assert open(sys.argv[2], "rb").read() == "\x1b[2J\x1b[Hcleared\0nul \u00e9\u4e2d\U0001f600".encode(), "stderr"
EOF
}
test_binary_nul_invalid_utf8_and_ansi_output() { both case_binary_output; }

case_utf8_split_across_chunks() {
  # 3-byte characters written in pieces that never line up with the engine's frames.
  hrun -c 'import sys, os
s = ("\u4e2d" * 30000).encode()
for i in range(0, len(s), 4097):
    os.write(1, s[i:i + 4097])'
  assert_eq false "$(jfile stdout_binary)" "[$MODE] valid UTF-8 split across writes is text"
  assert_eq 30000 "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stdout"]))' "$OUT_FILE")"
  "$ORCH" run -c 'import sys, os
s = ("\u4e2d" * 30000).encode()
for i in range(0, len(s), 4097):
    os.write(1, s[i:i + 4097])' >"$SCRATCH/cjk.out" || fail "streaming run failed"
  assert_eq 90000 "$(stat -c %s "$SCRATCH/cjk.out")" "[$MODE] streamed bytes"
  "$PY" -c 'import sys; assert open(sys.argv[1],"rb").read().decode() == "\u4e2d" * 30000' "$SCRATCH/cjk.out" || fail "[$MODE] streamed text changed"
}
test_utf8_split_across_chunks() { both case_utf8_split_across_chunks; }


# One request whose program fills both streams with bytes JSON escapes six times over (\x01): the
# server holds the output once and streams its answer (plain JSON, events, and through the CLI).
ESCAPE_PROG='import os, sys
n = int(sys.argv[1]) << 20
for fd in (1, 2):
    for _ in range(n >> 16):
        os.write(fd, b"\x01" * 65536)'

test_escaped_output_is_streamed_not_multiplied() {
  scratch
  start_server
  base=$(server_hwm_kb)
  "$PY" -c 'import json,sys; print(json.dumps({"code": sys.argv[1], "args": ["4"], "output_limit": "4m", "timeout": 60}))' "$ESCAPE_PROG" >"$SCRATCH/req"
  code=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/req" "$BASE/v1/run")
  assert_eq 200 "$code" "the run"
  "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1]))
assert j["stdout"] == "\x01" * (4 << 20) and j["stderr"] == "\x01" * (4 << 20), "output"
assert not j["stdout_truncated"] and not j["stdout_binary"], "flags"' "$SCRATCH/resp" || fail "the answer is not the output"
  assert_eq 50331648 "$(( $(stat -c %s "$SCRATCH/resp") / 1048576 * 1048576 ))" "the answer is the escaped output (48 MiB)"
  curl -s -N -o "$SCRATCH/sse" -H 'Accept: text/event-stream' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/req" "$BASE/v1/run"
  grep -q '^event: result' "$SCRATCH/sse" || fail "no result event"
  grow=$(( $(server_hwm_kb) - base ))
  # The output is 8 MiB; escaped, one copy of the answer is 48 MiB (the server grew by 110 MiB when
  # it built the answer whole).
  [ "$grow" -lt 40000 ] || fail "the server grew by ${grow} KiB for 8 MiB of output"
  out=$(ORCH_HOST=$BASE "$ORCH" run --json --output-limit 2m -c "$ESCAPE_PROG" --arg 2 | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["stdout"]))')
  assert_eq 2097152 "$out" "through the CLI"
}

# Many runs at once hold no more output than the budget: the ones beyond it wait their turn.
test_output_budget_queues_runs_beyond_it() {
  scratch
  start_server --output-budget 4m
  local pids=()
  for i in 1 2 3; do
    post /v1/run '{"code":"import time; time.sleep(1); print(\"x\" * 100000)","output_limit":"1m"}' >"$SCRATCH/r$i" &
    pids+=($!)
  done
  seen=0
  for _ in $(seq 150); do
    w=$(json_get "$(curl -s "$BASE/health")" output_budget.waiting)
    [ "${w:-0}" -ge 1 ] && seen=1
    [ "$(for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && echo "$p"; done)" ] || break  # all answered
    sleep 0.1
  done
  wait "${pids[@]}"
  assert_eq 1 "$seen" "no run waited for the budget"
  for i in 1 2 3; do assert_eq 200 "$(status_of "$(cat "$SCRATCH/r$i")")" "run $i"; done
  assert_eq 0 "$(json_get "$(curl -s "$BASE/health")" output_budget.in_use)" "the budget is returned"
}
