"""The province overview (issue 7, item 5): server time, and latency under 20
concurrent users on loopback.

    CHIENDICH_DATA_DIR=/tmp/dash/var uv run chiendich demo --no-serve   # once, ~1-2 min
    uv run python bench/bench_dashboard.py --data-dir /tmp/dash/var [--runs 30] [--users 20]
    # today's Đồng Tháp (two-level tree), its demo built with --plan plans/dong-thap-2026.yaml:
    uv run python bench/bench_dashboard.py --data-dir DIR --page /don-vi/82.2025/ \
        --password dongthap-412 --no-load

The database is the full-scale demo (built with `--build` when missing). The
page is `/don-vi/82/` as the demo's provincial chairman (`chutich`) reads it:
every indicator of Plan 383 for the province, with trends, and the table of
its 11 districts.

1. Server time, in this process through Django's test client (no network):
   - baseline: the sign-in page (a template and no query of the campaign);
   - overview, warm: the figures and the rendered dashboard are in the cache
     (the steady state: the cache key moves only when counts, forms, targets
     or units change, see web/stored.py);
   - overview, after a door-to-door outcome: a real outcome (field.services.visit_record,
     "activated level 1" for a citizen of a hamlet not yet activated, on the last
     counted day) before each run: the hamlet's counts move in place and the change is
     logged; the page's cached VNeID inputs catch up on it (web/dashboard.VneidInputs)
     and the page is rendered again, the TTHC figures stay cached;
   - overview, after a hamlet's recount: one hamlet's VNeID counts recounted before
     each run (the same numbers, new rows), which reads every VNeID input of the
     page again: what the first view after an outcome cost before the inputs
     caught up (the baseline of the line above; an outcome then showed nothing new
     until a recount, see BENCHMARKS);
   - overview, after a dossier import: one commune's dossier counts recounted
     before each run, as a dossier import does inside its transaction (the TTHC
     figures' version moves), then the refresh the import runs once it has
     committed (web/warm.py: the provinces' and districts' pages computed in the
     importing process, into the cache the server's processes share; its own time
     is printed apart: the import's, not the reader's);
   - overview, cold: the cache emptied before every run (no refresh: what the
     first view after an import cost before the refresh, the reader computing
     every figure).
2. 20 users on loopback: `chiendich runserver --noreload` (Django's threaded
   server: waitress and gunicorn are not dependencies) in a child process;
   each user is a thread with its own session (signed in through the form,
   CSRF and all) that asks for the page back to back, no think time, through
   urllib. The baseline is the same load on the sign-in page.
"""

# ruff: noqa: S310, S603 - benchmarks fetch our own server on loopback and run our own tools

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine  # noqa: E402 - the folder is not a package

CHIENDICH = str(Path(sys.executable).with_name("chiendich"))  # this venv's command
PAGE = "/don-vi/82/"
LOGIN = "/dang-nhap/"
USER = "chutich"
PASSWORD = "tiengiang-383"  # noqa: S105 - the demo's printed password


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.1f} ms, p95 {pct(values, 95):.1f} ms, "
        f"max {max(values):.1f} ms (n={len(values)})"
    )


# --- 1. server time -------------------------------------------------------------------------


def server_time(runs: int, cold_runs: int, page: str = PAGE) -> dict[str, list[float]]:
    import django

    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from chiendich.accounts.models import User

    anonymous, chairman = Client(), Client()
    chairman.force_login(User.objects.get(username=USER))

    def timed(client: Client, url: str, before: object = None) -> float:
        if callable(before):
            before()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return elapsed

    from chiendich.units.models import Level, Unit
    from chiendich.vneid.counts import counts_refresh
    from chiendich.vneid.models import DailyCount

    hamlet = Unit.objects.filter(level=Level.HAMLET).order_by("path").first()
    last_day = DailyCount.objects.order_by("-date").values_list("date", flat=True).first()

    def visit() -> None:
        """What a door-to-door outcome does to the data: one hamlet's counts recounted
        (the same numbers, new rows), so the VNeID figures' cache key moves."""
        assert hamlet is not None and last_day is not None  # noqa: S101 - the demo has both
        counts_refresh([hamlet.pk], since=last_day)

    import random

    from chiendich.field.services import visit_record
    from chiendich.vneid.models import Citizen

    waiting = list(
        Citizen.objects.filter(unit__level=Level.HAMLET, birth_date__lt="2005-01-01")
        .exclude(state__in=["activated_l1", "activated_l2"])
        .values_list("pk", flat=True)[:20000]
    )
    rng = random.Random(15)  # noqa: S311 - a fixed sequence, not a secret
    outcomes: list[float] = []

    def outcome() -> None:
        """A volunteer's outcome, as the field page records it (timed apart)."""
        assert waiting and last_day is not None  # noqa: S101 - the demo has both
        citizen = Citizen.objects.get(pk=waiting.pop(rng.randrange(len(waiting))))
        began = time.perf_counter()
        visit_record(citizen, outcome="activated_l1", day=last_day, acting_user=None)
        outcomes.append((time.perf_counter() - began) * 1000)

    from chiendich.procedures.counts import counts_rebuild as dossier_counts_rebuild
    from chiendich.procedures.models import DossierCount
    from chiendich.web.warm import overview_refresh, overview_units, refresh_order

    commune = (
        Unit.objects.filter(pk__in=DossierCount.objects.values("unit_id"), level="commune")
        .order_by("path")
        .first()
    )
    refreshes: list[float] = []
    # pages computed, pages asked, pages of the units below in Vietnamese, units below
    refreshed: list[tuple[int, int, int, int]] = []

    def dossier_import() -> None:
        """What a dossier import does: one commune's dossier counts recounted in its
        transaction (the same numbers, new rows: the TTHC version moves), then, once
        committed, the overview refresh (timed apart)."""
        assert commune is not None  # noqa: S101 - the demo has dossiers
        dossier_counts_rebuild(unit_ids=[commune.pk])
        began = time.perf_counter()
        done = overview_refresh()
        refreshes.append((time.perf_counter() - began) * 1000)
        units = overview_units()
        below_vi = sum(
            1
            for unit, language in refresh_order(units)[: done.pages]
            if unit.level != "province" and language == "vi"
        )
        refreshed.append((done.pages, len(units) * 2, below_vi, len(units) - 1))

    timed(anonymous, LOGIN)
    timed(chairman, page)  # warms the cache and SQLite's pages
    return {
        "baseline": [timed(anonymous, LOGIN) for _ in range(runs)],
        "warm": [timed(chairman, page) for _ in range(runs)],
        "after a door-to-door outcome": [
            timed(chairman, page, outcome) for _ in range(max(cold_runs, 10))
        ],
        "outcome write": outcomes,
        "after a hamlet's recount": [timed(chairman, page, visit) for _ in range(cold_runs)],
        "after a dossier import": [timed(chairman, page, dossier_import) for _ in range(cold_runs)],
        "refresh (in the import)": refreshes,
        "refresh pages": [float(r[0]) for r in refreshed],
        "refresh pages asked": [float(r[1]) for r in refreshed],
        "refresh below vi": [float(r[2]) for r in refreshed],
        "units below": [float(r[3]) for r in refreshed],
        "cold": [timed(chairman, page, cache.clear) for _ in range(cold_runs)],
    }


# --- 2. concurrent users --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session(base: str) -> urllib.request.OpenerDirector:
    """A signed-in browser-like session: cookies, the sign-in form and its CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base + LOGIN, timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no CSRF token on the sign-in page")
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": USER, "password": PASSWORD, "next": "/"}
    ).encode()
    request = urllib.request.Request(base + LOGIN, data=data, headers={"Referer": base + LOGIN})
    opener.open(request, timeout=60).read()
    if not any(c.name == "sessionid" for c in jar):
        raise SystemExit("could not sign in as the demo chairman")
    return opener


def load(base: str, url: str, users: int, each: int, signed_in: bool) -> tuple[list[float], float]:
    """`users` threads fetching `url` `each` times back to back; latencies (ms) and wall time."""
    openers = [session(base) if signed_in else urllib.request.build_opener() for _ in range(users)]
    for opener in openers:
        opener.open(base + url, timeout=60).read()  # warm: caches, connections, pages
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(users + 1)

    def user(opener: urllib.request.OpenerDirector) -> None:
        mine = []
        start.wait()
        for _ in range(each):
            began = time.perf_counter()
            body = opener.open(base + url, timeout=60).read()
            mine.append((time.perf_counter() - began) * 1000)
            if not body:
                raise SystemExit(f"{url}: empty page")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=user, args=(o,)) for o in openers]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - began


def concurrent(data_dir: Path, users: int, each: int) -> dict[str, tuple[list[float], float]]:
    port = free_port()
    env = dict(os.environ, CHIENDICH_DATA_DIR=str(data_dir))
    server = subprocess.Popen(
        [CHIENDICH, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + LOGIN, timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("the server did not start")
        return {
            "baseline": load(base, LOGIN, users, each, signed_in=False),
            "overview": load(base, PAGE, users, each, signed_in=True),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:  # noqa: PLR0915 - one driver
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--build", action="store_true", help="build the full demo when missing")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument(
        "--no-load", action="store_true", help="server time only (no concurrent users)"
    )
    parser.add_argument("--each", type=int, default=10, help="requests per user")
    parser.add_argument("--page", default=PAGE, help="e.g. /don-vi/82.2025/ for today's Đồng Tháp")
    parser.add_argument("--password", default=PASSWORD, help="the demo's printed password")
    args = parser.parse_args()
    globals().update(PAGE=args.page, PASSWORD=args.password)  # the concurrent part reads them
    data_dir = args.data_dir.resolve()
    os.environ["CHIENDICH_DATA_DIR"] = str(data_dir)
    if not (data_dir / "chiendich.sqlite3").exists():
        if not args.build:
            raise SystemExit(f"no demo in {data_dir}: build it first, or pass --build")
        subprocess.run([CHIENDICH, "demo", "--no-serve"], cwd=REPO, check=True)
    subprocess.run([CHIENDICH, "migrate", "-v0"], cwd=REPO, check=True)
    print(f"Machine: {machine()}")
    print(f"Data: {data_dir} (full-scale demo), page {PAGE} as {USER}")

    times = server_time(args.runs, args.cold_runs, args.page)
    base = statistics.median(times["baseline"])
    print("\n1. Server time (Django test client, one user)")
    print(f"  baseline, sign-in page: {summary(times['baseline'])}")
    for kind in (
        "warm",
        "after a door-to-door outcome",
        "after a hamlet's recount",
        "after a dossier import",
        "cold",
    ):
        ratio = statistics.median(times[kind]) / base
        print(f"  overview, {kind}: {summary(times[kind])}; {ratio:.1f}x baseline")
    print(
        f"  the outcome itself (the volunteer's write, not the reader's): {summary(times['outcome write'])}"
    )
    outcome_ms = statistics.median(times["after a door-to-door outcome"])
    recount_ms = statistics.median(times["after a hamlet's recount"])
    print(
        f"  first view after an outcome / after a recount (inputs read whole): "
        f"{outcome_ms / recount_ms:.2f}x; goal < 200 ms (median): "
        f"{'met' if outcome_ms < 200 else 'MISSED'}"
    )
    print(
        f"  the import's refresh after its commit (not the reader's): {summary(times['refresh (in the import)'])}"
    )
    pages, asked = times["refresh pages"], times["refresh pages asked"]
    print(
        f"  pages the refresh computed within its budget: {[int(p) for p in pages]} of "
        f"{int(asked[0]) if asked else 0} (the provinces' and the units' right below, 2 languages)"
    )
    below = times["units below"]
    print(
        f"  of which the units below the province in Vietnamese: "
        f"{[int(p) for p in times['refresh below vi']]} of {int(below[0]) if below else 0}"
    )
    warm = statistics.median(times["warm"])
    print(f"  goal < 200 ms (warm median): {'met' if warm < 200 else 'MISSED'}")
    after = statistics.median(times["after a dossier import"])
    print(
        f"  goal < 200 ms (first view after a dossier import, median): "
        f"{'met' if after < 200 else 'MISSED'}"
    )

    if args.no_load:
        return
    print(
        f"\n2. {args.users} concurrent users on loopback, {args.each} requests each, no think time"
    )
    results = concurrent(data_dir, args.users, args.each)
    for name, (latencies, wall) in results.items():
        print(
            f"  {name}: p50 {pct(latencies, 50):.0f} ms, p95 {pct(latencies, 95):.0f} ms, "
            f"max {max(latencies):.0f} ms; {len(latencies) / wall:.1f} pages/s"
        )
    p95 = pct(results["overview"][0], 95)
    ratio = p95 / pct(results["baseline"][0], 95)
    print(
        f"  overview p95 / baseline p95: {ratio:.1f}x; goal p95 < 500 ms: {'met' if p95 < 500 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
