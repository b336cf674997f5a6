"""RFC 6455 from the server's side, as the Kubernetes API server speaks it for exec and attach."""
import base64
import hashlib
import struct
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
V5, V4 = "v5.channel.k8s.io", "v4.channel.k8s.io"
STDIN, STDOUT, STDERR, STATUS, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def choose_protocol(offered):
    """The client's first offer we speak, as the API server picks."""
    for p in (x.strip() for x in offered.split(",")):
        if p in (V5, V4):
            return p
    return None


class Socket:
    """Frames on an upgraded connection. Sends are locked: output pumps and pongs share the socket."""

    def __init__(self, sock, rfile):
        self.sock, self.rfile = sock, rfile
        self.lock = threading.Lock()
        self.closed = False

    def send(self, payload, opcode=2):
        n = len(payload)
        if n < 126:
            head = struct.pack(">BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack(">BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
        with self.lock:
            if self.closed:
                return
            if opcode == 8:
                self.closed = True
            self.sock.sendall(head + payload)

    def send_channel(self, channel, data):
        self.send(bytes([channel]) + data)

    def close(self, code=1000):
        try:
            self.send(struct.pack(">H", code), opcode=8)
        except OSError:
            pass

    def receive(self):
        """The next data message as bytes; None when the client closed or left. Checks the client's mask."""
        message, first_op = b"", None
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return None
            fin, op = head[0] & 0x80, head[0] & 0x0F
            if not head[1] & 0x80:
                raise ValueError("client frame without a mask")
            n = head[1] & 0x7F
            if n == 126:
                n = struct.unpack(">H", self.rfile.read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4)
            data = bytearray(self.rfile.read(n))
            if len(data) < n:
                return None
            for i in range(n):
                data[i] ^= mask[i % 4]
            if op == 8:
                self.close()
                return None
            if op == 9:
                self.send(bytes(data), opcode=10)
                continue
            if op == 10:
                continue
            if op != 0:
                first_op = op
            message += bytes(data)
            if fin and first_op is not None:
                return message
