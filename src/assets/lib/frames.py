# orch's frame protocol and tar reader for Python, shared by the session kernel and the warm runner:
# orch puts this file in front of each. A frame is "TYPE LEN\n" then exactly LEN bytes (TYPE is
# lowercase letters, LEN decimal), so bytes a program prints can never be taken for a boundary.
import os

_FRAME_HEADER_MAX = 40


def _header(line):
    # (kind, size) of a header line ("TYPE" or "TYPE LEN"), or None when it is not one.
    kind, sep, size = line.partition(b" ")
    if not (kind.isalpha() and kind.islower()) or (sep and not (size.isdigit() and len(size) <= 15)):
        return None
    return kind, int(size or b"0")


def frame(kind, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "backslashreplace")
    return b"%s %d\n" % (kind.encode(), len(payload)) + payload


class FrameReader:
    # Splits bytes that arrive in any pieces into (kind, payload) frames. A header that is not one
    # stops the reading: nothing after it can be trusted.
    def __init__(self):
        self.buf = b""
        self.broken = False

    def feed(self, data):
        if self.broken:
            return []
        self.buf += data
        frames = []
        while True:
            nl = self.buf.find(b"\n", 0, _FRAME_HEADER_MAX + 1)
            head = _header(self.buf[:nl]) if nl >= 0 else None
            if head is None and (nl >= 0 or len(self.buf) > _FRAME_HEADER_MAX):
                self.broken, self.buf = True, b""
                return frames
            if nl < 0:
                return frames
            kind, n = head
            if len(self.buf) < nl + 1 + n:
                return frames
            frames.append((kind, self.buf[nl + 1:nl + 1 + n]))
            self.buf = self.buf[nl + 1 + n:]


def read_exactly(fd, n):
    parts = []
    while n > 0:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            break
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def read_frame(fd):
    # One frame from `fd`, reading no byte past it (what follows may be a program's stdin);
    # None at the end of the stream, or when a socket was reset.
    head = bytearray()
    while len(head) <= _FRAME_HEADER_MAX:
        try:
            c = os.read(fd, 1)
        except OSError:
            c = b""
        if not c:
            return None
        if c == b"\n":
            parsed = _header(bytes(head))
            return (parsed[0], read_exactly(fd, parsed[1])) if parsed else None
        head += c
    return None


def read_last_frame(fd):
    # A frame from a stream that carries nothing after it (a warm runner's request on orch's direct
    # socket), read in large pieces rather than byte by byte; None as read_frame.
    data = b""
    while len(data) <= _FRAME_HEADER_MAX and b"\n" not in data:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            return None
        data += chunk
    nl = data.find(b"\n", 0, _FRAME_HEADER_MAX + 1)
    parsed = _header(data[:nl]) if nl >= 0 else None
    if not parsed:
        return None
    body = data[nl + 1:nl + 1 + parsed[1]]
    return parsed[0], body + read_exactly(fd, parsed[1] - len(body))


def unpack(data, into):
    # The archive comes from orch's own writer (ustar plus GNU long-name records), so a small reader
    # does, and costs far less than tarfile. The first copy of each .orch/ entry is the run's own
    # description: it stays in memory. Modes go through the umask, as with tar in a one-shot run.
    own, pos, long = {}, 0, {}
    while pos + 512 <= len(data) and data[pos] != 0:
        h = data[pos:pos + 512]
        size = int.from_bytes(h[125:136], "big") if h[124] & 0x80 else int(h[124:136].strip(b"\0 ") or b"0", 8)
        body = data[pos + 512:pos + 512 + size]
        pos += 512 + (size + 511) // 512 * 512
        kind = h[156:157]
        if kind in (b"L", b"K"):
            long[kind] = body.rstrip(b"\0")
            continue
        name = os.fsdecode(long.pop(b"L", None) or h[:100].split(b"\0", 1)[0]).rstrip("/")
        link = os.fsdecode(long.pop(b"K", None) or h[157:257].split(b"\0", 1)[0])
        if (name == ".orch" or name.startswith(".orch/")) and name not in own:
            own[name] = body
            continue
        mode = int(h[100:108].strip(b"\0 ") or b"0", 8) & 0o7777
        path = os.path.join(into, name)
        if kind == b"5":
            os.makedirs(path, mode, exist_ok=True)
        elif kind == b"2":
            os.symlink(link, path)
        elif kind in (b"0", b"\0"):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
            try:
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
    return own
