"""Sustained load through orch serve: closed loop (clients back to back) and open loop (a fixed rate).

run() measures the rate the server sustains without a pool and the same server with
`--pool python=auto` under the same closed-loop load (alternated), then open-loop traffic at 80% of that rate,
and how long the pool takes to shrink back once traffic stops.
"""
import concurrent.futures as cf
import json
import re
import statistics
import threading
import time

BODY = json.dumps({"code": "print(1)"})
CLOSED_S, ROUNDS, OPEN_WARMUP_S, OPEN_S = 20, 2, 10, 30


def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def post(conn):
    conn.request("POST", "/v1/run", body=BODY, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    body = json.loads(r.read())
    if r.status != 200 or body.get("stdout") != "1\n":
        raise RuntimeError(f"run failed: {r.status} {body}")


def closed_loop(server, clients, seconds):
    """Each client sends its next run as soon as the last one answered; returns (runs/s, latencies ms)."""
    lat, lock = [], threading.Lock()
    stop = time.perf_counter() + seconds

    def client():
        c = server.conn()
        mine = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            post(c)
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            lat.extend(mine)
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(clients) as ex:
        list(ex.map(lambda _: client(), range(clients)))
    return len(lat) / (time.perf_counter() - t0), lat


def open_loop(server, rate, seconds):
    """Runs sent at `rate` per second whatever the answers, each on a new connection as independent
    callers would; latency counts from the planned send time."""
    lat, lock = [], threading.Lock()

    def one(planned):
        delay = planned - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        post(server.conn())
        with lock:
            lat.append((time.perf_counter() - planned) * 1000)
    n = int(rate * seconds)
    start = time.perf_counter() + 0.2
    with cf.ThreadPoolExecutor(64) as ex:
        futs = []
        for i in range(n):
            planned = start + i / rate
            while planned - time.perf_counter() > 0.5:  # the pool's queue stays short
                time.sleep(0.1)
            futs.append(ex.submit(one, planned))
        for f in futs:
            f.result()
    return lat


def pool_counts(server):
    m = server.get("/metrics")[1].decode()
    hit = re.search(r'orch_pool_requests_total\{result="hit"\} (\d+)', m)
    miss = re.search(r'orch_pool_requests_total\{result="miss"\} (\d+)', m)
    return int(hit.group(1)) if hit else 0, int(miss.group(1)) if miss else 0


def closed_rounds(Server, flags, clients):
    """Closed loop without and with `--pool python=auto`, alternated (no pool, pool, no pool, pool):
    the machine's drift over a run (page cache, the engine's state) falls on both alike."""
    got = {False: ([], 0.0), True: ([], 0.0)}
    for _ in range(ROUNDS):
        for pooled in (False, True):
            s = Server(*flags, *(["--pool", "python=auto"] if pooled else []))
            try:
                if pooled:
                    s.wait_pool("python", 1)
                closed_loop(s, clients, 3)  # warm-up
                t = time.perf_counter()
                _, lat = closed_loop(s, clients, CLOSED_S / ROUNDS)
                lats, secs = got[pooled]
                got[pooled] = (lats + lat, secs + time.perf_counter() - t)
            finally:
                s.stop()
    return {k: (len(lats) / secs, lats) for k, (lats, secs) in got.items()}


def run(Server, rows, say):
    flags = ["--max-concurrent", "32", "--tenant-concurrent", "32", "--access-log", "off"]
    base = {}
    for clients in (4, 16):
        got = closed_rounds(Server, flags, clients)
        b_rate, b_lat = got[False]
        rate, lat = got[True]
        b_p50, p50 = statistics.median(b_lat), statistics.median(lat)
        base[clients] = (b_rate, b_p50)
        rows.append(("load", f"closed loop, {clients} clients, no pool (baseline)", b_rate, b_rate, "baseline", "", "", "runs/s"))
        rows.append(("load", f"closed loop, {clients} clients, no pool: latency p50", b_p50, pct(b_lat, 0.99), "", "", "", "ms"))
        rows.append(("load", f"closed loop, {clients} clients, --pool python=auto", rate, rate, f"{rate / b_rate:.2f}x",
                     ">= 1.0x throughput", "met" if rate >= b_rate else "MISSED", "runs/s"))
        rows.append(("load", f"closed loop, {clients} clients, --pool python=auto: latency p50", p50, pct(lat, 0.99),
                     f"{p50 / b_p50:.2f}x", "p50 <= no pool's", "met" if p50 <= b_p50 else "MISSED", "ms"))
        say(f"  load         {clients:>2} clients: no pool {b_rate:.2f} runs/s, p50 {b_p50:.0f} ms; pool auto {rate:.2f} runs/s, p50 {p50:.0f} ms")
    sustained = max(r for r, _ in base.values())
    rate = 0.8 * sustained
    rows.append(("load", "rate sustained without a pool (the better closed loop)", sustained, sustained, "", "", "", "runs/s"))
    s = Server(*flags, "--pool", "python=auto")
    try:
        s.wait_pool("python", 1)
        open_loop(s, rate, OPEN_WARMUP_S)
        h0, m0 = pool_counts(s)
        lat = open_loop(s, rate, OPEN_S)
        h1, m1 = pool_counts(s)
        state = json.loads(s.get("/health")[1])["pool"]["python"]
        hits = 100.0 * (h1 - h0) / max(1, (h1 - h0) + (m1 - m0))
        p50, p99 = statistics.median(lat), pct(lat, 0.99)
        rows.append(("load", f"open loop at 80% ({rate:.2f} runs/s), pool auto: hits", hits, hits, "", ">= 95%",
                     "met" if hits >= 95 else "MISSED", "%"))
        rows.append(("load", f"open loop at 80%, pool auto: latency p50 (p99 in the next column)", p50, p99, "", "p50 < 5 ms, p99 < 50 ms",
                     "met" if p50 < 5 and p99 < 50 else "MISSED", "ms"))
        rows.append(("load", f"open loop at 80%: pool target / ready at the end", state["target"], state["ready"], "", "", "", "sandboxes"))
        say(f"  load         open loop {rate:.2f}/s: {hits:.1f}% hits, p50 {p50:.1f} ms, p99 {p99:.1f} ms, pool {state}")
        t = time.perf_counter()
        while time.perf_counter() - t < 240:
            st = json.loads(s.get("/health")[1])["pool"]["python"]
            if st["target"] <= 1 and st["ready"] + st["preparing"] <= 1:
                break
            time.sleep(1)
        shrink = time.perf_counter() - t
        rows.append(("load", "traffic stopped: time until the pool is back at its floor", shrink, shrink, "", "", "", "s"))
    finally:
        s.stop()
