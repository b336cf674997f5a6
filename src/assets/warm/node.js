// orch warm runner (after lib/frames.js): node is up before the code exists. Answers "ping" frames
// with "\x1eORCH-READY\x1e", then reads a "run" frame holding a tar from stdin, unpacks it into
// $ORCH_WORKSPACE (default /workspace) and runs the program its .orch/run.json names as the main module. At exit,
// "\x1eORCH-END-<token> <code>\x1e" goes to stdout and stderr so orch knows both streams are complete;
// with `linger_s` in run.json node then waits up to that long before it exits, for orch to remove the
// sandbox (with direct output, until orch closes the socket on stdout).
// Started by `orch agent direct` with ORCH_DIRECT_IO=1, its stdout and stderr are orch's direct
// sockets: the answer to the first ping and every request after it go over stdout's.

// A one-file entry of an archive like orch's (a 512-byte ustar header, the body, padding).
function tarEntry(name, body, type) {
  const head = Buffer.alloc(512);
  head.write(name, 0);
  head.write(type === "5" ? "0000700" : "0000644", 100);
  head.write(body.length.toString(8).padStart(11, "0"), 124);
  head.write(type, 156);
  return Buffer.concat([head, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

// Dry runs through what a run takes, so that the real run does not pay for first use: a request
// shaped as orch's (a "run" frame holding the .orch/ directory, its run.json and a program) is
// parsed, unpacked, read and started as serve() does, printing to nowhere as console.log does. Once
// is not enough: V8 compiles a function's baseline code only after some calls, and the first run
// through after a single pass still took ~0.7 ms more (measured side by side: one pass 4.24 ms a
// hit, three 3.54; six made the program's start slower again).
function warm() {
  process.stdout;
  process.stderr;
  const dir = "/tmp/.orch-warm", cwd = process.cwd(), argv = process.argv, out = process.stdout;
  try {
    for (let n = 0; n < 3; n++) {
      const name = "warm" + n + ".js", file = path.join(dir, name);
      const run = JSON.stringify({ argv: [name], env: { ORCH_WARM: "1" }, token: "", linger_s: 0 });
      const request = frame("run", Buffer.concat([tarEntry(".orch", Buffer.alloc(0), "5"),
        tarEntry(".orch/run.json", Buffer.from(run), "0"), tarEntry(name, Buffer.from("0;\n"), "0"), Buffer.alloc(1024)]));
      const nl = request.indexOf(10), head = parseHeader(request.subarray(0, nl));
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      try {
        const own = unpack(request.subarray(nl + 1, nl + 1 + head.size), dir);
        const spec = JSON.parse(own.get(".orch/run.json").toString("utf8"));
        Object.assign(process.env, spec.env);
        process.chdir(dir);
        process.argv = [argv[0], path.join(dir, spec.argv[0])];
        out.write("");
        out.write = () => true;
        try {
          console.log("%s", n, { warm: [n] });
        } finally {
          delete out.write;
        }
        writeAll(1, "");
        require("module").runMain();
      } finally {
        delete require.cache[file];
        process.chdir(cwd);
        process.argv = argv;
        process.mainModule = undefined;
        delete process.env.ORCH_WARM;
      }
    }
  } catch (e) {
    // only an optimisation: a run works without it
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Writes all of `data` to `fd` (node made the output streams non-blocking).
function writeAll(fd, data) {
  const buf = Buffer.from(data);
  for (let off = 0; off < buf.length; ) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}

const direct = process.env.ORCH_DIRECT_IO === "1";
delete process.env.ORCH_DIRECT_IO;
warm();
// One turn of the event loop (ticks, immediates) before the runner blocks for its request, so that
// the program's first turn is not the loop's.
process.nextTick(() => {});
setImmediate(serve);

// After the end marks: waits up to `ms` for orch to remove the sandbox. With direct output orch
// closes the socket on stdout first, and the runner exits then (a container that stops by itself
// is cheaper to remove than one the engine kills).
function linger(ms) {
  const until = Date.now() + ms, pause = new Int32Array(new SharedArrayBuffer(4)), buf = Buffer.alloc(4096);
  while (Date.now() < until) {
    if (direct) {
      try {
        if (fs.readSync(1, buf, 0, buf.length, null) === 0) return;
        continue;
      } catch (e) {
        if (e.code !== "EAGAIN") return;
      }
    }
    Atomics.wait(pause, 0, 0, direct ? 5 : until - Date.now());
  }
}

function serve() {
  const workspace = process.env.ORCH_WORKSPACE || "/workspace";
  let request = readFrame(0);
  // The requests that come over the direct socket are read blocking; the program gets node's usual stdout.
  if (direct) process.stdout._handle?.setBlocking?.(true);
  while (request && request.kind === "ping") {  // orch asks whether the runner is up before it offers the sandbox
    writeAll(1, "\x1eORCH-READY\x1e");
    request = direct ? readLastFrame(1) : readFrame(0);
  }
  if (direct) process.stdout._handle?.setBlocking?.(false);
  let own;
  try {
    if (!request || request.kind !== "run") throw new Error("no run request");
    own = unpack(request.payload, workspace);
  } catch (e) {
    process.stderr.write("orch: could not unpack the input files: " + e.message + "\n");
    process.exit(125);
  }
  const spec = JSON.parse(own.get(".orch/run.json").toString("utf8"));
  Object.assign(process.env, spec.env);
  process.chdir(workspace);
  process.argv = [process.argv[0], path.join(workspace, spec.argv[0]), ...spec.argv.slice(1)];
  // Node prints a fatal error after "exit" handlers run, so the report would come first: print it here.
  let fatal = null;
  process.on("uncaughtExceptionMonitor", (err) => { fatal = err; });
  process.on("exit", (code) => {
    if (fatal !== null) {
      const text = fatal instanceof Error && fatal.stack ? fatal.stack : "Uncaught " + require("util").inspect(fatal);
      try { writeAll(2, text + "\n\nNode.js " + process.version + "\n"); } catch (e) {}
    }
    const end = "\x1eORCH-END-" + spec.token + " " + (code & 255) + "\x1e";
    for (const fd of [1, 2]) {
      try { writeAll(fd, end); } catch (e) {}
    }
    // orch removes the sandbox once it has the answer, so that the engine's teardown of a stopped
    // container comes after the answer; the wait (an exit handler cannot await) has a bound.
    if (spec.linger_s > 0) linger(spec.linger_s * 1000);
  });
  require("module").runMain();
}
