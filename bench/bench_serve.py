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
"""

# ruff: noqa: S310, S603 - benchmarks fetch our own server on loopback and run our own tools

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine  # noqa: E402 - the folder is not a package
from bench_dashboard import CHIENDICH, LOGIN, PAGE, free_port, pct, session  # noqa: E402

GOAL_MS = 300


def load(
    base: str, url: str, users: int, each: int, signed_in: bool
) -> tuple[list[float], float, int]:
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
    return latencies, time.perf_counter() - began, failures


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


def measure(kind: str, data_dir: Path, users: list[int], each: int, workers: int | None) -> dict:
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
        for n in users:
            results[("sign-in", n)] = load(base, LOGIN, n, each, signed_in=False)
            results[("overview", n)] = load(base, PAGE, n, each, signed_in=True)
        return results
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--users", default="20,50")
    parser.add_argument("--each", type=int, default=10, help="requests per user")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    args = parser.parse_args()
    users = [int(n) for n in args.users.split(",")]
    data_dir = args.data_dir.resolve()
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start")
    print(f"Data: {data_dir} ({database}), page {PAGE} as the demo chairman")
    table = {}
    for kind in ("runserver", "serve"):
        table[kind] = measure(kind, data_dir, users, args.each, args.workers)
    print(
        f"\n{'server':<10} {'page':<9} {'users':>5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'pages/s':>8} {'failed':>7}"
    )
    for kind, results in table.items():
        for (page, n), (latencies, wall, failed) in results.items():
            answered = latencies or [float("nan")]
            print(
                f"{kind:<10} {page:<9} {n:>5} {pct(answered, 50):>7.0f} {pct(answered, 95):>7.0f} "
                f"{max(answered):>7.0f} {len(latencies) / wall:>8.1f} {failed:>7}"
            )
    for n in users:
        ours, _, failed = table["serve"][("overview", n)]
        base, _, base_failed = table["runserver"][("overview", n)]
        p95, base_p95 = pct(ours, 95), pct(base or [float("nan")], 95)
        verdict = "met" if p95 < GOAL_MS and not failed else "MISSED"
        print(
            f"overview p95 at {n} users: serve {p95:.0f} ms ({failed} failed), runserver "
            f"{base_p95:.0f} ms ({base_failed} failed), {p95 / base_p95:.2f}x; "
            f"goal < {GOAL_MS} ms and no failure: {verdict}"
        )


if __name__ == "__main__":
    main()
