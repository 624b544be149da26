"""Dated unit trees (issue 12): loading the whole country, and a new unit's 2023 history.

    uv run python bench/bench_units.py load [--runs 3]
    DATABASE_URL=postgres://… uv run python bench/bench_units.py load --database postgres
    uv run python bench/bench_units.py lists [--per-commune 25] [--runs 3] [--before REV]
    uv run chiendich demo --no-serve            # the full-scale 2023 replay in ./var
    uv run python bench/bench_units.py history [--data-dir var] [--runs 5]

load: `chiendich.units.loading.units_load(None, today)` into a freshly migrated
database, in a child process: both trees (63 old provinces, 696 districts,
10,051 communes; 34 new provinces, 3,321 communes) and the 10,500-odd lineage
rows, then every unit's successor path. Baselines, in the same run: reading
the same divisions and links from the package's Python API (the floor of the
data itself), and a bare `executemany` of as many rows into an empty SQLite
table (the floor of writing them).

lists: the hamlets' and organizations' lists of today's Đồng Tháp (82.2025, its 102
communes; the tree loaded untimed in a child process per run): --per-commune hamlets
per commune (a third with a code, the rest matched by name or given one), and the
commune police and People's Committee of each commune, imported by
`units.services.hamlets_import` / `organizations_import`, then each list imported again
(nothing changes). With --before, the older code (a revision or a folder holding `src`)
runs the same lists in turns with ours, on the same database; the ratio is ours / before.

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


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run this script as a child with `args`; the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


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
        last = _child(["child-load"], env)
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


# --- lists -------------------------------------------------------------------------------------

LISTS_DAY = dt.date(2026, 1, 1)


def _write_lists(folder: Path, per_commune: int) -> tuple[Path, Path, int, int]:
    """The hamlets' and organizations' CSVs of every commune of today's Đồng Tháp."""
    from chiendich.units.models import Kind, Level, Unit

    communes = list(
        Unit.objects.filter(level=Level.COMMUNE, kind=Kind.TERRITORIAL, path__startswith="82.2025/")
        .valid_on(LISTS_DAY)
        .order_by("path")
    )
    hamlets, orgs = folder / "ap.csv", folder / "to-chuc.csv"
    with hamlets.open("w", encoding="utf-8") as out:
        out.write("Mã xã,Tên ấp/khu phố,Mã ấp/khu phố\n")
        for c in communes:
            word = "Khu phố" if c.type == "phuong" else "Ấp"
            for k in range(1, per_commune + 1):
                code = f"{c.gso_code}-H{k:03d}" if k % 3 == 0 else ""
                out.write(f"{c.gso_code},{word} {k},{code}\n")
    with orgs.open("w", encoding="utf-8") as out:
        out.write("Mã đơn vị,Tên đơn vị,Loại,Cấp,Mã đơn vị hành chính\n")
        for c in communes:
            out.write(f"{c.gso_code}-CA,Công an {c.name},Công an,xã,{c.gso_code}\n")
            out.write(f"{c.gso_code}-UB,UBND {c.name},ubnd,xã,{c.gso_code}\n")
    return hamlets, orgs, len(communes) * per_commune, len(communes) * 2


def _child_lists(per_commune: int, folder: Path) -> dict[str, Any]:
    """In a child (ours, or the older `src` of BENCH_BEFORE_SRC): migrate, load today's
    Đồng Tháp (untimed), then time each list imported, and imported again."""
    import resource

    sys.path.insert(0, str(REPO / "src"))
    before = os.environ.get("BENCH_BEFORE_SRC")
    if before:
        sys.path.insert(0, before)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from chiendich.units.loading import units_load
    from chiendich.units.services import hamlets_import, organizations_import

    units_load(82, LISTS_DAY)
    hamlets, orgs, n_hamlets, n_orgs = _write_lists(folder, per_commune)
    out: dict[str, Any] = {"hamlets": n_hamlets, "organizations": n_orgs}
    for name, importer, path in (
        ("hamlets", hamlets_import, hamlets),
        ("organizations", organizations_import, orgs),
    ):
        for step in ("first", "again"):
            started = time.perf_counter()
            result = importer(path, on=LISTS_DAY)
            out[f"{name}_{step}"] = time.perf_counter() - started
            out[f"{name}_{step}_outcome"] = (result.created, result.updated, result.unchanged)
    out["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out


def lists(args: argparse.Namespace, work: Path) -> None:
    from _dbfloor import before_source

    url = os.environ.get("DATABASE_URL", "") if args.database == "postgres" else ""
    if args.database == "postgres" and not url.startswith("postgres"):
        raise SystemExit("--database postgres needs DATABASE_URL")
    sides = ["ours"] + (["before"] if args.before else [])
    before_src = before_source(args.before, work) if args.before else None
    seconds: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    last: dict[str, dict[str, Any]] = {}
    for run in range(args.runs):
        # Alternate which side goes first: both see the same load.
        for side in sides if run % 2 == 0 else sides[::-1]:
            folder = work / f"{side}{run}"
            folder.mkdir()
            if url:
                name = f"bench_lists_{side}"
                pg_admin(url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
                env = child_env(database_url=pg_url(url, name))
            else:
                env = child_env(data_dir=folder)
            if side == "before":
                env["BENCH_BEFORE_SRC"] = str(before_src)
            last[side] = _child(["child-lists", str(args.per_commune), str(folder)], env)
            for key, value in last[side].items():
                if isinstance(value, float):
                    seconds[side].setdefault(key, []).append(value)
            if url:
                pg_admin(url, f"DROP DATABASE IF EXISTS bench_lists_{side}")
    ours = last["ours"]
    print(
        f"today's Đồng Tháp on {args.database}: {ours['hamlets']:,} hamlets"
        f" ({args.per_commune} a commune), {ours['organizations']:,} organizations"
    )
    for key, label in (
        ("hamlets_first", "hamlets, first import"),
        ("hamlets_again", "hamlets, again (nothing changes)"),
        ("organizations_first", "organizations, first import"),
        ("organizations_again", "organizations, again"),
    ):
        line = f"{label}: ours {fmt_runs(seconds['ours'][key])} {tuple(ours[key + '_outcome'])}"
        if args.before:
            b = seconds["before"][key]
            line += (
                f"; before {fmt_runs(b)} {tuple(last['before'][key + '_outcome'])};"
                f" ratio ours / before {median(seconds['ours'][key]) / median(b):.2f}x"
            )
        print(line)
    print(f"peak RSS of the child: ours {ours['max_rss_kib'] / 1024:.0f} MiB", end="")
    print(f", before {last['before']['max_rss_kib'] / 1024:.0f} MiB" if args.before else "")


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
    if sys.argv[1:2] == ["child-lists"]:
        print(json.dumps(_child_lists(int(sys.argv[2]), Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["load", "lists", "history"])
    parser.add_argument("--per-commune", type=int, default=25, help="lists: hamlets a commune")
    parser.add_argument("--before", help="lists: an older revision, or a folder holding src")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep files here instead of a temp folder")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"machine: {machine()}")
    with work_folder(args.work, "bench-units-") as work:
        {"load": load, "lists": lists, "history": history}[args.what](args, work)


if __name__ == "__main__":
    main()
