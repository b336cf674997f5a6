# orch session: persistent sandboxes with state, files, rich output, services and a TTL.
# Every test removes the sessions it made (setup's trap), and checks what it claims with a
# positive control where a negative result alone could pass vacuously.

setup() {
  SCRATCH=$(mktemp -d /tmp/orch-it.XXXXXX)
  SESSIONS=()
  trap 'for s in "${SESSIONS[@]}"; do "$ORCH" session rm "$s" >/dev/null 2>&1; done; rm -rf "$SCRATCH"' EXIT
}

new_session() {  # args for `orch session create`; sets S
  S=$("$ORCH" session create "$@") || fail "session create $* failed"
  SESSIONS+=("$S")
}

sx() {  # session exec shorthand: sx ID CODE [args...]
  local id=$1 code=$2; shift 2
  "$ORCH" session exec "$id" -c "$code" "$@"
}

container_of() { docker ps -aq --filter "label=orch.id=$1"; }
gone() { [ -z "$(container_of "$1")" ]; }
services_gone() { [ -z "$(docker ps -aq --filter "label=orch.session=$1")" ]; }

test_python_state_persists() {
  setup; new_session -t python
  assert_eq "" "$(sx "$S" 'x = 41')"
  assert_eq 42 "$(sx "$S" 'print(x + 1)')"
  assert_eq 43 "$(sx "$S" 'x + 2')" "the last expression is displayed"
  assert_rc 1 sx "$S" 'undefined_name' 2>/dev/null
}

test_kernel_is_up_when_create_returns() {
  setup
  for t in python node bash; do
    new_session -t "$t"
    # the kernel's serve process runs before any call, and the first call is number 1
    docker top "$(container_of "$S")" -eo pid,args | grep -q "_kernel\.[a-z]* serve" ||
      fail "$t: no kernel running after create: $(docker top "$(container_of "$S")" -eo pid,args)"
    out=$("$ORCH" session exec --json "$S" -c 'true')
    assert_eq 1 "$(json_get "$out" execution_count)" "$t: the start counted as a call"
  done
}

test_node_state_persists() {
  setup; new_session -t node
  sx "$S" 'let x = 41; function inc(a) { return a + 1 }' >/dev/null || fail "node define"
  assert_eq 42 "$(sx "$S" 'console.log(inc(x))')"
  assert_eq 42 "$(sx "$S" 'inc(x)')"
}

test_bash_state_persists() {
  setup
  for t in bash minimal; do
    new_session -t "$t"
    sx "$S" 'mkdir -p d && cd d && export X=41; y=1' || fail "$t: define"
    assert_eq "42 1 /workspace/d" "$(sx "$S" 'echo $((X + 1)) $y $PWD')" "$t keeps cwd and variables"
    assert_rc 3 sx "$S" '(exit 3)'
  done
}

test_kernel_restarts_after_crash() {
  setup; new_session -t python
  sx "$S" 'x = 1' || fail "define"
  out=$("$ORCH" session exec "$S" --json -c 'import os; os._exit(9)')
  assert_eq crashed "$(json_get "$out" status)"
  assert_eq true "$(json_get "$out" state_lost)"
  assert_eq ok "$(sx "$S" 'print("ok")')" "the kernel restarts"
  assert_rc 1 sx "$S" 'x' 2>/dev/null
  # bash: `exit` ends the shell; the result says so, and the next call gets a new one
  new_session -t bash
  out=$("$ORCH" session exec "$S" --json -c 'X=1; exit 5')
  assert_eq 5 "$(json_get "$out" exit_code)"
  assert_eq true "$(json_get "$out" state_lost)"
  assert_eq "[]" "$(sx "$S" 'echo "[$X]"')"
  # a call on the new shell that outlasts the relay's output polling is still answered, and a
  # timeout is a timeout (the relay watches the kernel it started, not the one that exited)
  "$ORCH" session exec "$S" --json -c 'exit 4' >/dev/null
  assert_eq "done" "$(sx "$S" 'sleep 0.5; echo done')"
  "$ORCH" session exec "$S" --json -c 'exit 4' >/dev/null
  out=$("$ORCH" session exec "$S" --json --timeout 1 -c 'sleep 30')
  assert_eq timeout "$(json_get "$out" status)"
}

test_kernel_restarts_after_timeout() {
  setup; new_session -t python
  sx "$S" 'x = 1' || fail "define"
  start=$(date +%s)
  out=$("$ORCH" session exec "$S" --json --timeout 1 -c 'import time; time.sleep(30)')
  [ $(( $(date +%s) - start )) -lt 10 ] || fail "the timeout did not cut the call short"
  assert_eq timeout "$(json_get "$out" status)"
  assert_eq true "$(json_get "$out" state_lost)"
  assert_rc 124 sx "$S" 'while True: pass' --timeout 1 2>/dev/null
  assert_eq 2 "$(sx "$S" 'print(1 + 1)')"
  assert_rc 1 sx "$S" 'x' 2>/dev/null
  new_session -t bash
  sx "$S" 'export Y=1' || fail "define"
  assert_rc 124 sx "$S" 'sleep 30' --timeout 1 2>/dev/null
  assert_eq "[]" "$(sx "$S" 'echo "[$Y]"')"
}

test_upload_download_binary_roundtrip() {
  setup; new_session -t minimal
  head -c 300000 /dev/urandom >"$SCRATCH/blob"
  printf '\0\377\0end' >>"$SCRATCH/blob"
  "$ORCH" session upload "$S" "$SCRATCH/blob" data/in/blob.bin || fail "upload"
  assert_eq 300006 "$(sx "$S" 'stat -c %s data/in/blob.bin')"
  "$ORCH" session download "$S" /workspace/data/in/blob.bin "$SCRATCH/back" || fail "download"
  cmp "$SCRATCH/blob" "$SCRATCH/back" || fail "the file changed on the round trip"
  out=$("$ORCH" session files "$S" data/in --json)
  assert_eq data/in/blob.bin "$(json_get "$out" 0.path)"
  assert_eq 300006 "$(json_get "$out" 0.size)"
  assert_contains "$("$ORCH" session files "$S" -r)" "data/in/blob.bin"
}

test_path_tricks_refused() {
  setup; new_session -t python
  echo secret >"$SCRATCH/f"
  sx "$S" 'import os; os.symlink("/etc/passwd", "out_link"); os.symlink("/etc", "etc_dir"); os.symlink("real.txt", "in_link"); open("real.txt", "w").write("inside"); os.mkdir("adir"); os.mkfifo("fifo")' || fail "setup links"
  for p in ../etc/passwd /etc/passwd a/../../x out_link etc_dir/passwd /workspace/../etc/passwd adir fifo; do
    "$ORCH" session download "$S" "$p" "$SCRATCH/got" 2>"$SCRATCH/err"
    rc=$?
    [ "$rc" -ne 0 ] || fail "download of $p was allowed"
    [ ! -e "$SCRATCH/got" ] || fail "download of $p wrote a file"
  done
  assert_contains "$(cat "$SCRATCH/err")" "not a regular file"
  assert_rc 2 "$ORCH" session download "$S" out_link "$SCRATCH/got" 2>/dev/null
  assert_contains "$("$ORCH" session download "$S" out_link "$SCRATCH/got" 2>&1)" "outside /workspace"
  for p in ../x /tmp/x etc_dir/x out_link /workspace; do
    "$ORCH" session upload "$S" "$SCRATCH/f" "$p" 2>/dev/null && fail "upload to $p was allowed"
  done
  assert_rc 2 "$ORCH" session files "$S" /etc 2>/dev/null
  assert_rc 2 "$ORCH" session files "$S" etc_dir 2>/dev/null
  # positive controls: a link that stays inside works, and nothing was written through the links
  "$ORCH" session download "$S" in_link "$SCRATCH/ok" || fail "a link inside /workspace was refused"
  assert_eq inside "$(cat "$SCRATCH/ok")"
  assert_eq "False" "$(sx "$S" 'import os; print(os.path.exists("/tmp/x"))')"
  # size cap
  sx "$S" 'open("big", "wb").write(b"x" * 5000)' >/dev/null
  assert_rc 2 "$ORCH" session download "$S" big "$SCRATCH/big" --max-size 1000 2>/dev/null
  # the host never follows a link when writing a download
  ln -s "$SCRATCH/target" "$SCRATCH/hostlink"
  "$ORCH" session download "$S" real.txt "$SCRATCH/hostlink" 2>/dev/null && fail "the download followed a host link"
  [ ! -e "$SCRATCH/target" ] || fail "a file appeared behind the host link"
}

test_plot_returned_as_png() {
  setup; new_session -t python-data
  "$ORCH" session exec "$S" --out "$SCRATCH/figs" -c 'import matplotlib.pyplot as plt
plt.plot([1, 2, 3], [3, 1, 2])' >/dev/null 2>&1 || fail "plot"
  f=$(ls "$SCRATCH/figs"/*.png) || fail "no png saved"
  python3 - "$f" <<'EOF' || fail "not a valid PNG"
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "magic"
n, kind = struct.unpack(">I4s", d[8:16])
assert kind == b"IHDR"
w, h = struct.unpack(">II", d[16:24])
assert w > 100 and h > 100
assert zlib.crc32(d[12:16 + n]) == struct.unpack(">I", d[16 + n:20 + n])[0], "crc"
EOF
  out=$("$ORCH" session exec "$S" --json -c 'plt.figure(); plt.bar([1], [2]); plt.show()')
  assert_eq image/png "$(json_get "$out" artifacts.0.mime)"
  b64=$(json_get "$out" artifacts.0.content_base64)
  assert_eq "89504e470d0a1a0a" "$(echo "$b64" | base64 -d | head -c 8 | od -An -tx1 | tr -d ' \n')"
  # a call without figures returns none (figures are closed after being sent)
  out=$("$ORCH" session exec "$S" --json -c '1')
  assert_eq "[]" "$(json_get "$out" artifacts)"
}

test_dataframe_as_text_and_html() {
  setup; new_session -t python-data
  out=$("$ORCH" session exec "$S" --json -c 'import pandas as pd
pd.DataFrame({"a": [1, 2], "b": [3, 4]})')
  assert_contains "$(json_get "$out" displays.0.data.text/plain)" "a  b"
  html=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["displays"][0]["data"]["text/html"])' "$out")
  assert_contains "$html" "<table"
  assert_eq true "$(json_get "$out" displays.0.main)"
}

test_ttl_expiry_without_orch() {
  setup; new_session -t minimal --ttl 3
  c=$(container_of "$S")
  [ -n "$c" ] || fail "no container"
  pgrep -x orch >/dev/null && echo "note: another orch process runs; this test does not use it"
  # no orch process of ours runs from here on: the sandbox must stop and vanish by itself
  wait_for 200 gone "$S" || fail "the session outlived its TTL"
  assert_rc 3 "$ORCH" session show "$S" 2>/dev/null
}

test_extend_moves_expiry() {
  # The first TTL leaves room for a loaded engine between the create and the extend (4 s did not
  # always, through the Kubernetes double in CI).
  setup; new_session -t minimal --ttl 10
  "$ORCH" session extend "$S" --ttl 120 >/dev/null || fail "extend"
  left=$(json_get "$("$ORCH" session show "$S")" expires_in)
  [ "$left" -gt 100 ] || fail "ls shows the old expiry ($left s left)"
  sleep 11
  assert_eq running "$(json_get "$("$ORCH" session show "$S")" state)" "the session outlived its original TTL"
  gc=$("$ORCH" gc --dry-run --json) || fail "orch gc"
  assert_contains "$(json_get "$gc" kept)" "$S" "orch gc sees the session (control)"
  assert_not_contains "$(json_get "$gc" removed)" "$S" "orch gc must read the extended expiry"
  "$ORCH" session extend "$S" --ttl 2 >/dev/null || fail "shorten"
  wait_for 150 gone "$S" || fail "a shortened TTL was not enforced"
}

test_sandbox_cannot_extend_or_stop_supervisor() {
  setup; new_session -t bash --ttl 60
  assert_rc 1 sx "$S" 'echo 9999999999 > /tmp/.orch/ctl/expires' 2>/dev/null
  assert_rc 1 sx "$S" 'kill -9 1' 2>/dev/null
  assert_rc 1 sx "$S" 'rm -rf /tmp/.orch/ctl' 2>/dev/null
  assert_eq 1000 "$(sx "$S" 'id -u')" "code runs as the sandbox user"
  assert_eq running "$(json_get "$("$ORCH" session show "$S")" state)"
}

test_sessions_isolated() {
  setup
  new_session -t python --net private; A=$S
  new_session -t python --net private; B=$S
  sx "$A" 'open("only_a.txt", "w").write("a")' || fail "write"
  assert_contains "$("$ORCH" session files "$A")" only_a.txt
  assert_not_contains "$("$ORCH" session files "$B")" only_a.txt
  assert_rc 3 "$ORCH" session download "$B" only_a.txt "$SCRATCH/x" 2>/dev/null
  [ ! -e "$SCRATCH/x" ] || fail "B read A's file"
  sx "$A" 'import subprocess, sys; srv = subprocess.Popen([sys.executable, "-m", "http.server", "8001"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)' || fail "server"
  ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(container_of "$A")")
  [ -n "$ip" ] || fail "A has no address"
  probe="import socket, time
for i in range(TRIES):
    try:
        socket.create_connection(('$ip', 8001), timeout=1).close(); print('open'); break
    except OSError as e:
        err = e; time.sleep(0.1)
else:
    print('closed')"
  assert_eq open "$(sx "$A" "TRIES = 40
$probe")" "A reaches its own server (control)"
  assert_eq closed "$(sx "$B" "TRIES = 3
$probe")" "B must not reach A"
}

test_service_reachable_only_from_its_session() {
  setup
  new_session -t python --net private; A=$S
  new_session -t python --net private; B=$S
  url=$("$ORCH" session service "$A" --image orch/python:latest --name web --port 8000 --health / -- python3 -m http.server 8000) ||
    fail "service did not start"
  assert_eq http://web:8000 "$url"
  assert_eq 200 "$(sx "$A" "import urllib.request; print(urllib.request.urlopen('$url/', timeout=5).status)")"
  assert_contains "$("$ORCH" session ls)" web
  svc=$(docker ps -q --filter "label=orch.session=$A")
  ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$svc")
  out=$(sx "$B" "import socket
try:
    socket.create_connection(('$ip', 8000), timeout=3); print('reached')
except OSError:
    print('unreachable')")
  assert_eq unreachable "$out"
  new_session -t minimal
  assert_rc 2 "$ORCH" session service "$S" --image orch/python:latest 2>/dev/null  # no private network
}

test_rm_and_gc_leave_nothing() {
  setup
  new_session -t python --net private; A=$S
  "$ORCH" session service "$A" --image orch/python:latest --name web --port 8000 -- python3 -m http.server 8000 >/dev/null || fail "service"
  "$ORCH" session rm "$A" >/dev/null || fail "rm"
  assert_eq 0 "$(docker ps -aq --filter "label=orch.session=$A" | wc -l)" "services removed"
  assert_eq "" "$(container_of "$A")"
  assert_eq 0 "$(docker network ls -q --filter "name=orch-$A" | wc -l)" "network removed"
  # expiry with a service: the session stops itself, the service dies with it, gc removes the network
  new_session -t python --net private --ttl 4; B=$S
  "$ORCH" session service "$B" --image orch/python:latest --name web --port 8000 -- python3 -m http.server 8000 >/dev/null || fail "service"
  wait_for 200 gone "$B" || fail "session outlived its TTL"
  wait_for 100 services_gone "$B" || fail "the service outlived its session"
  # Another suite's `orch serve` janitor (a gc every 30 s, engine-wide) may take the network first:
  # then this gc has nothing left to do; otherwise it must say that it removed it.
  left=$(docker network ls -q --filter "name=orch-$B" | wc -l)
  out=$("$ORCH" session gc --json) || fail "gc"
  if [ "$left" = 1 ]; then assert_contains "$out" "orch-$B" "gc reports the network it removed"; fi
  assert_eq 0 "$(docker network ls -q --filter "name=orch-$B" | wc -l)" "gc removed the network"
}

test_gc_removes_expired_sessions() {
  setup; new_session -t minimal --ttl 600
  new_session -t minimal --ttl 600; keep=$S
  c=$(container_of "${SESSIONS[0]}")
  # a session past its expiry that is still running (its supervisor has not acted yet): gc removes it
  docker rename "$c" "orch-${SESSIONS[0]}-x1" || fail "setup"
  out=$("$ORCH" session gc --json)
  assert_contains "$out" "${SESSIONS[0]}"
  assert_eq "" "$(container_of "${SESSIONS[0]}")"
  assert_eq running "$(json_get "$("$ORCH" session show "$keep")" state)" "gc keeps live sessions"
}

test_names_ls_show() {
  setup; new_session -t minimal --name "it-$$" --label team=qa
  assert_rc 4 "$ORCH" session create -t minimal --name "it-$$" 2>/dev/null
  rec=$("$ORCH" session show "it-$$")
  assert_eq "$S" "$(json_get "$rec" id)"
  assert_eq qa "$(json_get "$rec" labels.team)"
  assert_contains "$("$ORCH" session ls)" "it-$$"
  assert_eq "$S" "$(sx "it-$$" 'echo $ORCH_SESSION_ID')"
  assert_rc 3 "$ORCH" session show s-000000000000 2>/dev/null
  assert_rc 2 "$ORCH" session create --net nope 2>/dev/null
}
