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
  # control: with the network on, the gateway listener answers
  out=$("$ORCH" run --net bridge --timeout 20 -c "import urllib.request; print(urllib.request.urlopen('http://$GATEWAY:$HOST_PORT/', timeout=5).status)" 2>&1)
  assert_eq 200 "$out" "control: a bridge sandbox reaches the host listener"
  both case_network_off
  kill "$web"
}

