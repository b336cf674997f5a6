"""The slice of the Docker Engine API the Kubernetes test double needs, over the engine's unix socket."""
import http.client
import json
import os
import socket
import struct
import urllib.parse


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class DockerError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Docker:
    def __init__(self):
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        if not host.startswith("unix://"):
            raise SystemExit("the Kubernetes double needs a unix:// DOCKER_HOST")
        self.path = host[len("unix://"):]

    def call(self, method, path, body=None, query=None, timeout=120):
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        conn = UnixConnection(self.path, timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, "/v1.41" + path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        if resp.status >= 300:
            try:
                message = json.loads(raw).get("message", raw.decode(errors="replace"))
            except ValueError:
                message = raw.decode(errors="replace")
            raise DockerError(resp.status, message)
        return json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith("application/json") else raw

    def hijack(self, path, body=None, query=None):
        """POSTs with Upgrade: tcp and returns the raw socket carrying the multiplexed stream."""
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.path)
        data = json.dumps(body if body is not None else {}).encode()
        sock.sendall(("POST /v1.41%s HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                      "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: %d\r\n\r\n" % (path, len(data))).encode() + data)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            if not chunk:
                raise DockerError(502, "the engine closed the attach connection")
            head += chunk
        status = int(head.split(b" ", 2)[1])
        if status != 101 and status != 200:
            sock.close()
            raise DockerError(status, head.decode(errors="replace"))
        return sock

    def logs(self, cid, follow=False, tail=None):
        """Yields (stream, bytes) from a container's log, demultiplexed."""
        query = {"stdout": 1, "stderr": 1, "follow": int(follow)}
        if tail is not None:
            query["tail"] = str(tail)
        conn = UnixConnection(self.path, timeout=None if follow else 120)
        conn.request("GET", "/v1.41/containers/%s/logs?%s" % (cid, urllib.parse.urlencode(query)))
        resp = conn.getresponse()
        if resp.status != 200:
            raise DockerError(resp.status, resp.read().decode(errors="replace"))
        try:
            yield from demux(resp.read)
        finally:
            conn.close()


def read_exact(read, n):
    out = b""
    while len(out) < n:
        chunk = read(n - len(out))
        if not chunk:
            return None
        out += chunk
    return out


def demux(read):
    """Splits Docker's 8-byte-framed stream into (1 stdout | 2 stderr, payload) until it ends."""
    while True:
        head = read_exact(read, 8)
        if head is None:
            return
        kind, size = head[0], struct.unpack(">I", head[4:8])[0]
        payload = read_exact(read, size)
        if payload is None:
            return
        yield kind, payload
