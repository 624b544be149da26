"""Dated unit trees (issue 12): loading the whole country, and a new unit's 2023 history.

    uv run python bench/bench_units.py load [--runs 3]
    DATABASE_URL=postgres://… uv run python bench/bench_units.py load --database postgres
    uv run chiendich demo --no-serve            # the full-scale 2023 replay in ./var
    uv run python bench/bench_units.py history [--data-dir var] [--runs 5]

load: `chiendich.units.loading.units_load(None, today)` into a freshly migrated
database, in a child process: both trees (63 old provinces, 696 districts,
10,051 communes; 34 new provinces, 3,321 communes) and the 10,500-odd lineage
rows, then every unit's successor path. Baselines, in the same run: reading
the same divisions and links from the package's Python API (the floor of the
data itself), and a bare `executemany` of as many rows into an empty SQLite
table (the floor of writing them).

history: on the built 2023 demo (which also loads today's tree), the figures
an officer of today's Phường Đạo Thạnh (28249.2025) and of today's province
(82.2025) asks about the 2023 campaign: 60 days of VNeID progress (one rollup
per day) and every TTHC indicator over the digitization peak. Next to them,
the same figures for the old units (Phường 5 "28249" and old Tiền Giang "82"),
which is what the 2023 campaign itself reads. Same numbers for the provinces
is checked (old Đồng Tháp has no records in the demo).
"""

# ruff: noqa: S603 - benchmarks run our own tools by design

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    REPO,
    child_env,
    fmt_runs,
    machine,
    median,
    pg_admin,
    pg_url,
    sqlite_copy,
    work_folder,
)


def _django() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    import django

    django.setup()


# --- load -------------------------------------------------------------------------------------


def _package_floor() -> tuple[float, int, int]:
    """Read every division and link of both trees from the package's API; seconds, rows."""
    from vietnam_provinces import Province, Ward, legacy

    started = time.perf_counter()
    rows = 0
    for p in legacy.Province.iter_all():
        rows += 1
        rows += sum(1 for _ in legacy.District.iter_by_province(p.code))
    rows += sum(1 for _ in legacy.Ward.iter_all())
    rows += sum(1 for _ in Province.iter_all())
    rows += sum(1 for _ in Ward.iter_all())
    links = sum(len(w.get_legacy_sources()) for w in Ward.iter_all())
    links += sum(len(p.get_legacy_sources()) for p in Province.iter_all())
    return time.perf_counter() - started, rows, links


def _insert_floor(folder: Path, rows: int) -> float:
    """executemany of `rows` unit-like rows (and an index) into an empty SQLite file."""
    db_path = folder / "floor.sqlite3"
    db_path.unlink(missing_ok=True)
    db = sqlite3.connect(db_path)
    db.execute(
        "CREATE TABLE unit (id INTEGER PRIMARY KEY, code TEXT UNIQUE, gso_code TEXT, name TEXT,"
        " type TEXT, level TEXT, parent_id INTEGER, path TEXT, valid_from DATE, valid_to DATE)"
    )
    db.execute("CREATE INDEX unit_path ON unit (path)")
    data = [
        (f"{i}", f"{i}", f"Xã {i}", "xa", "commune", None, f"82/{i}/", None, "2025-06-30")
        for i in range(rows)
    ]
    started = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO unit (code, gso_code, name, type, level, parent_id, path, valid_from,"
            " valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data,
        )
    seconds = time.perf_counter() - started
    db.close()
    return seconds


def _child_load() -> dict[str, Any]:
    """In a child: migrate, then time the load of the whole country."""
    import resource

    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from chiendich.units.loading import units_load
    from chiendich.units.models import Lineage, Unit

    started = time.perf_counter()
    result = units_load(None, dt.date(2026, 1, 1))
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = units_load(None, dt.date(2026, 1, 1))
    reload_seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "reload_seconds": reload_seconds,
        "units": Unit.objects.count(),
        "lineage": Lineage.objects.count(),
        "created": result.created,
        "reload_unchanged": again.unchanged,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def load(args: argparse.Namespace, work: Path) -> None:
    url = os.environ.get("DATABASE_URL", "") if args.database == "postgres" else ""
    if args.database == "postgres" and not url.startswith("postgres"):
        raise SystemExit("--database postgres needs DATABASE_URL")
    floors, inserts, ours, reloads, last = [], [], [], [], {}
    for run in range(args.runs):
        package_seconds, rows, links = _package_floor()
        floors.append(package_seconds)
        inserts.append(_insert_floor(work, rows))
        if url:
            name = f"bench_units_{run}"
            pg_admin(url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
            env = child_env(database_url=pg_url(url, name))
        else:
            folder = work / f"db{run}"
            folder.mkdir()
            env = child_env(data_dir=folder)
        done = subprocess.run(
            [sys.executable, __file__, "child-load"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        last = json.loads(done.stdout.strip().splitlines()[-1])
        ours.append(last["seconds"])
        reloads.append(last["reload_seconds"])
        if url:
            pg_admin(url, f"DROP DATABASE IF EXISTS bench_units_{run}")
    print(f"package: {rows:,} divisions and {links:,} links")
    print(f"baseline reading them from the package API: {fmt_runs(floors)}")
    print(f"baseline bare executemany of {rows:,} rows into SQLite: {fmt_runs(inserts)}")
    print(
        f"ours units_load(None, 2026-01-01) on {args.database} "
        f"({last['units']:,} units, {last['lineage']:,} lineage rows): {fmt_runs(ours)}"
    )
    print(
        f"  a second load (writes nothing, {last['reload_unchanged']:,} unchanged): {fmt_runs(reloads)}"
    )
    floor = median(floors) + median(inserts)
    print(
        f"ratio ours / (package read + bare insert): {median(ours) / floor:.1f}x; "
        f"peak RSS of the child {last['max_rss_kib'] / 1024:.0f} MiB"
    )


# --- history ----------------------------------------------------------------------------------


def _figures(
    unit_code: str, days: list[dt.date], window: tuple[dt.date, dt.date]
) -> dict[str, Any]:
    from chiendich.procedures.selectors import unit_kpi
    from chiendich.units.models import Unit
    from chiendich.vneid.progress import rollup

    unit = Unit.objects.get(code=unit_code)
    started = time.perf_counter()
    series = [rollup(d, codes={unit.code}).get(unit.code) for d in days]
    middle = time.perf_counter()
    kpi = unit_kpi(unit, *window)
    ended = time.perf_counter()
    last = series[-1]
    return {
        "vneid_seconds": middle - started,
        "tthc_seconds": ended - middle,
        "activated": last.activated if last else 0,
        "eligible": last.eligible if last else 0,
        "online": (
            kpi.indicator("online_dossier_rate").numerator,
            kpi.indicator("online_dossier_rate").denominator,
        ),
    }


def history(args: argparse.Namespace, work: Path) -> None:
    if args.database == "sqlite":
        source = args.data_dir / "chiendich.sqlite3"
        if not source.exists():
            raise SystemExit(
                f"no database at {source}: run `uv run chiendich demo --no-serve` first"
            )
        copy = sqlite_copy(source, work / "db")
        os.environ["CHIENDICH_DATA_DIR"] = str(copy.parent)
        os.environ.pop("DATABASE_URL", None)
    _django()
    from chiendich.plans.models import Plan

    plan = Plan.objects.get(code="tien-giang-383-2023")
    vneid = plan.periods.get(key="vneid")
    tthc = plan.periods.get(key="tthc")
    days = [vneid.start + dt.timedelta(days=k) for k in range(vneid.days)]
    window = (tthc.start, tthc.end)
    pairs = [("28249.2025", "28249"), ("82.2025", "82")]
    for new, old in pairs:
        timings: dict[str, list[float]] = {"new_v": [], "new_t": [], "old_v": [], "old_t": []}
        for _ in range(args.runs):
            a = _figures(new, days, window)
            b = _figures(old, days, window)
            timings["new_v"].append(a["vneid_seconds"])
            timings["new_t"].append(a["tthc_seconds"])
            timings["old_v"].append(b["vneid_seconds"])
            timings["old_t"].append(b["tthc_seconds"])
        print(f"{new} (today's unit) against {old} (the 2023 unit):")
        print(f"  60 days of VNeID progress, today's unit: {fmt_runs(timings['new_v'])}")
        print(f"  60 days of VNeID progress, 2023 unit:    {fmt_runs(timings['old_v'])}")
        print(f"  ratio {median(timings['new_v']) / median(timings['old_v']):.2f}x")
        print(
            f"  every TTHC indicator over {window[0]:%d/%m}–{window[1]:%d/%m/%Y}, today's unit: {fmt_runs(timings['new_t'])}"
        )
        print(f"  every TTHC indicator, 2023 unit:          {fmt_runs(timings['old_t'])}")
        print(f"  ratio {median(timings['new_t']) / median(timings['old_t']):.2f}x")
        print(
            f"  on {days[-1]:%d/%m/%Y}: today's unit activated {a['activated']:,} of {a['eligible']:,} eligible,"
            f" online dossiers {a['online'][0]:,}/{a['online'][1]:,}; the 2023 unit {b['activated']:,} of"
            f" {b['eligible']:,}, {b['online'][0]:,}/{b['online'][1]:,}"
        )


def main() -> None:
    if sys.argv[1:2] == ["child-load"]:
        print(json.dumps(_child_load()))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["load", "history"])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep files here instead of a temp folder")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"machine: {machine()}")
    with work_folder(args.work, "bench-units-") as work:
        (load if args.what == "load" else history)(args, work)


if __name__ == "__main__":
    main()
