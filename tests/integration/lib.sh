# Shared helpers for the integration suites. Each suite file defines functions named test_*;
# run.sh runs every one in its own subshell against the real orch binary and the real engine.

fail() {
  echo "    FAIL: $*" >&2
  exit 1
}

assert_eq() {  # expected actual [message]
  [ "$1" = "$2" ] || fail "${3:-values differ}: expected [$1], got [$2]"
}

assert_contains() {  # haystack needle [message]
  case "$1" in *"$2"*) ;; *) fail "${3:-missing text}: [$2] not in [${1:0:400}]" ;; esac
}

assert_not_contains() {
  case "$1" in *"$2"*) fail "${3:-unexpected text}: [$2] found in [${1:0:400}]" ;; esac
}

assert_rc() {  # expected_rc command...
  local want=$1; shift
  "$@"
  local got=$?
  [ "$got" = "$want" ] || fail "exit code of [$*]: expected $want, got $got"
}

# The host's python3 (Debian's; a pyenv shim costs a second per call).
PY=$(command -v /usr/bin/python3 || command -v python3)

# Value of a JSON field by dotted path (list indexes as numbers); the JSON goes through stdin.
json_get() {  # json path
  printf '%s' "$1" | "$PY" -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$2"
}

orch_containers() {  # count of orch-labelled containers
  docker ps -aq --filter label=orch.managed=1 | wc -l
}

containers_of_pid() {  # count of orch containers made by the orch process PID on this host (in any pid namespace)
  docker ps -a --filter label=orch.managed=1 --format '{{.Label "orch.pid"}}' | grep -cE "^$(hostname)(/pidns-[0-9]+)?:$1\$"
}

# A scratch directory removed when the test's subshell exits.
scratch() {
  SCRATCH=$(mktemp -d /tmp/orch-it.XXXXXX)
  trap 'rm -rf "$SCRATCH"' EXIT
}

# Waits until a command succeeds, up to N tenths of a second.
wait_for() {  # tenths command...
  local n=$1; shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# As wait_for, for a condition written as shell text: it is evaluated again on each try (a command
# substitution passed to wait_for as an argument is expanded once, before the first try).
wait_eval() {  # tenths 'condition'
  local _tries=$1 _cond=$2
  for _ in $(seq "$_tries"); do eval "$_cond" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# A loopback port for a listener a test starts itself (git daemon, a web server). It is below the
# kernel's ephemeral range, so no outgoing connection can be holding it, and nothing listens on it.
free_port() {
  local lo hi port
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
  for _ in $(seq 50); do
    port=$((10000 + RANDOM % (lo - 10000)))
    "$PY" -c 'import socket,sys; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])))' "$port" 2>/dev/null && { echo "$port"; return 0; }
  done
  fail "no free port"
}

# Ends a test that cannot run on this machine; run.sh reports it as skipped with the reason.
skip() {
  echo "$*"
  exit 77
}
