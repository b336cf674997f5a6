# orch session kernel for Python (after lib/frames.py). Two modes:
#   relay [NAME [CWD]]: what each `docker exec` runs; pipes its stdin/stdout to the unix socket of
#          kernel NAME (default "python"), starting it in CWD first when none is running.
#   serve NAME CWD: the long-lived interpreter; keeps one namespace across requests.
# Frames both ways. Requests: exec (code), run (JSON {code, env}: env set for that execution only),
# ping. SIGINT interrupts the running code. Replies: out, err (raw bytes), display, error, done
# (JSON). Kernels live in $ORCH_KERNEL_DIR (default /tmp/.orch/k), one directory per NAME.
import socket
import sys

NAME = sys.argv[2] if len(sys.argv) > 2 else "python"
CWD = sys.argv[3] if len(sys.argv) > 3 else "/workspace"
DIR = os.path.join(os.environ.get("ORCH_KERNEL_DIR", "/tmp/.orch/k"), NAME)
SOCK = DIR + "/sock"


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(SOCK)
        return s
    except OSError:
        s.close()
        return None


def connect_or_spawn():
    import fcntl
    import subprocess
    import time
    os.makedirs(DIR, mode=0o700, exist_ok=True)
    s = connect()
    if s:
        return s
    with open(DIR + "/spawn.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        s = connect()
        if s:
            return s
        try:
            os.unlink(SOCK)
        except FileNotFoundError:
            pass
        subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", NAME, CWD], cwd=CWD,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            s = connect()
            if s:
                return s
            time.sleep(0.005)
    sys.stderr.write("orch: the python kernel did not start\n")
    sys.exit(1)


def relay():
    import select
    s = connect_or_spawn()
    inputs = [0, s]
    while inputs:
        ready, _, _ = select.select(inputs, [], [])
        if 0 in ready:
            data = os.read(0, 65536)
            if data:
                s.sendall(data)
            else:
                inputs.remove(0)
                s.shutdown(socket.SHUT_WR)
        if s in ready:
            data = s.recv(65536)
            if not data:
                return
            view = memoryview(data)
            while view:
                view = view[os.write(1, view):]


# ---- the kernel -------------------------------------------------------------------------------

class Kernel:
    def __init__(self):
        import threading
        self.lock = threading.Lock()  # one writer at a time on the current connection
        self.conn = None
        self.count = 0
        self.running = False
        self.ns = {"__name__": "__main__", "__builtins__": __builtins__, "display": self.display}

    def send(self, kind, payload):
        with self.lock:
            if self.conn is None:
                return
            try:
                self.conn.sendall(frame(kind, payload))
            except OSError:
                self.conn = None

    def send_json(self, kind, obj):
        import json
        self.send(kind, json.dumps(obj, default=str))

    # Output written to fds 1 and 2 (print, subprocesses) reaches us through pipes.
    def capture_fds(self):
        import threading
        self.pipes = {}
        for fd, kind in ((1, "out"), (2, "err")):
            r, w = os.pipe()
            os.dup2(w, fd)
            os.close(w)
            self.pipes[r] = [kind, b"", None, threading.Event()]
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        threading.Thread(target=self.pump_fds, daemon=True).start()

    def pump_fds(self):
        import select
        while True:
            ready, _, _ = select.select(list(self.pipes), [], [])
            for r in ready:
                st = self.pipes[r]
                data = st[1] + os.read(r, 65536)
                tok = st[2]
                if tok is not None and tok in data:
                    before, _, after = data.partition(tok)
                    if before:
                        self.send(st[0], before)
                    st[1], st[2] = b"", None
                    st[3].set()
                    if after:
                        self.send(st[0], after)
                    continue
                keep = len(tok) - 1 if tok is not None else 0
                while keep and not data.endswith(tok[:keep]):
                    keep -= 1
                out, st[1] = (data[:-keep], data[-keep:]) if keep else (data, b"")
                if out:
                    self.send(st[0], out)

    def drain(self):
        # Waits until everything written to fds 1 and 2 so far has been sent: a random token marks the end.
        for f in (sys.stdout, sys.stderr):
            try:
                f.flush()
            except Exception:
                pass
        for r, st in self.pipes.items():
            st[3].clear()
            st[2] = b"\x00orch-sync-" + os.urandom(12).hex().encode()
            os.write(1 if st[0] == "out" else 2, st[2])
        for st in self.pipes.values():
            st[3].wait(2)

    def bundle(self, value):
        import base64
        data = {"text/plain": repr(value)}
        for meth, mime in (("_repr_html_", "text/html"), ("_repr_markdown_", "text/markdown"),
                           ("_repr_svg_", "image/svg+xml"), ("_repr_png_", "image/png"),
                           ("_repr_jpeg_", "image/jpeg"), ("_repr_latex_", "text/latex"),
                           ("_repr_json_", "application/json")):
            fn = getattr(value, meth, None)
            if not callable(fn):
                continue
            try:
                v = fn()
            except Exception:
                continue
            if v is None:
                continue
            if isinstance(v, (bytes, bytearray)):
                v = base64.b64encode(v).decode()
            elif not isinstance(v, str):
                import json
                v = json.dumps(v, default=str)
            data[mime] = v
        return data

    def display(self, *values):
        self.drain()
        for v in values:
            self.send_json("display", {"data": self.bundle(v), "main": False})

    def send_figures(self):
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return
        import base64
        import io
        for num in plt.get_fignums():
            buf = io.BytesIO()
            try:
                plt.figure(num).savefig(buf, format="png")
            except Exception as e:
                self.send("err", "orch: could not render figure %s: %s\n" % (num, e))
                continue
            self.send_json("display", {"data": {"image/png": base64.b64encode(buf.getvalue()).decode(),
                                                "text/plain": "<Figure %s>" % num},
                                       "main": False, "name": "figure-%d.png" % num})
        plt.close("all")

    def guarded_run(self, code, env):
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update({str(k): str(v) for k, v in env.items()})
        self.running = True
        try:
            self.run(code)
        finally:
            self.running = False
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def run(self, code):
        import ast
        import linecache
        import traceback
        self.count += 1
        name = "<cell-%d>" % self.count
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
        status = "ok"
        try:
            tree = ast.parse(code, name)
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, name, "exec"), self.ns)
            if last is not None:
                value = eval(compile(last, name, "eval"), self.ns)
            else:
                value = None
            self.running = False  # an interrupt from here on would hit orch's own code
            if value is not None:
                self.ns["_"] = value
                self.drain()  # output printed before the value goes out before it
                self.send_json("display", {"data": self.bundle(value), "main": True})
        except BaseException as e:  # SystemExit and KeyboardInterrupt too: the kernel lives on
            self.running = False
            status = "error"
            tb = e.__traceback__
            if tb is not None and tb.tb_frame.f_code.co_filename == __file__:
                tb = tb.tb_next
            if isinstance(e, SyntaxError):
                lines = traceback.format_exception_only(type(e), e)
            else:
                lines = traceback.format_exception(type(e), e, tb)
            self.drain()
            self.send_json("error", {"name": type(e).__name__, "value": str(e), "traceback": "".join(lines)})
        self.drain()
        try:
            self.send_figures()
        except Exception as e:
            self.send("err", "orch: figures: %s\n" % e)
        self.drain()
        self.send_json("done", {"status": status, "exit_code": 0 if status == "ok" else 1,
                                "execution_count": self.count, "pid": os.getpid()})

    def on_sigint(self, signum, frame):
        if self.running:
            raise KeyboardInterrupt

    def handle(self, conn, kind, payload):
        self.conn = conn
        if kind == b"exec":
            self.guarded_run(payload.decode("utf-8", "replace"), {})
        elif kind == b"run":
            import json
            req = json.loads(payload.decode("utf-8", "replace"))
            self.guarded_run(req.get("code", ""), req.get("env") or {})
        else:
            self.send_json("done", {"status": "ok", "exit_code": 0, "execution_count": self.count, "pid": os.getpid()})


def serve():
    import selectors
    import signal
    os.chdir(CWD)
    sys.path[0] = CWD
    k = Kernel()
    signal.signal(signal.SIGINT, k.on_sigint)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    k.capture_fds()
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(SOCK)
    lsock.listen(16)
    with open(DIR + "/pid.tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(DIR + "/pid.tmp", DIR + "/pid")
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    readers = {}
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lsock:
                c, _ = lsock.accept()
                readers[c] = FrameReader()
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                del readers[s]
                s.close()
                continue
            for kind, payload in readers[s].feed(data):
                k.handle(s, kind, payload)

if __name__ == "__main__":
    if sys.argv[1:2] == ["relay"]:
        relay()
    elif sys.argv[1:2] == ["serve"]:
        serve()
    else:
        sys.exit("usage: python_kernel.py relay|serve [NAME [CWD]]")
