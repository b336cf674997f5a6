// orch session kernel for Node.js (after lib/frames.js). Two modes:
//   relay [NAME [CWD]]: what each `docker exec` runs; pipes its stdin/stdout to the unix socket of
//          kernel NAME (default "node"), starting it in CWD first when none is running.
//   serve NAME CWD: the long-lived kernel; every request runs in the same global context, so var,
//          let, const and function declarations persist.
// Frames both ways. Requests: exec (code), run (JSON {code, env}: env set for that execution only),
// ping. SIGINT interrupts synchronous code. Replies: out, err (raw bytes), display, error, done
// (JSON). Kernels live in $ORCH_KERNEL_DIR (default /tmp/.orch/k), one directory per NAME.
const net = require('net');

const NAME = process.argv[3] || 'node';
const CWD = process.argv[4] || '/workspace';
const DIR = path.join(process.env.ORCH_KERNEL_DIR || '/tmp/.orch/k', NAME);
const SOCK = DIR + '/sock';

function tryConnect(cb) {
  const s = net.connect(SOCK);
  s.once('connect', () => { s.removeAllListeners('error'); cb(s); });
  s.once('error', () => { s.destroy(); cb(null); });
}

function spawnKernel() {
  const { spawn } = require('child_process');
  try { fs.unlinkSync(SOCK); } catch (e) { /* not there */ }
  spawn(process.execPath, [__filename, 'serve', NAME, CWD], { cwd: CWD, detached: true, stdio: 'ignore' }).unref();
}

// A directory as a lock: mkdir is atomic. A lock older than 20 s belongs to a relay that died.
function withSpawnLock(fn) {
  const lock = DIR + '/spawn.lock';
  try {
    fs.mkdirSync(lock);
  } catch (e) {
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > 20000) fs.rmdirSync(lock);
    } catch (e2) { /* gone meanwhile */ }
    return false;
  }
  try { fn(); } finally { setTimeout(() => { try { fs.rmdirSync(lock); } catch (e) { /* ok */ } }, 0); }
  return true;
}

function relay() {
  fs.mkdirSync(DIR, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + 20000;
  let spawned = false;
  const attempt = () => tryConnect((s) => {
    if (s) return pump(s);
    if (Date.now() > deadline) {
      process.stderr.write('orch: the node kernel did not start\n');
      process.exit(1);
    }
    if (!spawned) spawned = withSpawnLock(spawnKernel);
    setTimeout(attempt, spawned ? 5 : 20);
  });
  attempt();
}

function pump(s) {
  process.stdin.on('data', (d) => s.write(d));
  process.stdin.on('end', () => s.end());
  s.on('data', (d) => process.stdout.write(d));
  s.on('close', () => process.stdout.write('', () => process.exit(0)));
  s.on('error', () => process.exit(0));
}

// ---- the kernel ------------------------------------------------------------------------------

function serve() {
  const vm = require('vm');
  const util = require('util');
  const Module = require('module');
  process.chdir(CWD);
  process.on('SIGINT', () => {});  // while idle; running code is interrupted by breakOnSigint
  let current = null;  // socket of the request being run
  let count = 0;

  const send = (kind, payload) => {
    if (current && !current.destroyed) current.write(frame(kind, payload));
  };
  const sendJson = (kind, obj) => send(kind, JSON.stringify(obj));
  const capture = (stream, kind) => {
    stream.write = (chunk, encoding, cb) => {
      send(kind, Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof encoding === 'string' ? encoding : 'utf8'));
      if (typeof encoding === 'function') encoding();
      else if (typeof cb === 'function') cb();
      return true;
    };
  };
  capture(process.stdout, 'out');
  capture(process.stderr, 'err');

  const bundle = (v) => {
    const data = { 'text/plain': util.inspect(v, { depth: 4, colors: false }) };
    if (v && typeof v === 'object' && typeof v._repr_html_ === 'function') {
      try { data['text/html'] = String(v._repr_html_()); } catch (e) { /* no html then */ }
    }
    return data;
  };
  globalThis.display = (...values) => values.forEach((v) => sendJson('display', { data: bundle(v), main: false }));
  globalThis.require = Module.createRequire(path.join(CWD, '/'));
  globalThis.module = { exports: {} };
  globalThis.exports = globalThis.module.exports;
  globalThis.__filename = path.join(CWD, '[cell]');
  globalThis.__dirname = CWD;

  const reportError = (e) => {
    const isErr = e instanceof Error;
    sendJson('error', {
      name: isErr ? e.name : typeof e,
      value: isErr ? e.message : util.inspect(e),
      traceback: isErr && e.stack
        ? e.stack.split('\n').filter((l) => !/node:vm|node_kernel\.js|node:internal/.test(l)).join('\n')
        : String(e),
    });
  };
  process.on('uncaughtException', (e) => { if (current) send('err', `Uncaught ${e && e.stack ? e.stack : e}\n`); });
  process.on('unhandledRejection', (e) => { if (current) send('err', `Unhandled rejection: ${e && e.stack ? e.stack : e}\n`); });

  const queue = [];
  let busy = false;
  const runNext = async () => {
    if (busy || queue.length === 0) return;
    busy = true;
    const { conn, kind, payload } = queue.shift();
    current = conn;
    let status = 'ok';
    if (kind === 'exec' || kind === 'run') {
      count += 1;
      let code = payload.toString('utf8');
      let saved = {};
      if (kind === 'run') {
        const req = JSON.parse(code);
        code = req.code || '';
        for (const [k, v] of Object.entries(req.env || {})) { saved[k] = process.env[k]; process.env[k] = String(v); }
      }
      try {
        const script = new vm.Script(code, { filename: `cell-${count}.js` });
        let value = script.runInThisContext({ displayErrors: false, breakOnSigint: true });
        if (value && typeof value.then === 'function') value = await value;
        if (value !== undefined) sendJson('display', { data: bundle(value), main: true });
      } catch (e) {
        status = 'error';
        reportError(e);
      }
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    }
    await new Promise((r) => setImmediate(r));
    sendJson('done', { status, exit_code: status === 'ok' ? 0 : 1, execution_count: count, pid: process.pid });
    busy = false;
    runNext();
  };

  // Half-open: a relay that ends its requests still gets the replies to them.
  const server = net.createServer({ allowHalfOpen: true }, (conn) => {
    const reader = new FrameReader();
    conn.on('data', (d) => {
      for (const { kind, payload } of reader.feed(d)) queue.push({ conn, kind, payload });
      runNext();
    });
    conn.on('end', () => { const wait = () => (queue.some((q) => q.conn === conn) || (busy && current === conn) ? setTimeout(wait, 5) : conn.end()); wait(); });
    conn.on('error', () => conn.destroy());
  });
  server.listen(SOCK, () => {
    fs.writeFileSync(DIR + '/pid.tmp', String(process.pid));
    fs.renameSync(DIR + '/pid.tmp', DIR + '/pid');
  });
}

if (process.argv[2] === 'relay') relay();
else if (process.argv[2] === 'serve') serve();
else { process.stderr.write('usage: node_kernel.js relay|serve\n'); process.exit(2); }
