"""The province overview under 20 and 50 concurrent users on `chiendich serve`
(gunicorn, issue 16 item 8), against Django's `runserver` as the baseline in the
same run.

    DATABASE_URL=postgres://chiendich:chiendich@127.0.0.1:5432/DB_WITH_THE_DEMO \\
      CHIENDICH_DATA_DIR=/tmp/pg/var uv run chiendich demo --no-serve     # once
    DATABASE_URL=... uv run python bench/bench_serve.py --data-dir /tmp/pg/var \\
      [--users 20,50] [--each 10] [--workers N]

Each user is a thread with its own signed-in session (the demo's provincial chairman,
signed in through the form), asking for `/don-vi/82/` back to back with no think time,
through urllib on loopback (bench_dashboard.py's load). The client threads run on the
same machine as the server, so they take CPU from it: the figures are an upper bound.
The goal: p95 under 300 ms at 50 users on `chiendich serve` with PostgreSQL.

`--client wrk` drives the same load with wrk (Debian's `wrk` package), a C load
generator: 50 connections sharing one signed-in session, for `--seconds` each, p50/p95
from wrk's latency histogram. Python client threads cost the server's 2 cores about as
much CPU as the pages they ask for; wrk costs a fraction of that, so its figures are the
server's own.
"""

# ruff: noqa: S310, S603 - benchmarks fetch our own server on loopback and run our own tools

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine  # noqa: E402 - the folder is not a package
from bench_dashboard import CHIENDICH, LOGIN, PAGE, free_port, pct, session  # noqa: E402

GOAL_MS = 300


@dataclass
class Load:
    """One load's figures: latencies of answered pages (ms), throughput, failures."""

    p50: float
    p95: float
    max: float
    pages_per_s: float
    failed: int


def load(base: str, url: str, users: int, each: int, signed_in: bool) -> Load:
    """bench_dashboard's load, counting failed requests (HTTP 5xx, dropped connections)
    instead of letting a user's thread die: latencies (ms) of answered pages, wall
    time, failures."""
    openers = [session(base) if signed_in else urllib.request.build_opener() for _ in range(users)]
    for opener in openers:
        # Warm: caches, connections, pages; a failure here counts in the requests below.
        with contextlib.suppress(OSError):
            opener.open(base + url, timeout=60).read()
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    start = threading.Barrier(users + 1)

    def user(opener: urllib.request.OpenerDirector) -> None:
        nonlocal failures
        mine, failed = [], 0
        start.wait()
        for _ in range(each):
            began = time.perf_counter()
            try:
                body = opener.open(base + url, timeout=60).read()
            except OSError:  # urllib's HTTPError and URLError, resets, timeouts
                failed += 1
                continue
            mine.append((time.perf_counter() - began) * 1000)
            failed += not body
        with lock:
            latencies.extend(mine)
            failures += failed

    threads = [threading.Thread(target=user, args=(o,)) for o in openers]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    answered = latencies or [float("nan")]
    return Load(
        pct(answered, 50), pct(answered, 95), max(answered), len(latencies) / wall, failures
    )


WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %.3f %.3f %.3f\\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency.max / 1000))
end
"""


def load_wrk(base: str, url: str, users: int, seconds: int, signed_in: bool) -> Load:
    """The same load from wrk: `users` connections for `seconds`, figures from wrk's
    latency histogram and request count."""
    headers = []
    if signed_in:
        opener = session(base)
        jar = next(h for h in opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor))
        cookies = "; ".join(f"{c.name}={c.value}" for c in jar.cookiejar)
        headers = ["-H", f"Cookie: {cookies}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        command = ["wrk", "-t2", f"-c{users}", f"-d{seconds}s", "--timeout", "30s"]
        command += [*headers, "-s", script.name, base + url]
        # Warm (caches of every worker process, connections): one run, discarded.
        subprocess.run(command, capture_output=True, check=True)
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    requests, failed, micros, p50, p95, top = line.split()[1:]
    return Load(
        float(p50), float(p95), float(top), int(requests) / (int(micros) / 1e6), int(failed)
    )


def server(kind: str, data_dir: Path, port: int, workers: int | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CHIENDICH_DATA_DIR=str(data_dir))
    env.setdefault("CHIENDICH_SECRET_KEY", secrets.token_urlsafe(50))
    if kind == "serve":
        command = [CHIENDICH, "serve", "--bind", f"127.0.0.1:{port}"]
        if workers:
            command += ["--workers", str(workers)]
    else:
        command = [CHIENDICH, "runserver", "--noreload", f"127.0.0.1:{port}"]
        # runserver starts a thread per request, each with its own connection: kept for
        # CONN_MAX_AGE they exhaust PostgreSQL's max_connections under load ("too many
        # clients"), so the baseline closes each at the end of its request.
        env["CHIENDICH_CONN_MAX_AGE"] = "0"
    # The server's own log, to read why a request failed.
    log = (Path(tempfile.gettempdir()) / f"bench-serve-{kind}.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)


def measure(
    kind: str, data_dir: Path, users: list[int], each: int, workers: int | None, client: str
) -> dict:
    port = free_port()
    process = server(kind, data_dir, port, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + LOGIN, timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit(f"{kind} did not start")
        results = {}
        run = load_wrk if client == "wrk" else load
        for n in users:
            results[("sign-in", n)] = run(base, LOGIN, n, each, False)
            results[("overview", n)] = run(base, PAGE, n, each, True)
        return results
    finally:
        process.terminate()
        process.wait(timeout=60)


def print_table(title: str, table: dict[str, dict[tuple[str, int], Load]]) -> None:
    print(f"\n{title}")
    print(
        f"{'server':<10} {'page':<9} {'users':>5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'pages/s':>8} {'failed':>7}"
    )
    for kind, results in table.items():
        for (page, n), r in results.items():
            print(
                f"{kind:<10} {page:<9} {n:>5} {r.p50:>7.0f} {r.p95:>7.0f} {r.max:>7.0f} "
                f"{r.pages_per_s:>8.1f} {r.failed:>7}"
            )


def medians(
    runs: list[dict[str, dict[tuple[str, int], Load]]],
) -> dict[str, dict[tuple[str, int], Load]]:
    """Each figure's median over the runs (failures: their sum)."""
    out: dict[str, dict[tuple[str, int], Load]] = {}
    for kind, results in runs[0].items():
        out[kind] = {}
        for row in results:
            loads = [run[kind][row] for run in runs]
            out[kind][row] = Load(
                statistics.median(x.p50 for x in loads),
                statistics.median(x.p95 for x in loads),
                statistics.median(x.max for x in loads),
                statistics.median(x.pages_per_s for x in loads),
                sum(x.failed for x in loads),
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--users", default="20,50")
    parser.add_argument("--each", type=int, default=10, help="requests per user")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--client", choices=["urllib", "wrk"], default="urllib")
    parser.add_argument("--seconds", type=int, default=15, help="wrk: seconds per load")
    parser.add_argument(
        "--runs", type=int, default=1, help="whole runs (both servers each time); medians"
    )
    args = parser.parse_args()
    if args.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--client wrk needs wrk (apt-get install wrk)")
    each = args.seconds if args.client == "wrk" else args.each
    users = [int(n) for n in args.users.split(",")]
    data_dir = args.data_dir.resolve()
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start")
    print(f"Data: {data_dir} ({database}), page {PAGE} as the demo chairman, client {args.client}")
    runs = []
    for number in range(1, args.runs + 1):
        table = {}
        for kind in ("runserver", "serve"):
            table[kind] = measure(kind, data_dir, users, each, args.workers, args.client)
        runs.append(table)
        print_table(f"Run {number} (load average {os.getloadavg()[0]:.1f} at its end)", table)
    table = medians(runs) if len(runs) > 1 else runs[0]
    if len(runs) > 1:
        print_table(f"Medians of {len(runs)} runs (failed: the sum)", table)
    for n in users:
        ours, base = table["serve"][("overview", n)], table["runserver"][("overview", n)]
        verdict = "met" if ours.p95 < GOAL_MS and not ours.failed else "MISSED"
        print(
            f"overview p95 at {n} users: serve {ours.p95:.0f} ms ({ours.failed} failed), "
            f"runserver {base.p95:.0f} ms ({base.failed} failed), {ours.p95 / base.p95:.2f}x; "
            f"goal < {GOAL_MS} ms and no failure: {verdict}"
        )


if __name__ == "__main__":
    main()
