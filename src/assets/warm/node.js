// orch warm runner: node is up before the code exists. Answers "ping\n" lines with
// "\x1eORCH-READY\x1e", then reads "SIZE\n" and a tar from stdin, unpacks it into /workspace and
// runs the program its .orch/run.json names as the main module. At exit,
// "\x1eORCH-END-<token> <code>\x1e" goes to stdout and stderr so orch knows both streams are complete.
const fs = require("fs");
const path = require("path");

function readSome(buf, off, len) {
  for (;;) {
    try {
      return fs.readSync(0, buf, off, len, null);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}
function line() {
  const one = Buffer.alloc(1), out = [];
  for (;;) {
    if (readSome(one, 0, 1) === 0 || one[0] === 10) return Buffer.from(out).toString();
    out.push(one[0]);
  }
}
function exactly(n) {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    const got = readSome(buf, off, n - off);
    if (got === 0) break;
    off += got;
  }
  return buf.subarray(0, off);
}

// The archive comes from orch's own writer (ustar plus GNU long-name records), so a small reader
// does, without starting tar. The first copy of each .orch/ entry is the run's own description: it
// stays in memory. Modes go through the umask, as with tar in a one-shot run.
function unpack(data, into) {
  const own = new Map(), long = {};
  const text = (b) => { const z = b.indexOf(0); return (z < 0 ? b : b.subarray(0, z)).toString("utf8"); };
  const octal = (b) => parseInt(text(b).trim() || "0", 8);
  let pos = 0;
  while (pos + 512 <= data.length && data[pos] !== 0) {
    const h = data.subarray(pos, pos + 512);
    const size = h[124] & 0x80 ? Number(h.subarray(125, 136).readBigUInt64BE(3)) : octal(h.subarray(124, 136));
    const body = data.subarray(pos + 512, pos + 512 + size);
    pos += 512 + Math.ceil(size / 512) * 512;
    const kind = String.fromCharCode(h[156]);
    if (kind === "L" || kind === "K") { long[kind] = text(body); continue; }
    const name = (long.L ?? text(h.subarray(0, 100))).replace(/\/+$/, "");
    const link = long.K ?? text(h.subarray(157, 257));
    delete long.L; delete long.K;
    if ((name === ".orch" || name.startsWith(".orch/")) && !own.has(name)) { own.set(name, body); continue; }
    const mode = octal(h.subarray(100, 108)) & 0o7777, target = path.join(into, name);
    if (kind === "5") fs.mkdirSync(target, { recursive: true, mode });
    else if (kind === "2") fs.symlinkSync(link, target);
    else if (kind === "0" || kind === "\0") {
      const fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, mode);
      try { for (let off = 0; off < body.length; ) off += fs.writeSync(fd, body, off); } finally { fs.closeSync(fd); }
    }
  }
  return own;
}

// One dry run through what a run first uses (the output streams are made on first use, the module
// loader's code paths), so that the real run does not pay for it.
function warm() {
  process.stdout;
  process.stderr;
  const dir = "/tmp/.orch-warm", file = dir + "/warm.js";
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, "");
    require(file);
  } catch (e) {
    // only an optimisation: a run works without it
  } finally {
    delete require.cache[file];
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

warm();
let first = line();
while (first === "ping") {  // orch asks whether the runner is up before it offers the sandbox
  fs.writeSync(1, "\x1eORCH-READY\x1e");
  first = line();
}
const size = parseInt(first || "0", 10);
let own;
try {
  own = unpack(exactly(size), "/workspace");
} catch (e) {
  process.stderr.write("orch: could not unpack the input files: " + e.message + "\n");
  process.exit(125);
}
const spec = JSON.parse(own.get(".orch/run.json").toString("utf8"));
Object.assign(process.env, spec.env);
process.chdir("/workspace");
process.argv = [process.argv[0], "/workspace/" + spec.argv[0], ...spec.argv.slice(1)];
// Node prints a fatal error after "exit" handlers run, so the report would come first: print it here.
let fatal = null;
process.on("uncaughtExceptionMonitor", (err) => { fatal = err; });
process.on("exit", (code) => {
  if (fatal !== null) {
    const text = fatal instanceof Error && fatal.stack ? fatal.stack : "Uncaught " + require("util").inspect(fatal);
    try { fs.writeSync(2, text + "\n\nNode.js " + process.version + "\n"); } catch (e) {}
  }
  const end = "\x1eORCH-END-" + spec.token + " " + (code & 255) + "\x1e";
  for (const fd of [1, 2]) {
    try { fs.writeSync(fd, end); } catch (e) {}
  }
});
require("module").runMain();
