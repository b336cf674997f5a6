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

test_many_values_big_numbers_and_bad_text_are_400() {
  scratch
  start_server
  base=$(server_hwm_kb)
  # 16 MiB of empty strings: millions of values cost some 100 bytes each once parsed.
  "$PY" -c 'import sys; sys.stdout.write("{\"code\":\"print(1)\",\"args\":[" + ",".join(["\"\""] * 5000000) + "]}")' >"$SCRATCH/many"
  t0=$(date +%s%N)
  r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' --data-binary @"$SCRATCH/many" "$BASE/v1/run")
  assert_eq 400 "$(status_of "$r")" "5 million values"
  assert_contains "$(body_of "$r")" "holds more than 100000 values"
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "many values were slow to refuse"
  grow=$(( $(server_hwm_kb) - base ))
  [ "$grow" -lt 60000 ] || fail "the server grew by ${grow} KiB on 5 million values"
  for route in /v1/run /execute /run /v1/sessions /api/v2/execute; do
    r=$(post "$route" '{"code":"print(1)","language":"python","version":"*","files":[{"content":"print(1)"}],"timeout":1e400}')
    assert_eq 400 "$(status_of "$r")" "1e400 on $route"
    assert_contains "$(body_of "$r")" "number overflow"
  done
  for path in /v1/sessions/%ff /v1/sessions/a%ffb; do
    r=$(curl -s -w '\n%{http_code}' "$BASE$path")
    case "$(status_of "$r")" in 400|404) ;; *) fail "GET $path: $r" ;; esac
    assert_not_contains "$(body_of "$r")" "json.exception"
  done
  r=$(post /v1/run '{"code":"print(1)","env":{"A=B":"v"}}')
  assert_eq 400 "$(status_of "$r")" "an env key with ="
  r=$(post /v1/run '{"code":"print(1)","args":["a\u0000b"]}')
  assert_eq 400 "$(status_of "$r")" "a NUL in an argument"
  assert_contains "$(body_of "$r")" "NUL byte"
  for files in '[{"name":"d","content":"x"},{"name":"d/e","content":"y"}]' '[{"name":"d/e","content":"y"},{"name":"d","content":"x"}]' \
               '[{"name":"main.py","content":"print(2)"}]' '[{"name":"a.txt","content":"1"},{"name":"a.txt","content":"2"}]'; do
    r=$(post /v1/run "{\"code\":\"print(1)\",\"files\":$files}")
    assert_eq 400 "$(status_of "$r")" "files $files"
  done
  # Three requests in one write are all answered (a stream per request lost the second and third).
  out=$("$PY" - "${BASE#http://}" <<'PY'
import socket, sys, time
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
s.settimeout(3)
got, end = b"", time.time() + 3
while got.count(b"HTTP/1.1 200") < 3 and time.time() < end:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    got += chunk
print(got.count(b"HTTP/1.1 200"))
PY
)
  assert_eq 3 "$out" "pipelined requests answered"
  # A credential sent twice is ambiguous (a proxy may have checked the other copy): refused.
  for h in Authorization X-API-Key; do
    r=$(curl -s -w '\n%{http_code}' -H "$h: Bearer a" -H "$h: Bearer b" "$BASE/v1/templates")
    assert_eq 400 "$(status_of "$r")" "two $h headers"
    assert_contains "$(body_of "$r")" "more than one $h header"
  done
  served_fast
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


# Slowloris: connections that trickle their heads a line at a time, and idle keep-alive ones, more
# of them than the server has threads. They wait in the server's gate, not in its workers: everyone
# else is served at once, and a head not whole within the read timeout is a 408.
SLOW_HEADS='import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
trickling, idle = [], []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n"); trickling.append(s)
    k = socket.create_connection(("127.0.0.1", port)); k.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); idle.append(k)
for k in idle:
    k.settimeout(10); assert k.recv(65536).startswith(b"HTTP/1.1 200")
print("ready", flush=True)
t0, answers = time.time(), []
while time.time() - t0 < 12 and len(answers) < n:
    for s in list(trickling):
        s.settimeout(0.05)
        try:
            d = s.recv(100)
            answers.append(d.split(b" ")[1].decode() if d.startswith(b"HTTP/1.1 ") else "closed")
            trickling.remove(s)
        except socket.timeout:
            try: s.sendall(b"X-Slow: 1\r\n")
            except OSError: answers.append("closed"); trickling.remove(s)
    time.sleep(0.5)
print(" ".join(sorted(set(answers))), len(answers), "%.0f" % (time.time() - t0), flush=True)'

test_slow_heads_and_idle_connections_cannot_take_every_thread() {
  scratch
  start_server --threads 12 --read-timeout 4
  "$PY" -c "$SLOW_HEADS" "${BASE##*:}" 40 >"$SCRATCH/slow" 2>&1 &
  local slow=$! t0
  for _ in $(seq 100); do grep -q ready "$SCRATCH/slow" && break; sleep 0.1; done
  assert_contains "$(cat "$SCRATCH/slow")" ready
  t0=$(date +%s%N)
  assert_eq ok "$(json_get "$(curl -s -m 5 "$BASE/health")" status)" "80 slow connections on 12 threads"
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ] || fail "/health waited $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  served_fast
  wait "$slow"
  # every trickled head ended with a 408 within the read timeout, not the test's 12 s
  local last; last=$(tail -1 "$SCRATCH/slow")
  assert_eq "408 40" "$(echo "$last" | cut -d' ' -f1-2)" "$(cat "$SCRATCH/slow")"
  [ "$(echo "$last" | cut -d' ' -f3)" -le 8 ] || fail "slow heads were ended after $last s"
}

# Raw HTTP: sends the bytes (then keeps sending up to EXTRA MiB of filler, as a flood would) and
# prints "STATUS CLOSED SECONDS SENT_MIB": the first answer's status, whether the server closed the
# connection, how long the answer took, how much of the flood the server let in before it did.
RAW_HTTP='import select, socket, sys, time
port, extra = int(sys.argv[1]), int(sys.argv[2])
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", port))
t0 = time.time()
sent = 0
try:
    s.sendall(data)
    chunk = b"a" * (1 << 20)
    while sent < extra << 20 and time.time() - t0 < 20:
        readable, writable, _ = select.select([s], [s], [], 1)
        if readable: break  # the answer came: the server stopped reading
        if writable: sent += s.send(chunk)
except OSError:
    pass
s.settimeout(10)
got, closed, took = b"", False, 0.0
try:
    while b"\r\n\r\n" not in got:
        d = s.recv(65536)
        if not d: closed = True; break
        got += d
    took = time.time() - t0
    s.settimeout(1.5)
    while not closed:
        if not s.recv(65536): closed = True
except socket.timeout:
    pass
except OSError:
    closed = True
took = took or time.time() - t0
status = got.split(b" ", 2)[1].decode() if got.startswith(b"HTTP/1.1 ") else "none"
print(status, "closed" if closed else "open", "%.1f" % took, sent >> 20)'

raw_http() {  # bytes-on-stdin [extra_mib]
  timeout 60 "$PY" -c "$RAW_HTTP" "${BASE##*:}" "${1:-0}"
}

# A request line or header without an end: answered at once, before authentication, and the
# server never holds more than a line's cap of it.
test_endless_request_line_and_headers_are_refused_unread() {
  scratch
  printf 'tok-http-000000000000 t\n' >"$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens"
  base=$(server_hwm_kb)
  read -r st cl secs mib < <(printf 'GET /v1/runs?' | raw_http 300)
  assert_eq "414 closed" "$st $cl" "an endless request line"
  [ "$mib" -lt 300 ] || fail "the server read all 300 MB of the request line"
  read -r st cl secs mib < <(printf 'GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: ' | raw_http 300)
  assert_eq "431 closed" "$st $cl" "an endless header"
  [ "$mib" -lt 300 ] || fail "the server read all 300 MB of the header"
  read -r st cl secs mib < <("$PY" -c 'import sys; sys.stdout.write("GET /health HTTP/1.1\r\nHost: x\r\n" + "".join("X-%d: 1\r\n" % i for i in range(5000)) + "\r\n")' | raw_http)
  assert_eq "431 closed" "$st $cl" "5000 headers"
  grow=$(( $(server_hwm_kb) - base ))
  [ "$grow" -lt 10000 ] || fail "the server grew by ${grow} KiB on endless lines"
  r=$(curl -s -w '\n%{http_code}' -H 'Authorization: Bearer tok-http-000000000000' "$BASE/v1/runs")
  assert_eq 200 "$(status_of "$r")" "the server still serves"
}

# Framing a proxy in front could read differently (request smuggling), or that makes the server
# wait: each is answered at once, 400 or 413, and the connection closes.
test_ambiguous_framing_is_refused_at_once() {
  scratch
  start_server
  body='{"code":"print(1)"}'
  n=${#body}
  check() {  # expected-status request-bytes label
    read -r st cl secs _ < <(printf '%b' "$2" | raw_http)
    assert_eq "$1 closed" "$st $cl" "$3"
    awk -v s="$secs" 'BEGIN{exit !(s < 3)}' || fail "$3 took ${secs}s to answer"
  }
  pre='POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
  check 400 "${pre}Transfer-Encoding : chunked\r\n\r\n$(printf '%x' "$n")\r\n$body\r\n0\r\n\r\n" "Transfer-Encoding with a space before the colon"
  check 400 "${pre}Content-Length: $n\r\nContent-Length: 5\r\n\r\n$body" "two different Content-Lengths"
  check 400 "${pre}Content-Length: $n\r\nTransfer-Encoding: chunked\r\n\r\n$body" "Content-Length and Transfer-Encoding"
  check 400 "${pre}Content-Length: -1\r\n\r\n$body" "a negative Content-Length"
  check 413 "${pre}Content-Length: 99999999999999999999999\r\n\r\n$body" "a huge Content-Length"
  check 413 "${pre}Content-Length: 52428800\r\nExpect: 100-continue\r\n\r\n" "Expect: 100-continue over --max-body"
  # control: the same request framed plainly works, on a connection that stays open
  r=$(printf '%b' "${pre}Content-Length: $n\r\n\r\n$body" | raw_http)
  assert_eq "200 open" "$(cut -d' ' -f1-2 <<<"$r")" "a plain request"
}

# curl -d declares a form body: JSON routes take JSON whatever the declared type, up to --max-body.
test_json_routes_take_json_whatever_the_declared_type() {
  scratch
  start_server --max-body 1m
  "$PY" -c 'import json; print(json.dumps({"code": "print(len(%r))" % ("x" * 20000)}))' >"$SCRATCH/body"
  r=$(curl -s -w '\n%{http_code}' -d @"$SCRATCH/body" "$BASE/v1/run")
  assert_eq 200 "$(status_of "$r")" "a 20 KB body sent with curl -d"
  assert_eq 20000 "$(json_get "$(body_of "$r")" stdout | tr -d '\n')"
  head -c 2000000 /dev/zero | tr '\0' x >"$SCRATCH/big"
  assert_eq 413 "$(curl -s -o /dev/null -w '%{http_code}' -d @"$SCRATCH/big" "$BASE/v1/run")" "over --max-body, form-typed"
}

# Clients following a run's logs hold a worker thread each: they are capped with the other streams
# (--threads minus 8), past which one is a 429, and the server goes on answering everyone else.
test_log_followers_cannot_take_every_thread() {
  scratch
  start_server --threads 12
  local r id i followers=""
  r=$(post /v1/run '{"code":"import time; time.sleep(20)","async":true,"timeout":30}')
  assert_eq 202 "$(status_of "$r")" "$(body_of "$r")"
  id=$(json_get "$(body_of "$r")" run_id)
  for i in 1 2 3 4; do
    curl -sN -m 25 -H 'Accept: text/event-stream' "$BASE/v1/runs/$id/logs" >/dev/null &
    followers="$followers $!"
  done
  sleep 1
  r=$(curl -s -m 5 -w '\n%{http_code}' -H 'Accept: text/event-stream' "$BASE/v1/runs/$id/logs")
  assert_eq 429 "$(status_of "$r")" "a fifth follower: $(body_of "$r")"
  assert_contains "$(body_of "$r")" "streams open"
  served_fast
  curl -s -X DELETE "$BASE/v1/runs/$id" >/dev/null
  wait $followers
}
