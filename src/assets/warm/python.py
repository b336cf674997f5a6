# orch warm runner: the interpreter is up before the code exists. Reads "SIZE\n" and a tar from
# stdin, unpacks it into /workspace, then runs .orch/run.json's program as __main__ with the rest
# of stdin left untouched for the program. When it ends, "\x1eORCH-END-<token> <code>\x1e" goes to
# stdout and stderr so orch knows both streams are complete without waiting for the container to stop.
import atexit, io, json, os, runpy, sys, tarfile, traceback


def _line():
    buf = bytearray()
    while True:
        c = os.read(0, 1)
        if not c or c == b"\n":
            return bytes(buf)
        buf += c


def _exactly(n):
    parts = []
    while n > 0:
        b = os.read(0, min(n, 1 << 20))
        if not b:
            break
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def _main():
    size = int(_line() or b"0")
    with tarfile.open(fileobj=io.BytesIO(_exactly(size))) as t:
        t.extractall("/workspace")
    with open("/workspace/.orch/run.json") as f:
        spec = json.load(f)
    os.remove("/workspace/.orch/run.json")
    os.remove("/workspace/.orch/run.sh")
    os.rmdir("/workspace/.orch")
    os.environ.update(spec["env"])
    os.chdir("/workspace")
    sys.argv = spec["argv"]
    sys.path[0] = "/workspace"
    return spec["argv"][0], spec["token"]


def _exit_code(e):
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


_file, _token = _main()
del _line, _exactly, _main, io, json, tarfile
_code = 0
try:
    runpy.run_path(_file, run_name="__main__")
except SystemExit as _e:
    _code = _exit_code(_e)
except BaseException as _e:
    # Print as the interpreter would, from the program's first frame on.
    _tb = _e.__traceback__
    while _tb is not None and _tb.tb_frame.f_code.co_filename != _file:
        _tb = _tb.tb_next
    traceback.print_exception(type(_e), _e, _tb)
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
os._exit(_code)
