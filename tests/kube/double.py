#!/usr/bin/env python3
"""A Kubernetes API server test double backed by the local Docker engine.

Serves what orch and kubectl use of the core API: discovery, pods (create, get, list with label
selectors, watch, merge patches, delete), pods/log, pods/exec and pods/attach over WebSocket
(v5.channel.k8s.io and v4.channel.k8s.io) and NetworkPolicies, which it enforces the way a policy
CNI would for the shapes orch makes (deny-all: no network; a group: an internal network). Admission
applies the Pod Security "restricted" profile. Every container and network it makes carries
orch.k8s-double=<its id>, and it removes them when it stops.

  python3 double.py [--port 0] [--token T] [--tls-cert F --tls-key F [--client-ca F]] [--runtime-class gvisor=runsc]
"""
import argparse
import http.server
import os
import signal
import ssl
import sys
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docker_api import Docker  # noqa: E402
from routes import Api  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ap.add_argument("--runtime-class", action="append", default=[], help="NAME=DOCKER_RUNTIME")
    ap.add_argument("--start-delay", type=float, default=0.0, help="seconds before a pod's containers are made")
    args = ap.parse_args()

    api = Api(Docker(), instance=uuid.uuid4().hex[:10], token=args.token,
              runtimes=dict(r.split("=", 1) for r in args.runtime_class), start_delay=args.start_delay)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            if os.environ.get("ORCH_K8S_DOUBLE_LOG"):
                sys.stderr.write("double: " + fmt % a + "\n")

        def do_GET(self):
            api.handle(self, "GET")

        def do_POST(self):
            api.handle(self, "POST")

        def do_PATCH(self):
            api.handle(self, "PATCH")

        def do_DELETE(self):
            api.handle(self, "DELETE")

        def do_PUT(self):
            api.handle(self, "PUT")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    scheme = "http"
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL  # a client certificate or the bearer token
            api.client_cert_ok = True
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on %s://127.0.0.1:%d" % (scheme, server.server_address[1]), flush=True)
    print("instance %s" % api.store.instance, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        api.cleanup()


if __name__ == "__main__":
    main()
