# orch run against the real engine.

test_hello_python() {
  out=$("$ORCH" run -c 'print("hello", 6 * 7)')
  assert_eq "hello 42" "$out"
}

test_hello_node() {
  out=$("$ORCH" run -l node -c 'console.log([1,2,3].map(x => x * 2).join(","))')
  assert_eq "2,4,6" "$out"
}

test_hello_bash() {
  out=$("$ORCH" run -l bash -c 'x=5; echo "bash $((x * 3)) $BASH_VERSINFO"')
  assert_contains "$out" "bash 15 5"
}

test_hello_minimal_sh() {
  out=$("$ORCH" run -t minimal -c 'echo "sh $(id -u)"')
  assert_eq "sh 1000" "$out"
}

test_language_from_file_extension() {
  scratch
  echo 'console.log("from " + "a file")' > "$SCRATCH/prog.js"
  out=$("$ORCH" run "$SCRATCH/prog.js")
  assert_eq "from a file" "$out"
}

test_code_from_stdin_dash() {
  out=$(echo 'print(sum(range(10)))' | "$ORCH" run -)
  assert_eq "45" "$out"
}

test_stdin_is_piped_through() {
  out=$(printf 'abc\ndef\n' | "$ORCH" run -c 'import sys; print(sys.stdin.read()[::-1], end="")')
  assert_eq "$(printf '\nfed\ncba')" "$out"
}

test_large_stdin_and_output_do_not_deadlock() {
  # 8 MiB in while the program echoes it back as it reads.
  out=$(head -c 8388608 /dev/zero | tr '\0' 'a' | "$ORCH" run --output-limit 16m -c '
import sys
n = 0
while True:
    b = sys.stdin.buffer.read(65536)
    if not b: break
    n += len(b)
    sys.stdout.buffer.write(b)
sys.stderr.write(str(n))' 2>&1 >/dev/null)
  assert_eq "8388608" "$out"
}

test_exit_code_passthrough() {
  assert_rc 7 "$ORCH" run -c 'import sys; sys.exit(7)'
  assert_rc 3 "$ORCH" run -l bash -c 'exit 3'
  assert_rc 0 "$ORCH" run -l node -c 'process.exit(0)'
}

test_stderr_is_separate() {
  scratch
  "$ORCH" run -c 'import sys; print("out"); print("err", file=sys.stderr)' >"$SCRATCH/o" 2>"$SCRATCH/e"
  assert_eq "out" "$(cat "$SCRATCH/o")"
  assert_eq "err" "$(cat "$SCRATCH/e")"
}

test_json_result_fields() {
  out=$("$ORCH" run --json -c 'import sys; print("x"); sys.exit(4)')
  assert_eq "error" "$(json_get "$out" status)"
  assert_eq "4" "$(json_get "$out" exit_code)"
  assert_eq "x" "$(json_get "$out" stdout | tr -d '\n')"
  assert_eq "false" "$(json_get "$out" stdout_truncated)"
  assert_contains "$(json_get "$out" run_id)" "r-"
  [ "$(json_get "$out" duration_ms)" -ge 0 ] || fail "duration_ms missing"
}

test_files_in_and_out() {
  scratch
  printf 'line1\nline2\n' > "$SCRATCH/data.txt"
  head -c 3000 /dev/urandom > "$SCRATCH/blob.bin"
  "$ORCH" run -f "$SCRATCH/data.txt" -f "$SCRATCH/blob.bin:in/blob.bin" --out "$SCRATCH/res" -c '
import os, hashlib
lines = open("data.txt").read().splitlines()
os.makedirs("out/deep", exist_ok=True)
open("out/count.txt", "w").write(str(len(lines)))
open("out/deep/copy.bin", "wb").write(open("in/blob.bin", "rb").read())
print("ok")' >/dev/null || fail "run failed"
  assert_eq "2" "$(cat "$SCRATCH/res/count.txt")"
  cmp -s "$SCRATCH/blob.bin" "$SCRATCH/res/deep/copy.bin" || fail "binary artifact differs"
}

test_out_json_lists_artifacts() {
  scratch
  out=$("$ORCH" run --json --out "$SCRATCH/res" -c 'open("out/a.txt","w").write("12345")')
  assert_eq "a.txt" "$(json_get "$out" artifacts.0.path)"
  assert_eq "5" "$(json_get "$out" artifacts.0.size)"
}

test_out_symlink_is_not_followed() {
  scratch
  "$ORCH" run --out "$SCRATCH/res" -l bash -c 'mkdir -p out; ln -s /etc/passwd out/pw; echo hi > out/real.txt' >/dev/null
  [ -e "$SCRATCH/res/pw" ] && fail "a symlink from the sandbox was copied out"
  assert_eq "hi" "$(cat "$SCRATCH/res/real.txt")"
}

test_timeout_kills_sigterm_ignoring_and_forked_children() {
  start=$(date +%s%N)
  out=$("$ORCH" run --json --timeout 2 -c '
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    time.sleep(120)
time.sleep(120)')
  rc=$?
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  assert_eq "124" "$rc" "exit code"
  assert_eq "timeout" "$(json_get "$out" status)"
  [ "$elapsed" -lt 4500 ] || fail "took ${elapsed}ms for a 2s timeout"
}

test_memory_limit_is_oom() {
  out=$("$ORCH" run --json --memory 64m -c 'x = bytearray(300 * 1024 * 1024); print(len(x))')
  rc=$?
  assert_eq "137" "$rc"
  assert_eq "oom" "$(json_get "$out" status)"
}

test_fork_bomb_is_contained() {
  out=$("$ORCH" run --json --timeout 5 --pids 64 -l bash -c ':(){ :|:& };:; sleep 2; echo survived')
  rc=$?
  # The pids limit holds the bomb; the run ends by exiting or by its timeout, never hangs.
  case "$(json_get "$out" status)" in ok|error|timeout) ;; *) fail "unexpected status $(json_get "$out" status)";; esac
  [ "$rc" != 125 ] || fail "orch failed"
  ok=$("$ORCH" run -c 'print("next run fine")')
  assert_eq "next run fine" "$ok"
}

test_network_is_unreachable() {
  out=$("$ORCH" run -c '
import socket
for host in [("1.1.1.1", 53), ("172.17.0.1", 2375), ("169.254.169.254", 80)]:
    try:
        socket.create_connection(host, timeout=2)
        print("reached", host)
    except OSError as e:
        print("blocked")')
  assert_eq "$(printf 'blocked\nblocked\nblocked')" "$out"
}

test_read_only_root_and_non_root_user() {
  out=$("$ORCH" run -l bash -c 'touch /etc/x 2>/dev/null && echo wrote-etc; touch /usr/x 2>/dev/null && echo wrote-usr; id -u; touch /tmp/ok && echo tmp-ok')
  assert_eq "$(printf '1000\ntmp-ok')" "$out"
}

test_output_flood_is_capped() {
  out=$("$ORCH" run --json -c '
import sys
chunk = "y" * 1048576
for _ in range(100):
    sys.stdout.write(chunk)')
  assert_eq "true" "$(json_get "$out" stdout_truncated)"
  len=$(printf '%s' "$out" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["stdout"]))')
  assert_eq "1048576" "$len"
  assert_eq "ok" "$(json_get "$out" status)"
}

test_env_and_args() {
  out=$("$ORCH" run -e GREETING=hi -e N=3 --arg x --arg 'y z' -c 'import os,sys; print(os.environ["GREETING"] * int(os.environ["N"]), sys.argv[1:])')
  assert_eq "hihihi ['x', 'y z']" "$out"
}

# A run's PATH and TAR_OPTIONS are the program's: orch's own boot steps (unpacking the input,
# collecting out/) do not go through them.
test_env_path_and_tar_options_are_the_programs_only() {
  scratch
  out=$("$ORCH" run -l python -e PATH=/usr/bin -e TAR_OPTIONS=--bogus --out "$SCRATCH/o" \
    -c 'import os; v = os.environ["PATH"] + " " + os.environ["TAR_OPTIONS"]; print(v); open("out/v", "w").write(v)' 2>&1)
  assert_eq 0 $? "run failed: $out"
  assert_eq "/usr/bin --bogus" "$out"
  assert_eq "/usr/bin --bogus" "$(cat "$SCRATCH/o/v")"
  out=$("$ORCH" run -l bash -e PATH=/nope -c 'echo hi' 2>&1)
  assert_eq 127 $? "a PATH without the interpreter: the program is not found ($out)"
  assert_contains "$out" "bash: not found"
}

test_ctrl_c_removes_the_sandbox() {
  scratch
  "$ORCH" run --timeout 60 -c 'import time; print("started", flush=True); time.sleep(60)' >"$SCRATCH/out" 2>&1 &
  pid=$!
  wait_for 100 grep -q started "$SCRATCH/out" || fail "run did not start"
  kill -INT $pid
  wait $pid
  rc=$?
  assert_eq "130" "$rc"
  assert_eq "0" "$(containers_of_pid "$pid")" "containers left after Ctrl-C"
}

test_sigterm_removes_the_sandbox() {
  scratch
  "$ORCH" run --timeout 60 -l bash -c 'echo started; sleep 60' >"$SCRATCH/out" 2>&1 &
  pid=$!
  wait_for 100 grep -q started "$SCRATCH/out" || fail "run did not start"
  kill -TERM $pid
  wait $pid
  assert_eq "0" "$(containers_of_pid "$pid")"
}

test_gc_removes_escaped_sandbox() {
  scratch
  "$ORCH" run --timeout 60 -l bash -c 'echo started; sleep 60' >"$SCRATCH/out" 2>&1 &
  pid=$!
  wait_for 100 grep -q started "$SCRATCH/out" || fail "run did not start"
  kill -KILL $pid
  wait $pid 2>/dev/null
  [ "$(containers_of_pid "$pid")" -ge 1 ] || fail "expected the killed run's container to remain"
  out=$("$ORCH" gc --json)
  assert_contains "$out" "orch-r-"
  assert_eq "0" "$(containers_of_pid "$pid")"
}

test_error_daemon_unreachable() {
  out=$(DOCKER_HOST=unix:///tmp/no-such-docker.sock "$ORCH" run -c 'print(1)' 2>&1)
  rc=$?
  assert_eq "125" "$rc"
  assert_contains "$out" "orch: error: cannot reach Docker at unix:///tmp/no-such-docker.sock"
  assert_contains "$out" "dockerd"
}

test_error_unknown_template() {
  out=$("$ORCH" run -t pyton -c 'print(1)' 2>&1)
  assert_eq "125" "$?"
  assert_contains "$out" "unknown template 'pyton'"
  assert_contains "$out" "did you mean 'python'"
}

test_error_unknown_language() {
  out=$("$ORCH" run -l cobol -c 'x' 2>&1)
  assert_eq "125" "$?"
  assert_contains "$out" "no template offers language 'cobol'"
}

test_error_image_missing() {
  scratch
  mkdir -p "$SCRATCH/tpl/ghost"
  printf 'FROM debian:bookworm-slim\n' > "$SCRATCH/tpl/ghost/Dockerfile"
  echo '{"name":"ghost","image":"orch-test/ghost-never-built:1","languages":{"sh":{"file":"m.sh","run":["sh","{file}"]}}}' > "$SCRATCH/tpl/ghost/template.json"
  out=$(ORCH_TEMPLATES="$SCRATCH/tpl" "$ORCH" run -t ghost -c 'echo hi' 2>&1)
  assert_eq "125" "$?"
  assert_contains "$out" "template 'ghost' is not built"
  assert_contains "$out" "orch templates build ghost"
}

test_error_code_file_unreadable() {
  out=$("$ORCH" run /nonexistent/prog.py 2>&1)
  assert_eq "125" "$?"
  assert_contains "$out" "cannot read code file '/nonexistent/prog.py'"
  scratch
  out=$("$ORCH" run "$SCRATCH" 2>&1)
  assert_contains "$out" "is a directory"
}

test_error_bad_flags() {
  out=$("$ORCH" run --memory lots -c 'print(1)' 2>&1)
  assert_eq "125" "$?"
  assert_contains "$out" "--memory: 'lots' is not valid"
  out=$("$ORCH" run --net host -c 'print(1)' 2>&1)
  assert_contains "$out" "--net must be none, bridge or lan"
  out=$("$ORCH" run --output-limit 100g -c 'print(1)' 2>&1)
  assert_eq "125" "$?"
  assert_contains "$out" "--output-limit must be between 1 byte and 64m"
  out=$("$ORCH" run --timeout 0 -c 'print(1)' 2>&1)
  assert_contains "$out" "--timeout must be above 0 and at most 86400 seconds"
  out=$("$ORCH" run 2>&1)
  assert_contains "$out" "nothing to run"
}

test_unknown_command_suggests() {
  out=$("$ORCH" rnu 2>&1)
  assert_eq "2" "$?"
  assert_contains "$out" "did you mean 'run'"
}
