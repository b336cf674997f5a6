"""orch benchmarks: each case against its baseline, measured in the same run.

Absolute times drift on shared machines; the ratios hold. Prints one table of medians and p90s
and writes it to results/latest.md.
"""
import concurrent.futures as cf
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ORCH, RESULTS = sys.argv[1], sys.argv[2]
CASES = sys.argv[3:] or ["cold", "net", "warm", "session", "load", "server", "cli", "scaling", "sessions", "runtime", "repo", "e2b"]
IMAGE = "orch/python:latest"
rows = []  # (case, variant, median_ms, p90_ms, ratio, target, verdict)


def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def timed(fn, n, warmup=2):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, **kw)


def add(case, variant, xs, base=None, target=None, ok=None, unit="ms"):
    med, p90 = statistics.median(xs), pct(xs, 0.9)
    ratio = f"{med / base:.2f}x" if base else ("baseline" if "(baseline)" in variant else "")
    verdict = "" if ok is None else ("met" if ok(med) else "MISSED")
    rows.append((case, variant, med, p90, ratio, target or "", verdict, unit))
    print(f"  {case:<12} {variant:<44} median {med:9.2f} {unit}  p90 {p90:9.2f}", flush=True)
    return med


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, *args):
        self.port = free_port()
        self.proc = subprocess.Popen([ORCH, "serve", "--listen", f"127.0.0.1:{self.port}", *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if self.get("/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def conn(self):
        # http.client writes headers and body separately: without TCP_NODELAY, Nagle holds the body
        # until the server's delayed ACK (~40 ms), which would measure the client, not orch.
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    def get(self, path):
        c = self.conn()
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()

    def post(self, path, body, conn=None):
        c = conn or self.conn()
        c.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None

    def wait_pool(self, template, n):
        for _ in range(600):
            st = json.loads(self.get("/health")[1])
            if st.get("pool", {}).get(template, {}).get("ready", 0) >= n:
                return
            time.sleep(0.05)
        raise RuntimeError("pool never filled")

    def wait_session_pool(self, template, n):
        for _ in range(1200):
            st = json.loads(self.get("/health")[1])
            if st.get("session_pool", {}).get(template, {}).get("ready", 0) >= n:
                return
            time.sleep(0.05)
        raise RuntimeError("session pool never filled")

    def rss_kib(self, field="VmRSS"):  # VmHWM: the peak so far
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(field + r":\s+(\d+)", f.read()).group(1))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def docker_run_python(code="print(1)"):
    run(["docker", "run", "--rm", "--network", "none", IMAGE, "python3", "-c", code])


def engine_api_python(api):
    # What a program using the Engine API directly does for one run, with orch's limits and
    # hardening (its seccomp profile aside): create, start, wait, logs, remove.
    host = api.create_host_config(network_mode="none", mem_limit="512m", memswap_limit="512m", pids_limit=128,
                                  read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
                                  tmpfs={"/tmp": "size=64m", "/workspace": "size=64m"})
    c = api.create_container(IMAGE, ["python3", "-c", "print(1)"], network_disabled=True, host_config=host)
    api.start(c)
    api.wait(c)
    assert api.logs(c) == b"1\n"
    api.remove_container(c, force=True)


def case_cold():
    print("cold one-shot: orch run vs docker run --rm and vs a raw Engine API loop", flush=True)
    base = add("cold", "docker run --rm --network none (baseline)", timed(docker_run_python, 10))
    orch = timed(lambda: run([ORCH, "run", "-l", "python", "-c", "print(1)"]), 10)
    add("cold", "orch run -l python -c 'print(1)'", orch, base, "<= 0.8x docker", lambda m: m <= 0.8 * base)
    try:
        import docker
    except ImportError:
        rows.append(("cold", "Engine API loop (python3-docker)", 0, 0, "", "", "not built", "ms"))
        return
    api = docker.APIClient()
    raw = add("cold", "Engine API loop, python3-docker (baseline)", timed(lambda: engine_api_python(api), 10))
    add("cold", "orch run, against the Engine API loop", orch, raw, "<= 0.8x Engine API", lambda m: m <= 0.8 * raw)


def case_net():
    # What orch's network guard costs a run with a network: the same run without one, and a plain
    # container on the bridge (no guard) as the baseline.
    print("networked one-shot: the guard's cost", flush=True)
    run([ORCH, "run", "--net", "bridge", "-c", "pass"])  # the guard image is built once, not timed
    base = add("net", "docker run --rm --network bridge, unguarded (baseline)",
               timed(lambda: run(["docker", "run", "--rm", "--network", "bridge", "orch/python:latest", "python3", "-c", "print(1)"]), 10))
    add("net", "orch run -c 'print(1)' (no network)", timed(lambda: run([ORCH, "run", "-c", "print(1)"]), 10), base)
    add("net", "orch run --net bridge -c 'print(1)' (guarded)", timed(lambda: run([ORCH, "run", "--net", "bridge", "-c", "print(1)"]), 10), base)


def case_warm():
    print("warm one-shot through the server", flush=True)
    base = add("warm", "docker run --rm (baseline)", timed(docker_run_python, 8))
    s = Server()
    try:
        c = s.conn()
        add("warm", "POST /v1/run, no pool", timed(lambda: s.post("/v1/run", {"code": "print(1)"}, c), 10), base)

        def floor():
            # What no run can go under: an idle client and server's round trip for a request orch
            # answers at once (this machine runs code 3-4x slower in a process that was idle).
            time.sleep(0.3)
            c = s.conn()
            t = time.perf_counter()
            c.request("POST", "/v1/no-such-route", body="{}", headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            assert r.status == 404, r.status
            return (time.perf_counter() - t) * 1000
        add("warm", "POST to an unknown route, idle server (the client's floor)", [floor() for _ in range(20)])
    finally:
        s.stop()
    # Pooled hits per runner: python connects its direct sockets itself, node and the shell runner
    # (bash) get them from `orch agent direct`; "idle server" is the pool full again between calls.
    for lang, code, out, target in (("python", "print(1)", "1\n", 1), ("node", "console.log(1)", "1\n", 3),
                                    ("bash", "echo 1", "1\n", 3)):
        s = Server("--pool", f"{lang}=2")
        try:
            def one(full):
                # Idle server: the pool is full again and the used sandbox removed, as between an agent's
                # calls. Back to back: the next call comes while the last one's replacement is being made.
                if full:
                    s.wait_pool(lang, 2)
                    time.sleep(0.3)
                else:
                    s.wait_pool(lang, 1)  # still hits, not refill speed
                c = s.conn()  # a fresh one, not timed: the server closes a kept one idle past its keep-alive
                t = time.perf_counter()
                st, body = s.post("/v1/run", {"language": lang, "code": code}, c)
                assert st == 200 and body["stdout"] == out, body
                return (time.perf_counter() - t) * 1000
            for _ in range(3):
                one(True)
            xs = [one(True) for _ in range(20)]
            add("warm", f"POST /v1/run, pool {lang}=2 (hits, idle server)", xs, base, f"median < {target} ms",
                lambda m, target=target: m < target)
            add("warm", f"POST /v1/run, pool {lang}=2 (hits, back to back)", [one(False) for _ in range(20)], base)
        finally:
            s.stop()


def case_session():
    print("session round trip", flush=True)
    cid = run(["docker", "run", "-d", "--network", "none", IMAGE, "sleep", "300"]).stdout.decode().strip()
    try:
        base = add("session", "docker exec CONTAINER python3 -c pass (baseline)",
                   timed(lambda: run(["docker", "exec", cid, "python3", "-c", "pass"]), 10))
    finally:
        run(["docker", "rm", "-f", cid])
    probe = subprocess.run([ORCH, "session", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if probe.returncode != 0:
        rows.append(("session", "orch session exec", 0, 0, "", "< 2 ms via server", "not built", "ms"))
        return
    sid = run([ORCH, "session", "create", "-t", "python", "--ttl", "300"]).stdout.decode().split()[0]
    try:
        add("session", "orch session exec (CLI, x = 1)", timed(lambda: run([ORCH, "session", "exec", sid, "-c", "x = 1"]), 10), base)
        s = Server()
        try:
            c = s.conn()
            st, _ = s.post(f"/v1/sessions/{sid}/exec", {"code": "x = 1"}, c)
            if st == 200:
                add("session", "POST /v1/sessions/ID/exec (server, x = 1)",
                    timed(lambda: s.post(f"/v1/sessions/{sid}/exec", {"code": "x = 1"}, c), 30, 5), base,
                    "< 2 ms", lambda m: m < 2)
        finally:
            s.stop()
    finally:
        subprocess.run([ORCH, "session", "rm", sid], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def case_server():
    print("server overhead", flush=True)
    s = Server()
    try:
        time.sleep(0.5)
        idle = s.rss_kib() / 1024
        rows.append(("server", "idle RSS of orch serve (no pool)", idle, idle, "", "< 10 MiB", "met" if idle < 10 else "MISSED", "MiB"))
        if shutil.which("wrk"):
            out = run(["wrk", "-t2", "-c32", "-d5s", "--latency", f"http://127.0.0.1:{s.port}/health"]).stdout.decode()
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
            p99ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
            rows.append(("server", "GET /health with wrk (32 connections)", rps, rps, "", "", "", "req/s"))
            rows.append(("server", "GET /health p99 latency", p99ms, p99ms, "", "", "", "ms"))
    finally:
        s.stop()
    mib, ok = peak_rss_under_100_runs({"code": "import time; time.sleep(2)", "timeout": 120})
    rows.append(("server", f"peak RSS under 100 concurrent runs ({ok} ok)", mib, mib, "", "", "", "MiB"))
    # Each answer carries 1 MB; the server's output budget (--output-budget, 64m) holds the runs
    # beyond it back until earlier answers are sent, so the memory does not grow with the crowd.
    mib, ok = peak_rss_under_100_runs({"code": "import sys; sys.stdout.write('x' * 1000000)", "timeout": 120})
    rows.append(("server", f"peak RSS, 100 concurrent runs printing 1 MB each ({ok} ok)", mib, mib, "", "< 64 MiB",
                 "met" if mib < 64 and ok == 100 else "MISSED", "MiB"))


def peak_rss_under_100_runs(body):
    """Peak RSS (MiB) of a server while 100 clients post the same run at once, and how many got 200."""
    s = Server("--max-concurrent", "100", "--tenant-concurrent", "100", "--threads", "128")
    try:
        peak = [s.rss_kib()]
        done = []

        def sample():
            while not done:
                peak.append(s.rss_kib())
                time.sleep(0.05)
        def one():
            try:
                return s.post("/v1/run", body)[0]
            except Exception as e:  # counted as not ok; the sampler must still stop
                print(f"  server       a run failed: {e!r}", flush=True)
                return None
        with cf.ThreadPoolExecutor(101) as ex:
            ex.submit(sample)
            try:
                codes = [f.result() for f in [ex.submit(one) for _ in range(100)]]
            finally:
                done.append(1)
        return max(peak + [s.rss_kib("VmHWM")]) / 1024, codes.count(200)
    finally:
        s.stop()


def case_cli():
    print("CLI start", flush=True)
    # The harness's own fork+exec+wait is measured the same way, and the target applies to what orch adds.
    spawn = add("cli", "spawn /bin/true from the harness (baseline)", timed(lambda: run(["/bin/true"]), 30, 3))
    add("cli", "orch --version", timed(lambda: run([ORCH, "--version"]), 30, 3), spawn,
        "< 5 ms over baseline", lambda m: m - spawn < 5)
    add("cli", "orch templates ls --no-engine", timed(lambda: run([ORCH, "templates", "ls", "--no-engine"]), 30, 3), spawn,
        "< 5 ms over baseline", lambda m: m - spawn < 5)
    add("cli", "orch templates ls (asks the engine)", timed(lambda: run([ORCH, "templates", "ls"]), 20, 3), spawn)


def case_scaling():
    print("scaling with output size", flush=True)
    for size, label in ((1024, "1 KB"), (1 << 20, "1 MB"), (10 << 20, "10 MB"), (100 << 20, "100 MB")):
        code = f"import sys\nn={size}\nc=b'x'*65536\nwhile n>0:\n  sys.stdout.buffer.write(c[:min(n,65536)]); n-=65536"
        rss = []

        def one():
            p = run(["/usr/bin/time", "-f", "%M", ORCH, "run", "--json", "-c", code])
            rss.append(int(p.stderr.decode().strip().splitlines()[-1]) / 1024)
        xs = timed(one, 5, 1)
        add("scaling", f"orch run, {label} of stdout (latency)", xs)
        rows.append(("scaling", f"orch run, {label} of stdout (max RSS)", max(rss), max(rss), "", "", "", "MiB"))


def case_load():
    print("sustained load: closed loop and open loop, without and with a pool", flush=True)
    import load
    load.run(Server, rows, lambda line: print(line, flush=True))


def mem_available_mib():
    with open("/proc/meminfo") as f:
        return int(re.search(r"MemAvailable:\s+(\d+)", f.read()).group(1)) / 1024


def case_sessions():
    print("scaling with live sessions: one-shot latency, session exec and memory", flush=True)
    s = Server()
    sids = []
    try:
        before = mem_available_mib()
        for n in (1, 10, 25, 50):
            while len(sids) < n:
                st, body = s.post("/v1/sessions", {"template": "python", "ttl": 900})
                assert st in (200, 201), body
                sids.append(body["id"])
                s.post(f"/v1/sessions/{body['id']}/exec", {"code": "x = 1"})  # the kernel is up
            time.sleep(1)
            per = (before - mem_available_mib()) / n
            c = s.conn()  # the last one idled past the keep-alive timeout while sessions were made
            add("sessions", f"{n} live: orch run -c 'print(1)'", timed(lambda: run([ORCH, "run", "-c", "print(1)"]), 5, 1))
            add("sessions", f"{n} live: POST /v1/sessions/ID/exec", timed(lambda: s.post(f"/v1/sessions/{sids[0]}/exec", {"code": "x = 1"}, c), 30, 3))
            add("sessions", f"{n} live: GET /v1/sessions", timed(lambda: s.get("/v1/sessions"), 10, 1),
                target="< 3 ms" if n == 50 else None, ok=(lambda m: m < 3) if n == 50 else None)
            rows.append(("sessions", f"{n} live: host memory per session (MemAvailable)", per, per, "", "", "", "MiB"))
            rows.append(("sessions", f"{n} live: orch serve RSS", s.rss_kib() / 1024, s.rss_kib() / 1024, "", "", "", "MiB"))
    finally:
        for sid in sids:
            d = s.conn()
            d.request("DELETE", f"/v1/sessions/{sid}")
            d.getresponse().read()
        s.stop()


def case_runtime():
    print("runtime: runc vs runsc (gVisor), cold start and memory of an idle sandbox", flush=True)
    info = json.loads(run(["docker", "info", "--format", "{{json .Runtimes}}"]).stdout)
    if "runsc" not in info:
        rows.append(("runtime", "orch run --runtime runsc", 0, 0, "", "", "not built", "ms"))
        return
    base = add("runtime", "orch run, runc (baseline)", timed(lambda: run([ORCH, "run", "-c", "print(1)"]), 10))
    add("runtime", "orch run --runtime runsc", timed(lambda: run([ORCH, "run", "--runtime", "runsc", "-c", "print(1)"]), 10), base)
    for rt in ("runc", "runsc"):
        mem = []
        for _ in range(3):
            name = f"orch-bench-mem-{os.getpid()}"
            run(["docker", "run", "-d", "--rm", "--name", name, "--network", "none", "--runtime", rt, IMAGE,
                 "python3", "-c", "import time; time.sleep(60)"])
            time.sleep(2)
            used = run(["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", name]).stdout.decode().split("/")[0].strip()
            run(["docker", "rm", "-f", name])
            num, unit = float(re.match(r"[\d.]+", used).group()), re.sub(r"[\d.]+", "", used)
            mem.append(num * {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit])
        rows.append(("runtime", f"idle python sandbox memory ({rt}, cgroup)", statistics.median(mem), max(mem), "", "", "", "MiB"))
        print(f"  runtime      idle python sandbox memory ({rt})            median {statistics.median(mem):9.2f} MiB", flush=True)


def case_repo():
    print("repo: a 6,000-test pytest suite the bench writes (bench/pytest_repo.py), directly and through orch", flush=True)
    py = "/usr/bin/python3"
    if subprocess.run([py, "-c", "import pytest"], capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3-pytest"], capture_output=True)
    if subprocess.run([py, "-c", "import pytest"], capture_output=True).returncode != 0:
        rows.append(("repo", "pytest directly (python3-pytest missing)", 0, 0, "", "", "not built", "ms"))
        return
    work = tempfile.mkdtemp(prefix="orch-bench-repo-")
    src = os.path.join(work, "ledger")
    run([py, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytest_repo.py"), src])
    # The command orch runs for a pytest project, on a fresh clone each time, as orch's sandbox starts fresh.
    cmd = [py, "-m", "pytest", "-p", "no:cacheprovider", "-o", "junit_family=xunit1", "--junitxml", os.path.join(work, "j.xml")]

    def direct():
        dst = os.path.join(work, "clone")
        shutil.rmtree(dst, ignore_errors=True)
        run(["git", "clone", "-q", "--depth", "1", "file://" + src, dst])
        run(cmd, cwd=dst)

    def through_orch():
        out = subprocess.run([ORCH, "repo", "test", src, "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if json.loads(out.stdout)["counts"]["passed"] != 6000:
            raise RuntimeError("orch repo test did not pass 6000 tests")

    direct_ms, orch_ms = [], []
    for _ in range(3):  # interleaved, so load on a shared machine hits both alike
        direct_ms += timed(direct, 1, warmup=0)
        orch_ms += timed(through_orch, 1, warmup=0)
    shutil.rmtree(work, ignore_errors=True)
    base = add("repo", "pytest on a fresh clone, directly (baseline)", direct_ms)
    add("repo", "orch repo test (clone, sandbox, results)", orch_ms, base, "< 1.2x", lambda m: m < 1.2 * base)


def case_e2b():
    """The E2B SDKs against orch serve's /e2b, beside the same work through orch's own /v1 routes."""
    print("e2b: the official SDKs through /e2b", flush=True)
    sdk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2b")
    if not os.path.isdir(os.path.join(sdk, "node_modules", "@e2b")):
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=sdk)
    s = Server("--session-pool", "code-interpreter-v1=2")
    try:
        c = s.conn()
        sid = s.post("/v1/sessions", {"template": "python-data", "ttl": 300}, c)[1]["id"]
        st, _ = s.post(f"/v1/sessions/{sid}/exec", {"code": "1"}, c)
        v1_exec = timed(lambda: s.post(f"/v1/sessions/{sid}/exec", {"code": "1"}, c), 60, 5)
        c.request("DELETE", f"/v1/sessions/{sid}")
        c.getresponse().read()
        v1_create = timed(lambda: s.post("/v1/sessions", {"template": "python-data", "ttl": 60}, c), 3, 0)
        for sess in json.loads(s.get("/v1/sessions")[1])["sessions"]:
            c.request("DELETE", f"/v1/sessions/{sess['id']}")
            c.getresponse().read()
        s.wait_session_pool("python-data:/home/user", 2)
        env = dict(os.environ, E2B_API_URL=f"http://127.0.0.1:{s.port}/e2b", E2B_SANDBOX_URL=f"http://127.0.0.1:{s.port}/e2b",
                   E2B_API_KEY="e2b_bench")
        out = json.loads(run(["node", "bench.mjs", "20"], cwd=sdk, env=env).stdout.decode().strip().splitlines()[-1])
    finally:
        s.stop()
    base = add("e2b", "POST /v1/sessions, python-data (cold, baseline)", v1_create)
    add("e2b", "Sandbox.create() code-interpreter (pool of 2)", out["create"], base, "< 50 ms", lambda m: m < 50)
    add("e2b", "POST /v1/sessions/ID/exec 1 (baseline)", v1_exec)
    add("e2b", "commands.run('true')", out["run"], None, "< 5 ms", lambda m: m < 5)
    add("e2b", "runCode('1')", out["code"], statistics.median(v1_exec), "< 5 ms", lambda m: m < 5)


def main():
    started = time.time()
    for c in CASES:
        globals()[f"case_{c}"]()
    host = f"{platform.node()}, {os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB"
    engine = run(["docker", "version", "--format", "{{.Server.Version}}"]).stdout.decode().strip()
    lines = [f"# orch benchmarks, {datetime.date.today().isoformat()}", "",
             f"Machine: {host}; Docker {engine}; {round(time.time() - started)} s to run.", "",
             "| case | variant | median | p90 | vs baseline | target | |", "|---|---|---:|---:|---:|---|---|"]
    for case, variant, med, p90, ratio, target, verdict, unit in rows:
        if verdict == "not built":
            lines.append(f"| {case} | {variant} | - | - | | {target} | not built yet |")
            continue
        lines.append(f"| {case} | {variant} | {med:.2f} {unit} | {p90:.2f} {unit} | {ratio} | {target} | {verdict} |")
    table = "\n".join(lines) + "\n"
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(table)
    print()
    print(table)


main()
