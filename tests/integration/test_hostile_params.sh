# Hostile-input battery: parameters no request or flag can choose.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# Parameters: no request can choose privileges, capabilities, mounts, workdir or an image.

test_request_cannot_choose_privileges_or_image() {
  scratch
  start_server
  for f in '"privileged":true' '"cap_add":["SYS_ADMIN"]' '"CapAdd":["ALL"]' '"binds":["/:/host"]' '"mounts":[{"source":"/","target":"/host"}]' \
           '"volumes":{"/host":{}}' '"workdir":"/proc/self/fd/7"' '"working_dir":"/"' '"WorkingDir":"/"' '"image":"alpine"' \
           '"user":"root"' '"security_opt":["seccomp=unconfined"]' '"HostConfig":{"Privileged":true}' '"devices":["/dev/kmsg"]' \
           '"network_mode":"host"' '"pid":"host"' '"ipc":"host"' '"sysctls":{}' '"cgroup_parent":"/"' '"userns":"host"'; do
    key=$(sed 's/^"\([^"]*\)".*/\1/' <<<"$f")
    r=$(post /v1/run "{\"code\":\"print(1)\",$f}")
    assert_eq 400 "$(status_of "$r")" "$key"
    assert_contains "$(body_of "$r")" "field '$key' is not accepted"
  done
  for v in host container:abc bridge; do
    r=$(post /v1/run "{\"code\":\"print(1)\",\"network\":\"$v\"}")
    assert_eq 400 "$(status_of "$r")" "network $v"
  done
  for t in ../python orch/python:latest /python 'python/../minimal' alpine; do
    r=$(post /v1/run "{\"code\":\"print(1)\",\"template\":\"$t\"}")
    assert_eq 404 "$(status_of "$r")" "template $t"
  done
  r=$(post /v1/run '{"code":"print(1)","runtime":"runc"}')
  assert_eq 400 "$(status_of "$r")" "runtime chosen by a request"
  r=$(post /v1/run '{"code":"print(1)","memory":"64g"}')
  assert_eq 400 "$(status_of "$r")" "memory above the server's cap"
  # the lenient endpoints ignore what they do not know: the run is still locked down
  probe='import os; s=open(\"/proc/self/status\").read(); print([l.split()[1] for l in s.splitlines() if l.startswith(\"CapEff\")][0], os.getuid(), os.getcwd())'
  for path in /execute /run; do
    r=$(body_of "$(post $path "{\"language\":\"python\",\"code\":\"$probe\",\"privileged\":true,\"image\":\"alpine\",\"workdir\":\"/\",\"binds\":[\"/:/host\"]}")")
    assert_eq "0000000000000000 1000 /workspace" "$(json_get "$r" stdout | tr -d '\n')" "$path"
  done
  r=$(body_of "$(post /api/v2/execute "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"$probe\"}],\"privileged\":true,\"image\":\"alpine\",\"HostConfig\":{\"Privileged\":true}}")")
  assert_eq "0000000000000000 1000 /workspace" "$(json_get "$r" run.stdout | tr -d '\n')" "piston"
  assert_eq 0 "$(containers_of_pid "$SERVER_PID")"
}

test_cli_cannot_choose_privileges_or_image() {
  for flag in --privileged '--cap-add=ALL' '-v=/:/host' '--volume=/:/host' '--workdir=/' '-w=/' '--image=alpine' '--user=root' \
              '--security-opt=seccomp=unconfined' '--mount=type=bind,src=/,dst=/h' '--device=/dev/kmsg'; do
    out=$("$ORCH" run "$flag" -c 'print(1)' 2>&1) && fail "orch run accepted $flag"
    out=$("$ORCH" session create "$flag" 2>&1) && { "$ORCH" session rm "$out" >/dev/null 2>&1; fail "session create accepted $flag"; }
    "$ORCH" session exec s-000000000000 "$flag" -c 'true' >/dev/null 2>&1 && fail "session exec accepted $flag"
  done
  out=$("$ORCH" run --net host -c 'print(1)' 2>&1) && fail "orch run --net host"
  out=$("$ORCH" session create --net host 2>&1) && fail "session create --net host"
  out=$("$ORCH" run -t ../python -c 'print(1)' 2>&1) && fail "a template path"
  # a session runs as the template's user with nothing extra, whatever the caller asked for
  S=$("$ORCH" session create -t bash) || fail "session create"
  trap '"$ORCH" session rm "$S" >/dev/null 2>&1' EXIT
  out=$("$ORCH" session exec "$S" -c 'grep CapEff /proc/self/status | cut -f2; id -u; cat /proc/self/status | grep NoNewPrivs | cut -f2')
  assert_eq "$(printf '0000000000000000\n1000\n1')" "$out"
  # the only mount is orch's own agent, read-only
  assert_eq '[["bind","/.orch-agent",false]]' "$(docker inspect -f '{{json .Mounts}}' "$(docker ps -q --filter "label=orch.id=$S")" |
    "$PY" -c 'import json,sys; print(json.dumps([[m["Type"], m["Destination"], m["RW"]] for m in json.load(sys.stdin)], separators=(",", ":")))')" "session mounts"
  assert_eq "false" "$(docker inspect -f '{{.HostConfig.Privileged}}' "$(docker ps -q --filter "label=orch.id=$S")")"
}


# Ids and names a request or a command line gives are quoted whole in errors (a NUL ended the
# message) and never raw to a terminal (an escape sequence in a name drove the user's terminal).
test_quoted_names_are_whole_and_inert() {
  scratch
  start_server
  local r
  r=$(curl -s "$BASE/v1/runs/ab%00cd")
  assert_contains "$r" "no run 'ab\\\\x00cd'"
  r=$(curl -s "$BASE/v1/sessions/ab%1b%5b31mred")
  assert_contains "$r" "no session 'ab\\\\x1b[31mred'"
  "$ORCH" session rm "$(printf 'ab\033]0;pwned\007')" 2>"$SCRATCH/err"
  assert_eq 3 "$?" "exit code of an unknown session"
  assert_contains "$(cat "$SCRATCH/err")" "no session 'ab\\x1b]0;pwned\\x07'"
  [ "$(tr -d -c '\033\007' <"$SCRATCH/err" | wc -c)" = 0 ] || fail "a raw escape reached stderr: $(od -c "$SCRATCH/err" | head -3)"
  "$ORCH" run -l bash --env "$(printf 'K\033[2J=v')" -c true 2>"$SCRATCH/err2"
  assert_eq 125 "$?" "orch run's own failures are 125, as docker run's"
  "$ORCH" templates show "$(printf 'x\033[2J')" 2>>"$SCRATCH/err2"
  "$ORCH" run --bogus "$(printf '\033[2J')" 2>>"$SCRATCH/err2"
  [ "$(wc -l <"$SCRATCH/err2")" -ge 3 ] || fail "an error went missing: $(cat -v "$SCRATCH/err2")"
  [ "$(tr -d -c '\033' <"$SCRATCH/err2" | wc -c)" = 0 ] || fail "a raw escape reached stderr: $(cat -v "$SCRATCH/err2")"
  # Names a sandbox's code chooses: a session's listing and the files --out did not save.
  local sid
  sid=$("$ORCH" session create -t python) || fail "session create"
  "$ORCH" session exec "$sid" -c 'open("/workspace/\x1b]0;PWNED\x07\x1b[2JEVIL", "w").write("x")' >/dev/null
  "$ORCH" session files "$sid" >"$SCRATCH/list" 2>&1
  "$ORCH" session rm "$sid" >/dev/null
  assert_contains "$(cat "$SCRATCH/list")" '\x1b]0;PWNED\x07\x1b[2JEVIL'
  "$ORCH" run -l python --out "$SCRATCH/o1" -c 'import os; os.symlink("/etc/passwd", "out/\x1b[2Jlink")' 2>"$SCRATCH/err3"
  assert_contains "$(cat "$SCRATCH/err3")" 'not saved: \x1b[2Jlink: a symbolic link'
  [ "$(cat "$SCRATCH/list" "$SCRATCH/err3" | tr -d -c '\033\007' | wc -c)" = 0 ] || fail "a raw escape reached the terminal: $(cat -v "$SCRATCH/list" "$SCRATCH/err3")"
}
