"""pods/exec, pods/attach and pods/log: a WebSocket (or chunked) face on Docker's streams."""
import json
import socket
import threading

import ws
from docker_api import demux


def bridge(wsock, dsock, stdin_open):
    """Copies WebSocket stdin to the Docker stream and Docker output to stdout/stderr channels until it ends."""
    def pump_in():
        try:
            while True:
                msg = wsock.receive()
                if msg is None:
                    break
                if not msg:
                    continue
                channel, data = msg[0], msg[1:]
                if channel == ws.STDIN and stdin_open:
                    dsock.sendall(data)
                elif channel == ws.CLOSE and data[:1] == bytes([ws.STDIN]):
                    dsock.shutdown(socket.SHUT_WR)
        except (OSError, ValueError):
            pass

    reader = threading.Thread(target=pump_in, daemon=True)
    reader.start()
    rfile = dsock.makefile("rb", buffering=0)
    for kind, payload in demux(rfile.read):
        wsock.send_channel(ws.STDOUT if kind == 1 else ws.STDERR, payload)


def status_for_exit(code):
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": "command terminated with non-zero exit code: exit status %d" % code,
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def run_exec(docker, cid, query, wsock):
    stdin = query.get("stdin", ["false"])[0] in ("true", "1")
    tty = query.get("tty", ["false"])[0] in ("true", "1")
    exec_id = docker.call("POST", "/containers/%s/exec" % cid, {
        "Cmd": query.get("command", []), "AttachStdin": stdin, "AttachStdout": True, "AttachStderr": True, "Tty": tty})["Id"]
    dsock = docker.hijack("/exec/%s/start" % exec_id, {"Detach": False, "Tty": tty})
    try:
        bridge(wsock, dsock, stdin)
    finally:
        dsock.close()
    code = docker.call("GET", "/exec/%s/json" % exec_id).get("ExitCode")
    wsock.send_channel(ws.STATUS, json.dumps(status_for_exit(code if code is not None else 0)).encode())


def run_attach(docker, cid, query, wsock):
    stdin = query.get("stdin", ["false"])[0] in ("true", "1")
    dsock = docker.hijack("/containers/%s/attach" % cid, query={"stream": 1, "stdin": int(stdin), "stdout": 1, "stderr": 1})
    try:
        bridge(wsock, dsock, stdin)
    finally:
        dsock.close()
    # The kubelet reports Success when an attach ends; the exit code is in the pod's status.
    wsock.send_channel(ws.STATUS, json.dumps({"metadata": {}, "status": "Success"}).encode())


def log_bytes(docker, cid, query):
    """Yields log chunks: tailLines, limitBytes and follow as the API takes them."""
    follow = query.get("follow", ["false"])[0] in ("true", "1")
    tail = query.get("tailLines", [None])[0]
    limit = int(query.get("limitBytes", ["0"])[0] or 0)
    sent = 0
    for _, payload in docker.logs(cid, follow=follow, tail=tail):
        if limit:
            payload = payload[:max(0, limit - sent)]
        if payload:
            sent += len(payload)
            yield payload
        if limit and sent >= limit:
            return
