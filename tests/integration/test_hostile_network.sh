# Hostile-input battery: what a sandbox without a network can reach.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# Network off: nothing is reachable, not even orch's own port or the bridge gateway.

NET_PROBE='import socket, sys, urllib.request
gw, port, orch_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def tcp(host, p):
    try:
        socket.create_connection((host, p), timeout=2).close(); return "open"
    except OSError:
        return "blocked"
def http(url):
    try:
        urllib.request.urlopen(url, timeout=2); return "open"
    except Exception:
        return "blocked"
def udp():
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
        s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01", ("8.8.8.8", 53))
        s.recvfrom(512); return "open"
    except OSError:
        return "blocked"
def dns():
    try:
        socket.getaddrinfo("example.com", 80); return "open"
    except OSError:
        return "blocked"
r = [http(f"http://{gw}:{port}/"), http("http://example.com/"), tcp("1.1.1.1", 443), udp(), dns(), tcp(gw, port),
     tcp("169.254.169.254", 80), http("http://169.254.169.254/latest/meta-data/"), tcp("127.0.0.1", orch_port), tcp(gw, orch_port)]
ifaces = sorted(n for _, n in socket.if_nameindex())
print(" ".join(r), ",".join(ifaces))'

case_network_off() {
  local orch_port=${BASE:-x:8420}; orch_port=${orch_port##*:}
  hrun --timeout 40 -c "$NET_PROBE" --arg "$GATEWAY" --arg "$HOST_PORT" --arg "${orch_port:-8420}"
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq "blocked blocked blocked blocked blocked blocked blocked blocked blocked blocked lo" "$(jf stdout | tr -d '\n')" "[$MODE] reached the network"
}
test_network_off_reaches_nothing() {
  scratch
  # A listener on every host address, so "blocked" is not just "nobody there".
  HOST_PORT=$(free_port)
  "$PY" -m http.server "$HOST_PORT" --bind 0.0.0.0 --directory "$SCRATCH" >/dev/null 2>&1 &
  local web=$!
  wait_for 50 curl -sf "http://127.0.0.1:$HOST_PORT/" || fail "host listener did not start"
  # control: a container on the bridge without orch's guard reaches the gateway listener
  out=$(docker run --rm --network bridge orch/python:latest python3 -c "import urllib.request; print(urllib.request.urlopen('http://$GATEWAY:$HOST_PORT/', timeout=5).status)" 2>&1)
  assert_eq 200 "$out" "control: a bridge container reaches the host listener"
  both case_network_off
  kill "$web"
}


# ---------------------------------------------------------------------------------------------------
# Network on: the bridge reaches public addresses (and private ones with lan), never this host or
# link-local addresses, through the CLI, the server and sessions.

# A lab torn down with the test: a network namespace behind a veth pair, routed from this host,
# holding one HTTP server on a "public" address (198.18.X.10, the benchmarking range), a private
# one (its end of the link, 10.213.X.2) and a link-local one (169.254.X.Y, the range of the cloud
# metadata address, which is left alone) with a DNS-like listener on port 53 beside it (only the
# sandbox's own resolvers may be asked); and a listener on every address of this host.
netlab_up() {
  local n=$((RANDOM % 200 + 20))
  LAB=olab$$ LAB_V=ol$$ LAB_PORT=$(free_port) HOST_PORT=$(free_port)
  LAB_PUBLIC=198.18.$n.10 LAB_PRIVATE=10.213.$n.2 LAB_HOST=10.213.$n.1 LAB_LL=169.254.$n.$((RANDOM % 200 + 20))
  trap 'netlab_down; stop_server' EXIT
  ip netns add "$LAB" || fail "ip netns add (the lab needs root)"
  ip link add "${LAB_V}h" type veth peer name "${LAB_V}n"
  ip link set "${LAB_V}n" netns "$LAB"
  ip addr add "$LAB_HOST/30" dev "${LAB_V}h" && ip link set "${LAB_V}h" up
  ip netns exec "$LAB" sh -c "ip addr add $LAB_PRIVATE/30 dev ${LAB_V}n && ip link set ${LAB_V}n up && ip link set lo up &&
    ip addr add $LAB_PUBLIC/32 dev lo && ip addr add $LAB_LL/32 dev lo && ip route add default via $LAB_HOST" || fail "lab addresses"
  ip route add "$LAB_PUBLIC/32" via "$LAB_PRIVATE" && ip route add "$LAB_LL/32" via "$LAB_PRIVATE" || fail "lab routes"
  ip netns exec "$LAB" "$PY" -m http.server "$LAB_PORT" --bind 0.0.0.0 --directory "$SCRATCH" >/dev/null 2>&1 &
  LAB_WEB=$!
  ip netns exec "$LAB" "$PY" -m http.server 53 --bind 0.0.0.0 --directory "$SCRATCH" >/dev/null 2>&1 &
  LAB_DNS=$!
  "$PY" -m http.server "$HOST_PORT" --bind 0.0.0.0 --directory "$SCRATCH" >/dev/null 2>&1 &
  HOST_WEB=$!
  wait_for 50 curl -sf "http://$LAB_PUBLIC:$LAB_PORT/" || fail "the lab's server did not start"
  wait_for 50 curl -sf "http://$LAB_LL:53/" || fail "the lab's port 53 listener did not start"
  wait_for 50 curl -sf "http://127.0.0.1:$HOST_PORT/" || fail "the host listener did not start"
  HOST_ADDR=$(ip -4 -o addr show scope global | awk '{sub(/\/.*/, "", $4); print $4}' | grep -v "^$GATEWAY\$" | head -n1)
}
netlab_down() {
  [ -f "$SCRATCH/cleanup" ] && bash "$SCRATCH/cleanup"
  kill "${LAB_WEB:-}" "${LAB_DNS:-}" "${HOST_WEB:-}" 2>/dev/null
  ip route del "$LAB_PUBLIC/32" 2>/dev/null; ip route del "$LAB_LL/32" 2>/dev/null
  ip link del "${LAB_V}h" 2>/dev/null; ip netns del "$LAB" 2>/dev/null
  [ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}

# Prints open/blocked for: the gateway, another host address and the host's end of the lab link
# (all this host's own), the link-local server, the private server, the public server, and port 53
# on the link-local address (not a resolver of the sandbox's).
REACH_PROBE='import socket, sys
def tcp(host, p):
    try:
        socket.create_connection((host, int(p)), timeout=3).close(); return "open"
    except OSError:
        return "blocked"
hp, lp = sys.argv[1], sys.argv[2]
print(" ".join([tcp(a, hp) for a in sys.argv[3:6]] + [tcp(a, lp) for a in sys.argv[6:9]] + [tcp(sys.argv[6], 53)]))'
reach_args() { echo "$HOST_PORT" "$LAB_PORT" "$GATEWAY" "${HOST_ADDR:-$GATEWAY}" "$LAB_HOST" "$LAB_LL" "$LAB_PRIVATE" "$LAB_PUBLIC"; }

case_bridge_reaches_only_public() {
  local a args=()
  for a in $(reach_args); do args+=(--arg "$a"); done
  hrun --net bridge --timeout 30 -c "$REACH_PROBE" "${args[@]}"
  assert_eq ok "$STATUS" "[$MODE] status: $(jf stderr)"
  assert_eq "blocked blocked blocked blocked blocked open blocked" "$(jf stdout | tr -d '\n')" "[$MODE] bridge"
  hrun --net lan --timeout 30 -c "$REACH_PROBE" "${args[@]}"
  assert_eq "blocked blocked blocked blocked open open blocked" "$(jf stdout | tr -d '\n')" "[$MODE] lan"
}
test_network_on_reaches_neither_this_host_nor_link_local() {
  scratch
  netlab_up
  # control: a container on the same bridge without orch's guard reaches every one of them
  # shellcheck disable=SC2046
  out=$(docker run --rm --network bridge orch/python:latest python3 -c "$REACH_PROBE" $(reach_args))
  assert_eq "open open open open open open open" "$out" "control: the lab is reachable from the bridge"
  # (in a subshell: the servers `both` starts set traps of their own)
  (SERVE_FLAGS="--allow-net --allow-lan" both case_bridge_reaches_only_public) || exit 1
  # a server without --allow-lan refuses lan
  (scratch; start_server --allow-net
   r=$(post /v1/run '{"code":"print(1)","network":"lan"}')
   assert_eq 400 "$(status_of "$r")" "lan without --allow-lan"
   assert_contains "$(body_of "$r")" "allow-lan") || exit 1
  # a read-only workspace (aurea's POST /run) starts its sandbox another way: the guard still goes first
  (scratch; start_server --allow-net
   # shellcheck disable=SC2046
   body=$("$PY" -c 'import json, sys; print(json.dumps({"language": "python", "code": sys.argv[1], "args": sys.argv[2:], "network": "bridge", "readonly": True, "timeout": 30}))' "$REACH_PROBE" $(reach_args))
   r=$(post /run "$body")
   assert_eq 200 "$(status_of "$r")" "$(body_of "$r")"
   assert_eq "blocked blocked blocked blocked blocked open blocked" "$(json_get "$(body_of "$r")" stdout | tr -d '\n')" "readonly run on the bridge") || exit 1
  # sessions: bridge is guarded before the first call; a private network reaches only its own
  # services, not even its own gateway address (which a plain internal network does reach)
  unset ORCH_HOST
  docker network create --internal --label orch.test=network "olab$$" >/dev/null || fail "control network"
  echo "docker network rm olab$$ >/dev/null 2>&1" >>"$SCRATCH/cleanup"
  gw=$(docker network inspect "olab$$" -f '{{(index .IPAM.Config 0).Gateway}}')
  out=$(docker run --rm --network "olab$$" orch/python:latest python3 -c "$REACH_PROBE" "$HOST_PORT" "$LAB_PORT" "$gw" "$gw" "$gw" x x x 2>&1)
  assert_eq "open open open" "${out:0:14}" "control: a plain internal network reaches its gateway"
  printf '%s' "$REACH_PROBE" >"$SCRATCH/probe.py"
  local s gw args pid rules
  for net in bridge private; do
    s=$("$ORCH" session create -t python --net "$net") || fail "session --net $net"
    echo "\"$ORCH\" session rm $s >/dev/null 2>&1" >>"$SCRATCH/cleanup"
    gw=$GATEWAY
    [ "$net" = private ] && gw=$(docker network inspect "orch-$s" -f '{{(index .IPAM.Config 0).Gateway}}')
    args=$(reach_args | sed "s/ $GATEWAY / $gw /; s/[^ ]*/'&'/g; s/ /, /g")
    "$ORCH" session upload "$s" "$SCRATCH/probe.py" probe.py || fail "upload"
    out=$("$ORCH" session exec "$s" -c "import subprocess; print(subprocess.run(['python3', 'probe.py', $args], capture_output=True, text=True).stdout.strip())")
    if [ "$net" = bridge ]; then
      # DNS stays open to the sandbox's own resolvers, and port 53 nowhere else
      pid=$(docker inspect -f '{{.State.Pid}}' "$(docker ps -q --filter "label=orch.id=$s")")
      rules=$(nsenter -t "$pid" -n iptables -S OUTPUT)
      local ns_count=0 r
      for r in $(awk '$1 == "nameserver" { print $2 }' "/proc/$pid/root/etc/resolv.conf"); do
        assert_contains "$rules" "-A OUTPUT -d $r/32 -p udp -m udp --dport 53 -j ACCEPT" "resolver $r"
        ns_count=$((ns_count + 1))
      done
      assert_eq $((2 * ns_count)) "$(grep -c -- '--dport 53' <<<"$rules")" "port 53 rules: $rules"
    fi
    "$ORCH" session rm "$s" >/dev/null
    case $net in
      bridge) assert_eq "blocked blocked blocked blocked blocked open blocked" "$out" "session --net bridge" ;;
      private) assert_eq "blocked blocked blocked blocked blocked blocked blocked" "$out" "session --net private (gateway $gw)" ;;
    esac
  done
}
