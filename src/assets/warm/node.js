// orch warm runner: node is up before the code exists. Reads "SIZE\n" and a tar from stdin, unpacks
// it into /workspace with tar, then runs .orch/run.json's program as the main module. At exit,
// "\x1eORCH-END-<token> <code>\x1e" goes to stdout and stderr so orch knows both streams are complete.
const fs = require("fs");
const { spawnSync } = require("child_process");

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

const size = parseInt(line() || "0", 10);
const untar = spawnSync("tar", ["-x", "-o", "-C", "/workspace", "-f", "-"], { input: exactly(size) });
if (untar.status !== 0) {
  process.stderr.write("orch: could not unpack the input files\n");
  process.exit(125);
}
const spec = JSON.parse(fs.readFileSync("/workspace/.orch/run.json", "utf8"));
fs.rmSync("/workspace/.orch", { recursive: true, force: true });
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
