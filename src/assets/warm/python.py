# orch warm runner (after lib/frames.py): the interpreter is up before the code exists. Answers
# "ping" frames with "\x1eORCH-READY\x1e", then reads a "run" frame holding a tar from stdin, unpacks
# it into $ORCH_WORKSPACE (default /workspace) and runs the program its .orch/run.json names as
# __main__, with the rest of stdin left untouched for the program. When it ends,
# "\x1eORCH-END-<token> <code>\x1e" goes to stdout and stderr so orch knows both streams are
# complete without waiting for the container to stop; with `linger_s` in run.json it then waits up to
# that long before it exits, for orch to remove the sandbox (with direct output, until orch closes
# "o"). With a directory as its argument it first connects to the sockets "o" and "e" there (orch's
# direct output): when orch took them, the request comes over "o", and stdout and stderr go to "o"
# and "e".
import atexit, builtins, sys
from importlib.machinery import SourceFileLoader


def _json_loads():
    # json.loads without importing json, which brings re and enum (17 ms of a sandbox's start, the
    # program's only if it imports them): CPython's own scanner, as json uses it. Made before the
    # request, as the import would cost a run a path search and a dlopen (~0.5 ms).
    try:
        import _json
    except ImportError:
        import json
        return json.loads
    ctx = type("ctx", (), {"strict": True, "object_hook": None, "object_pairs_hook": None,
                           "parse_float": float, "parse_int": int, "parse_constant": float, "memo": {}})
    scan = _json.make_scanner(ctx)
    return lambda text: scan(text.decode() if isinstance(text, bytes) else text, 0)[0]


_loads = _json_loads()


def _compiled(path):
    with open(path, "rb") as f:
        return compile(f.read(), path, "exec", dont_inherit=True)


def _main_module(path):
    # What `python3 path` runs a program in: a fresh __main__ named by the file's absolute path.
    m = type(sys)("__main__")
    m.__file__, m.__cached__, m.__package__, m.__spec__ = path, None, None, None
    m.__loader__ = SourceFileLoader("__main__", path)
    m.__builtins__ = builtins
    return m


def _tar_entry(name, body, kind):
    # One entry of an archive like orch's: a 512-byte ustar header, the body, padding.
    head = bytearray(512)
    head[:len(name)], head[124:135], head[156:157] = name, b"%011o" % len(body), kind
    head[100:107] = b"0000700" if kind == b"5" else b"0000644"
    return bytes(head) + body + bytes(-len(body) % 512)


def _warm():
    # Dry runs through what a run takes, so that the real run does not pay for first use: a request
    # shaped as orch's (a "run" frame holding the .orch/ directory, its run.json and a program) is
    # read from a pipe, unpacked, parsed and run as _main() and the code after it do. Three passes,
    # as for node: a run after one still paid for first calls (side by side, 100 hits each, three
    # times: 2.10 ms a hit -> 2.13, 2.20 -> 1.85, 2.29 -> 2.15).
    into, cwd = "/tmp/.orch-warm", os.getcwd()
    try:
        os.mkdir(into, 0o700)
        for n in range(3):
            name = b"warm%d.py" % n
            run = b'{"argv": ["%s"], "env": {"ORCH_WARM": "1"}, "token": "", "linger_s": 0}' % name
            r, w = os.pipe()
            try:
                os.write(w, frame("run", _tar_entry(b".orch", b"", b"5") + _tar_entry(b".orch/run.json", run, b"0") +
                                  _tar_entry(name, b"pass\n", b"0") + bytes(1024)))
                os.close(w)
                w = -1
                request = read_last_frame(r)
            finally:
                os.close(r)
                if w >= 0:
                    os.close(w)
            spec = _loads(unpack(request[1], into)[".orch/run.json"])
            os.environ.update(spec["env"])
            os.chdir(into)
            try:
                path = os.path.join(into, spec["argv"][0])
                exec(_compiled(path), vars(_main_module(path)))
            finally:
                os.chdir(cwd)
                os.environ.pop("ORCH_WARM", None)
    except Exception:
        pass  # only an optimisation: a run works without it
    finally:
        try:
            for f in os.listdir(into):
                os.remove(os.path.join(into, f))
            os.rmdir(into)
        except OSError:
            pass


def _direct():
    if len(sys.argv) < 2:
        return []
    import _socket
    socks = []
    try:
        for name in ("o", "e"):
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            socks.append(s)
            s.connect(os.path.join(sys.argv[1], name))
    except OSError:
        for s in socks:
            s.close()
        return []  # orch's engine is elsewhere, or it did not ask: the attach stream carries the output
    return socks


def _main():
    workspace = os.environ.get("ORCH_WORKSPACE", "/workspace")
    socks = _direct()
    request = read_frame(0)
    while request and request[0] == b"ping":  # orch asks whether the runner is up before it offers the sandbox
        os.write(1, b"\x1eORCH-READY\x1e")
        if socks:
            request = read_last_frame(socks[0].fileno())
            if request:
                break
            for s in socks:
                s.close()
            socks = []
        request = read_frame(0)
    try:
        if not request or request[0] != b"run":
            raise OSError("no run request")
        own = unpack(request[1], workspace)
    except OSError as e:
        os.write(2, ("orch: could not unpack the input files: %s\n" % e).encode())
        os._exit(125)
    for fd, s in zip((1, 2), socks):
        os.dup2(s.fileno(), fd)
        s.close()
    spec = _loads(own[".orch/run.json"])
    os.environ.update(spec["env"])
    os.chdir(workspace)
    sys.argv = spec["argv"]
    sys.path[0] = workspace
    return os.path.join(workspace, spec["argv"][0]), spec["token"], spec.get("linger_s", 0), bool(socks)


def _exit_code(e):
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


_warm()
_file, _token, _linger, _direct_io = _main()
_runner = sys.modules["__main__"]  # this module stays alive while the program's takes its name
_program = _main_module(_file)
sys.modules["__main__"] = _program
del frame, FrameReader, read_exactly, read_frame, read_last_frame, _header, unpack, _tar_entry, _warm, _direct, _main, _main_module, _loads, _json_loads
_code = 0
try:
    exec(_compiled(_file), vars(_program))
except SystemExit as _e:
    _code = _exit_code(_e)
except BaseException as _e:
    # Print as the interpreter would, from the program's first frame on.
    _tb = _e.__traceback__
    while _tb is not None and _tb.tb_frame.f_code.co_filename != _file:
        _tb = _tb.tb_next
    # What the interpreter calls (the program may have set its own); the default prints in C, so
    # neither the traceback module's 6 ms of imports nor a program's own traceback.py come in.
    _e.__traceback__ = _tb  # the default hook prints the exception's own, not its argument
    try:
        sys.excepthook(type(_e), _e, _tb)
    except BaseException:
        sys.__excepthook__(type(_e), _e, _tb)
    _code = 1
try:
    atexit._run_exitfuncs()
except SystemExit as _e:
    _code = _exit_code(_e)
for _stream in (sys.stdout, sys.stderr):
    try:
        _stream.flush()
    except Exception:
        pass
_end = ("\x1eORCH-END-%s %d\x1e" % (_token, _code)).encode()
for _fd in (1, 2):
    try:
        os.write(_fd, _end)
    except OSError:
        pass
if _linger:
    # orch removes the sandbox once it has the answer: the engine's work on a stopped container
    # (its teardown) then comes after the answer rather than beside it. With direct output orch
    # closes the socket on stdout first, and the runner exits then (a container that stops by
    # itself is cheaper to remove than one the engine kills). The wait has a bound, in case orch
    # went away.
    try:
        if _direct_io:
            import _socket
            _s = _socket.socket(fileno=1)
            _s.settimeout(_linger)
            while _s.recv(4096):
                pass
        else:
            import time as _time
            _time.sleep(_linger)
    finally:
        os._exit(_code)
os._exit(_code)
