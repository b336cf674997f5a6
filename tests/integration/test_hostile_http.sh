# Hostile-input battery: hostile HTTP requests to orch serve.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# Requests: fast 4xx, bounded memory, other clients still served.

served_fast() {  # a normal request is answered within 5 s
  local t0=$(date +%s%N)
  r=$(post /v1/run '{"code":"print(\"served\")"}' --max-time 20)
  assert_eq 200 "$(status_of "$r")" "another client was not served"
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "another client waited $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

test_huge_bodies_are_refused_fast() {
  scratch
  start_server
  head -c 100000000 /dev/zero | tr '\0' a >"$SCRATCH/big"
  base=$(server_hwm_kb)
  t0=$(date +%s%N)
  code=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/big" "$BASE/v1/run" --max-time 30)
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  assert_eq 413 "$code" "100 MB with Content-Length"
  [ "$ms" -lt 5000 ] || fail "a 100 MB body took ${ms} ms to refuse"
  # chunked, with no length announced
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary @"$SCRATCH/big" "$BASE/v1/run" --max-time 30)
  case "$code" in 413|400) ;; *) fail "a chunked 100 MB body got $code";; esac
  served_fast
  grow=$(( $(server_hwm_kb) - base ))
  [ "$grow" -lt 40000 ] || fail "the server grew by ${grow} KiB on huge bodies"
}

test_nested_and_malformed_json_is_400() {
  scratch
  start_server
  base=$(server_hwm_kb)
  head -c 15000000 /dev/zero | tr '\0' '[' >"$SCRATCH/deep"
  t0=$(date +%s%N)
  code=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/deep" "$BASE/v1/run")
  assert_eq 400 "$code" "15 MB of ["
  assert_contains "$(cat "$SCRATCH/resp")" "nested deeper"
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "deep JSON was slow to refuse"
  for i in $(seq 300000); do printf '{"a":'; done >"$SCRATCH/deep2"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/deep2" "$BASE/v1/run")
  assert_eq 400 "$code" "deep objects"
  printf '{"code":"print(1)\xff\xfe","stdin":"\xc3\x28"}' >"$SCRATCH/badutf"
  r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/badutf" "$BASE/v1/run")
  assert_eq 400 "$(status_of "$r")" "invalid UTF-8"
  "$PY" -c 'import json,sys; json.loads(sys.argv[1])' "$(body_of "$r")" || fail "the error is not JSON"
  printf '{"code":"print(1)"}\x00garbage' >"$SCRATCH/nul"
  assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$SCRATCH/nul" "$BASE/v1/run")" "trailing NUL"
  served_fast
  grow=$(( $(server_hwm_kb) - base ))
  [ "$grow" -lt 150000 ] || fail "the server grew by ${grow} KiB on deep JSON"
}

test_false_content_length_and_slow_clients() {
  scratch
  start_server --read-timeout 2
  port=${BASE##*:}
  # claims more than it sends, then stalls
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"code":"print(1)"}' >&3
  # claims more than it sends, then closes
  printf 'POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"code":' | timeout 5 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
s.settimeout(5); print(s.recv(100)[:12])' "$port" >/dev/null
  # claims less than it sends: the body is cut and is not JSON
  r=$(printf 'POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8\r\nConnection: close\r\n\r\n{"code":"print(1)"}' |
      timeout 10 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read())
s.settimeout(8); print(s.recv(200).split(b"\r\n")[0].decode())' "$port")
  assert_contains "$r" "400" "a short Content-Length"
  # a crowd of slow clients, one byte at a time
  slow=()
  for i in $(seq 20); do
    ( exec 4<>"/dev/tcp/127.0.0.1/$port"; for c in P O S T ' ' /; do printf %s "$c" >&4; sleep 1; done ) 2>/dev/null &
    slow+=($!)
  done
  sleep 0.5
  served_fast
  start=$(date +%s)
  timeout 15 cat <&3 >/dev/null
  exec 3>&-
  [ $(( $(date +%s) - start )) -le 6 ] || fail "the stalled client held its connection too long"
  wait "${slow[@]}"
  served_fast
  assert_eq ok "$(json_get "$(curl -s "$BASE/health")" status)"
}

