// orch's frame protocol and tar reader for Node.js, shared by the session kernel and the warm
// runner: orch puts this file in front of each. A frame is "TYPE LEN\n" then exactly LEN bytes
// (TYPE is lowercase letters, LEN decimal), so bytes a program prints can never be taken for a boundary.
'use strict';
const fs = require('fs');
const path = require('path');

const FRAME_HEADER_MAX = 40;

// {kind, size} of a header line, or null when it is not one.
function parseHeader(line) {
  const m = /^([a-z]+)(?: ([0-9]{1,15}))?$/.exec(line.toString('latin1'));
  return m ? { kind: m[1], size: Number(m[2] || '0') } : null;
}

function frame(kind, payload) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload), 'utf8');
  return Buffer.concat([Buffer.from(`${kind} ${body.length}\n`), body]);
}

// Splits bytes that arrive in any pieces into {kind, payload} frames. A header that is not one
// stops the reading: nothing after it can be trusted.
class FrameReader {
  constructor() { this.buf = Buffer.alloc(0); this.broken = false; }
  feed(data) {
    if (this.broken) return [];
    this.buf = Buffer.concat([this.buf, data]);
    const frames = [];
    for (;;) {
      const nl = this.buf.subarray(0, FRAME_HEADER_MAX + 1).indexOf(10);
      const head = nl >= 0 ? parseHeader(this.buf.subarray(0, nl)) : null;
      if (!head && (nl >= 0 || this.buf.length > FRAME_HEADER_MAX)) {
        this.broken = true;
        this.buf = Buffer.alloc(0);
        return frames;
      }
      if (nl < 0) return frames;
      const kind = head.kind, n = head.size;
      if (this.buf.length < nl + 1 + n) return frames;
      frames.push({ kind, payload: this.buf.subarray(nl + 1, nl + 1 + n) });
      this.buf = this.buf.subarray(nl + 1 + n);
    }
  }
}

function readSome(fd, buf, off, len) {
  for (;;) {
    try {
      return fs.readSync(fd, buf, off, len, null);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

// `n` bytes from `fd` after the `have` already read (fewer at the end of the stream).
function readExactly(fd, n, have = Buffer.alloc(0)) {
  if (have.length >= n) return have.subarray(0, n);
  const buf = Buffer.allocUnsafe(n);  // only the bytes read are returned
  let off = have.copy(buf);
  while (off < n) {
    const got = readSome(fd, buf, off, n - off);
    if (got === 0) break;
    off += got;
  }
  return buf.subarray(0, off);
}

// One frame from `fd`, reading no byte past it (what follows may be a program's stdin); null at
// the end of the stream.
function readFrame(fd) {
  const one = Buffer.alloc(1), head = [];
  while (head.length <= FRAME_HEADER_MAX) {
    if (readSome(fd, one, 0, 1) === 0) return null;
    if (one[0] === 10) {
      const parsed = parseHeader(Buffer.from(head));
      return parsed ? { kind: parsed.kind, payload: readExactly(fd, parsed.size) } : null;
    }
    head.push(one[0]);
  }
  return null;
}

// A frame from a stream that carries nothing after it (a warm runner's request on orch's direct
// socket), read in large pieces rather than byte by byte (each read costs a cold runner ~30 us).
function readLastFrame(fd) {
  const first = Buffer.allocUnsafe(1 << 16);
  let got = 0, nl = -1;
  while (nl < 0 && got <= FRAME_HEADER_MAX) {
    const n = readSome(fd, first, got, first.length - got);
    if (n === 0) return null;
    got += n;
    nl = first.subarray(0, Math.min(got, FRAME_HEADER_MAX + 1)).indexOf(10);
  }
  const parsed = nl >= 0 ? parseHeader(first.subarray(0, nl)) : null;
  return parsed ? { kind: parsed.kind, payload: readExactly(fd, parsed.size, first.subarray(nl + 1, got)) } : null;
}

// The archive comes from orch's own writer (ustar plus GNU long-name records), so a small reader
// does, without starting tar. The first copy of each .orch/ entry is the run's own description: it
// stays in memory. Modes go through the umask, as with tar in a one-shot run.
function unpack(data, into) {
  const own = new Map(), long = {};
  const text = (b) => { const z = b.indexOf(0); return (z < 0 ? b : b.subarray(0, z)).toString('utf8'); };
  const octal = (b) => parseInt(text(b).trim() || '0', 8);
  let pos = 0;
  while (pos + 512 <= data.length && data[pos] !== 0) {
    const h = data.subarray(pos, pos + 512);
    const size = h[124] & 0x80 ? Number(h.subarray(125, 136).readBigUInt64BE(3)) : octal(h.subarray(124, 136));
    const body = data.subarray(pos + 512, pos + 512 + size);
    pos += 512 + Math.ceil(size / 512) * 512;
    const kind = String.fromCharCode(h[156]);
    if (kind === 'L' || kind === 'K') { long[kind] = text(body); continue; }
    const name = (long.L ?? text(h.subarray(0, 100))).replace(/\/+$/, '');
    const link = long.K ?? text(h.subarray(157, 257));
    delete long.L; delete long.K;
    if ((name === '.orch' || name.startsWith('.orch/')) && !own.has(name)) { own.set(name, body); continue; }
    const mode = octal(h.subarray(100, 108)) & 0o7777, target = path.join(into, name);
    if (kind === '5') fs.mkdirSync(target, { recursive: true, mode });
    else if (kind === '2') fs.symlinkSync(link, target);
    else if (kind === '0' || kind === '\0') {
      const fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, mode);
      try { for (let off = 0; off < body.length; ) off += fs.writeSync(fd, body, off); } finally { fs.closeSync(fd); }
    }
  }
  return own;
}
