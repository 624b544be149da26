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

`--before SRC` also serves the earlier code in SRC (`git archive REV src | tar -x -C
DIR`, then DIR/src) with `chiendich serve`, in the same run, as "before".

`--runs N` repeats the whole run N times and prints each, then the medians.

Besides latencies, each load prints the CPU the server's processes used per answered
page (from /proc, the measured part only), and that of PostgreSQL's backends connected
to the database: figures the other work on the machine changes far less than latencies,
from which the pages/s two idle cores could serve follow.

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
    cpu_ms: float = float("nan")  # the server's processes' CPU per answered page
    db_ms: float = float("nan")  # PostgreSQL's backends' CPU (the database's connections)


# --- CPU per page: the server's process tree and the database's backends -------------------

SERVER_PID: int | None = None  # the server being measured (set by measure)
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _db_pids() -> list[int]:
    """PostgreSQL backends connected to this benchmark's database (none on SQLite)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return []
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [r[0] for r in rows]


class CpuMeter:
    """CPU seconds of the server's processes and of the database's backends between
    start() and stop() (backends that come and go in between, as runserver's do with
    CONN_MAX_AGE=0, are missed: its database figure is a lower bound)."""

    def start(self) -> None:
        self.server = {p: _cpu_ticks(p) for p in _tree(SERVER_PID)} if SERVER_PID else {}
        self.db = {p: _cpu_ticks(p) for p in _db_pids()}

    def stop(self, pages: int) -> tuple[float, float]:
        if not pages:
            return float("nan"), float("nan")
        server = sum(_cpu_ticks(p) - self.server.get(p, 0) for p in _tree(SERVER_PID or 0))
        db = sum(_cpu_ticks(p) - self.db.get(p, 0) for p in _db_pids())
        return server * 1000 / TICK / pages, db * 1000 / TICK / pages


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
    meter = CpuMeter()
    meter.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    cpu, db = meter.stop(len(latencies))
    answered = latencies or [float("nan")]
    return Load(
        pct(answered, 50),
        pct(answered, 95),
        max(answered),
        len(latencies) / wall,
        failures,
        cpu,
        db,
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
        meter = CpuMeter()
        meter.start()
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    requests, failed, micros, p50, p95, top = line.split()[1:]
    cpu, db = meter.stop(int(requests) - int(failed))
    return Load(
        float(p50),
        float(p95),
        float(top),
        int(requests) / (int(micros) / 1e6),
        int(failed),
        cpu,
        db,
    )


BEFORE: Path | None = None  # --before: the source folder of an earlier version of the app


def server(kind: str, data_dir: Path, port: int, workers: int | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CHIENDICH_DATA_DIR=str(data_dir))
    env.setdefault("CHIENDICH_SECRET_KEY", secrets.token_urlsafe(50))
    if kind == "before":
        # The same server and packages, the earlier code first on the path.
        env["PYTHONPATH"] = str(BEFORE)
        kind = "serve"
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
    global SERVER_PID  # noqa: PLW0603 - the meter reads the server being measured
    port = free_port()
    process = server(kind, data_dir, port, workers)
    SERVER_PID = process.pid
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
        f"{'pages/s':>8} {'failed':>7} {'CPU ms/page':>12} {'DB CPU ms':>10}"
    )
    for kind, results in table.items():
        for (page, n), r in results.items():
            print(
                f"{kind:<10} {page:<9} {n:>5} {r.p50:>7.0f} {r.p95:>7.0f} {r.max:>7.0f} "
                f"{r.pages_per_s:>8.1f} {r.failed:>7} {r.cpu_ms:>12.2f} {r.db_ms:>10.2f}"
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
                statistics.median(x.cpu_ms for x in loads),
                statistics.median(x.db_ms for x in loads),
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
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="src folder of an earlier version (git archive REV src | tar -x -C DIR): "
        "also served by `chiendich serve`, as 'before', in every run",
    )
    args = parser.parse_args()
    global BEFORE  # noqa: PLW0603 - set once, from the command line
    BEFORE = args.before.resolve() if args.before else None
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
        for kind in ("runserver", *(["before"] if BEFORE else []), "serve"):
            table[kind] = measure(kind, data_dir, users, each, args.workers, args.client)
        runs.append(table)
        print_table(f"Run {number} (load average {os.getloadavg()[0]:.1f} at its end)", table)
    table = medians(runs) if len(runs) > 1 else runs[0]
    if len(runs) > 1:
        print_table(f"Medians of {len(runs)} runs (failed: the sum)", table)
    for n in users:
        if BEFORE:
            ours, old = table["serve"][("overview", n)], table["before"][("overview", n)]
            print(
                f"overview p95 at {n} users: serve {ours.p95:.0f} ms, the earlier code on serve "
                f"{old.p95:.0f} ms, {ours.p95 / old.p95:.2f}x; pages/s {ours.pages_per_s:.0f} "
                f"against {old.pages_per_s:.0f}"
            )
        ours, base = table["serve"][("overview", n)], table["runserver"][("overview", n)]
        per_page = ours.cpu_ms + (0 if ours.db_ms != ours.db_ms else ours.db_ms)  # nan: SQLite
        cores = os.cpu_count() or 1
        print(
            f"overview at {n} users on serve: {per_page:.1f} ms of CPU per page (server "
            f"{ours.cpu_ms:.1f} + database {ours.db_ms:.1f}); {cores} idle cores would serve "
            f"about {cores * 1000 / per_page:.0f} pages/s, a closed loop of {n} users then "
            f"waits about {n * per_page / cores:.0f} ms a page (an estimate, not a measure)"
        )
        verdict = "met" if ours.p95 < GOAL_MS and not ours.failed else "MISSED"
        print(
            f"overview p95 at {n} users: serve {ours.p95:.0f} ms ({ours.failed} failed), "
            f"runserver {base.p95:.0f} ms ({base.failed} failed), {ours.p95 / base.p95:.2f}x; "
            f"goal < {GOAL_MS} ms and no failure: {verdict}"
        )


if __name__ == "__main__":
    main()
