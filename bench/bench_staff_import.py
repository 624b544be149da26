"""Importing agencies' staff lists of 200,000 people (issue 15, item 1).

    uv run python bench/bench_staff_import.py --work /tmp/bk [--rows 200000] [--runs 3]
    DATABASE_URL=postgres://... uv run python bench/bench_staff_import.py --database postgres

The file: --rows people spread over the 375 organizations of the demo at scale 0
(departments, police, schools...), with the canonical headers of a staff list
("Số định danh cá nhân", "Họ và tên", "Chức vụ", "Đối tượng", "Mã cơ quan"):
12-digit IDs, Vietnamese names, categories in words. Every row is valid.

Baseline, the floor: the sqlite3 shell's `.import --csv` of the same file into a
plain table of a fresh database (no checks, no indexes). On PostgreSQL also psql's
`\\copy` into a plain table. Ours: `staff_import(path)` in a child process, into a
fresh copy of the demo at scale 0 (bench_kpi's base), timed around the call; peak
RSS is the child's ru_maxrss, Django included. Goal (issue 15): within 3x of the floor.
"""

# ruff: noqa: S603, S608 - benchmarks run our own tools and the sqlite3 shell by design

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    SQLITE_SHELL,
    child_env,
    fmt_runs,
    machine,
    median,
    pg_admin,
    pg_url,
    sqlite_copy,
    timed,
    work_folder,
)
from _dbfloor import before_source, postgres_floor, sqlite_floor  # noqa: E402
from bench_kpi import _PREFIX, _django, pg_base, sqlite_base  # noqa: E402

PSQL = shutil.which("psql") or "/usr/bin/psql"
HEADER = "Số định danh cá nhân,Họ và tên,Chức vụ,Đối tượng,Mã cơ quan"
PLAIN_TABLE = (
    "CREATE TABLE staff (id_number TEXT, full_name TEXT, position TEXT, category TEXT, agency TEXT)"
)
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng"]
MIDDLE = ["Văn", "Thị", "Hoàng", "Minh", "Ngọc", "Thanh", "Quốc", "Thu"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Phúc", "Tâm", "Yến"]
POSITIONS = ["", "Chuyên viên", "Giáo viên", "Phó Trưởng phòng", "Trưởng phòng", "Nhân viên"]
CATEGORIES = ["Công chức", "Viên chức", "Giáo viên", "Cán bộ", "Lực lượng vũ trang"]


def write_csv(base: Path, path: Path, rows: int) -> int:
    """--rows people, IDs 082 + year + serial (all distinct), agencies in turn."""
    with sqlite3.connect(base) as db:
        agencies = [
            code
            for (code,) in db.execute("SELECT code FROM units_unit WHERE kind = 'organization'")
        ]
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            name = (
                f"{FAMILY[i % len(FAMILY)]} {MIDDLE[i // 10 % len(MIDDLE)]} "
                f"{GIVEN[i // 80 % len(GIVEN)]}"
            )
            year = 60 + i % 40
            id_number = f"0821{year:02d}{i:06d}"
            out.write(
                f"{id_number},{name},{POSITIONS[i % len(POSITIONS)]},"
                f"{CATEGORIES[i // 3 % len(CATEGORIES)]},{agencies[i % len(agencies)]}\n"
            )
    return rows


# --- the child ------------------------------------------------------------------------------------


def _child_import(path: str) -> dict[str, Any]:
    before = os.environ.get("BENCH_BEFORE_SRC")
    if before:  # an older source tree (--before): its code, the same Django set-up
        sys.path.insert(0, before)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
        import django

        django.setup()
    else:
        _django()
    from django.db import connection

    from chiendich.staff.importing import staff_import

    started = time.perf_counter()
    report = staff_import(Path(path), errors_path=Path(path).with_name("errors.xlsx"))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows_read": report.rows_read,
        "rows_valid": report.rows_valid,
        "rows_rejected": report.rows_rejected,
        "created": report.created,
        "agencies": len(report.agencies),
        "first_errors": [str(e) for e in report.errors[:5]],
        "vendor": connection.vendor,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


STAGED_COLUMNS = ("agency_id", "id_number", "full_name", "position", "category")
PG_TYPES = ("bigint", "varchar(12)", "varchar(120)", "varchar(200)", "varchar(20)")


def _child_staged(path: str, out: str) -> dict[str, Any]:
    """Floor 2's file: the rows of `path` as our import writes them (the agency's id in
    the child's database, the category's stored value), in the file's order."""
    _django()
    import polars as pl

    from chiendich.staff.cells import parse_category
    from chiendich.units.models import Unit

    frame = pl.read_csv(path, infer_schema=False).fill_null("")
    frame.columns = ["id_number", "full_name", "position", "category", "agency"]
    ids = dict(Unit.objects.values_list("code", "pk"))
    words = frame["category"].unique().to_list()
    frame.with_columns(
        agency_id=pl.col("agency").replace_strict(ids, return_dtype=pl.Int64),
        category=pl.col("category").replace_strict(
            {w: parse_category(w).value for w in words}, return_dtype=pl.String
        ),
    ).select(STAGED_COLUMNS).write_csv(out)
    return {"rows": frame.height}


MERGE = (
    "INSERT INTO staff_staffmember (agency_id, id_number, full_name, position, category,"
    " created_at, updated_at) SELECT agency_id, id_number, full_name, position, category,"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM stage ORDER BY {order}"
)


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_import":
        print(json.dumps(_child_import(sys.argv[2])))
        return
    if len(sys.argv) > 3 and sys.argv[1] == "_staged":
        print(json.dumps(_child_staged(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (median)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--work", type=Path, help="keep the built databases here for reuse")
    parser.add_argument(
        "--before",
        help="also time the import of an older source tree: a git revision (REV), or its"
        " src folder (e.g. from `git archive COMMIT src | tar -x -C DIR`), same runs,"
        " same databases",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url.startswith("postgres"):
        parser.error("--database postgres needs DATABASE_URL=postgres://user:pass@host/db")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with work_folder(args.work, "bench-staff-import-") as work:
        run(args, work, url)


def run(args: argparse.Namespace, work: Path, url: str) -> None:
    print(f"machine: {machine()}")
    print(f"work folder: {work}")
    base = sqlite_base(work)  # the demo at scale 0: its organizations are the agencies
    csv_path = work / f"staff-{args.rows}.csv"
    if not csv_path.exists():
        write_csv(base, csv_path, args.rows)
    size_mib = csv_path.stat().st_size / 1024 / 1024
    print(f"file: {csv_path}, {args.rows:,} rows, {size_mib:.0f} MiB")

    floor = []
    for run in range(args.runs):
        db = work / f"staff-floor-{run}.sqlite3"
        db.unlink(missing_ok=True)
        floor.append(
            timed([SQLITE_SHELL, str(db), PLAIN_TABLE, f".import --csv --skip 1 {csv_path} staff"])
        )
        db.unlink()
    print(f"baseline sqlite3 .import: {fmt_runs(floor)}; {args.rows / median(floor):,.0f} rows/s")

    pg_floor: list[float] = []
    if args.database == "postgres":
        template = pg_base(url).rsplit("/", 1)[1]
        plain = pg_url(url, f"{_PREFIX}_staff_plain")
        pg_admin(
            url,
            f"DROP DATABASE IF EXISTS {_PREFIX}_staff_plain",
            f"CREATE DATABASE {_PREFIX}_staff_plain",
        )
        for _ in range(args.runs):
            subprocess.run(
                [
                    PSQL,
                    plain,
                    "-qc",
                    f"SET client_min_messages = warning; DROP TABLE IF EXISTS staff; {PLAIN_TABLE}",
                ],
                check=True,
            )
            pg_floor.append(
                timed([PSQL, plain, "-qc", f"\\copy staff FROM '{csv_path}' CSV HEADER"])
            )
        pg_admin(url, f"DROP DATABASE IF EXISTS {_PREFIX}_staff_plain")
        print(f"baseline psql \\copy:       {fmt_runs(pg_floor)}")

    # Floor 2: the database alone writing the same valid rows into our real table.
    if args.database == "postgres":
        staged_path = work / f"staff-staged-{args.rows}-postgres.csv"
        run_child(
            ["_staged", str(csv_path), str(staged_path)],
            child_env(database_url=pg_url(url, template)),
        )
        db_floor = postgres_floor(
            url,
            template,
            f"{_PREFIX}_staff_dbfloor",
            staged_path,
            [f"{c} {t}" for c, t in zip(STAGED_COLUMNS, PG_TYPES, strict=True)],
            [],
            MERGE.format(order="seq"),
            args.runs,
        )
        db_floor_once = postgres_floor(
            url,
            template,
            f"{_PREFIX}_staff_dbfloor",
            staged_path,
            [f"{c} {t}" for c, t in zip(STAGED_COLUMNS, PG_TYPES, strict=True)],
            [],
            MERGE.format(order="seq"),
            args.runs,
            keys=[("agency_id", "units_unit")],
        )
    else:
        db_floor_once = []
        staged_path = work / f"staff-staged-{args.rows}-sqlite.csv"
        run_child(["_staged", str(csv_path), str(staged_path)], child_env(base.parent))
        db_floor = sqlite_floor(
            base, work, staged_path, STAGED_COLUMNS, [], MERGE.format(order="rowid"), args.runs
        )
    print(
        "floor 2, the database alone doing our writes (the valid rows, staged, merged into"
        f" our real table, committed): {fmt_runs(db_floor)}"
    )
    if db_floor_once:
        print(
            "floor 2b, the same with each foreign key checked once per distinct id, as ours"
            f" does on PostgreSQL: {fmt_runs(db_floor_once)}"
        )

    # Ours and (--before) the older code take turns, run by run: both see the same load.
    before_src = before_source(args.before, work) if args.before else None
    sides = ["ours"] + (["before"] if args.before else [])
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    rss: dict[str, list[float]] = {side: [] for side in sides}
    for run in range(args.runs):
        # Who goes first alternates: neither side always finds the caches warm.
        for side in sides if run % 2 == 0 else sides[::-1]:
            run_dir = work / f"staff-{side}-{run}"
            shutil.rmtree(run_dir, ignore_errors=True)
            name = f"{_PREFIX}_staff_{side}{run}"
            if args.database == "postgres":
                pg_admin(
                    url,
                    f"DROP DATABASE IF EXISTS {name}",
                    f"CREATE DATABASE {name} TEMPLATE {template}",
                )
                env = child_env(run_dir, pg_url(url, name))
            else:
                sqlite_copy(base, run_dir)
                env = child_env(run_dir)
            if side == "before":
                env["BENCH_BEFORE_SRC"] = str(before_src)
            result = run_child(["_import", str(csv_path)], env)
            seconds[side].append(result["seconds"])
            rss[side].append(result["max_rss_kib"] / 1024)
            print(
                f"  run {run + 1} {side}: {result['seconds']:.2f} s, {result['rows_valid']:,}"
                f" valid, {result['rows_rejected']:,} rejected, {result['created']:,} created"
                f" in {result['agencies']} agencies, peak RSS {rss[side][-1]:.0f} MiB"
                f" ({result['vendor']})"
            )
            if result["rows_rejected"]:
                print(f"  first errors: {result['first_errors']}")
            if args.database == "postgres":
                pg_admin(url, f"DROP DATABASE IF EXISTS {name}")
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
    ours = seconds["ours"]
    print(f"ours staff_import:        {fmt_runs(ours)}; {args.rows / median(ours):,.0f} rows/s")
    if args.before:
        before = seconds["before"]
        print(
            f"before ({args.before}):  {fmt_runs(before)}; {args.rows / median(before):,.0f} rows/s"
        )
        print(f"ratio ours / before: {median(ours) / median(before):.2f}x")
    print(f"ratio ours / sqlite3 .import: {median(ours) / median(floor):.2f}x (goal <= 3x)")
    if pg_floor:
        print(f"ratio ours / psql \\copy:      {median(ours) / median(pg_floor):.2f}x")
    print(
        f"ratio ours / floor 2 (the database doing our writes): {median(ours) / median(db_floor):.2f}x"
    )
    if db_floor_once:
        print(f"ratio ours / floor 2b: {median(ours) / median(db_floor_once):.2f}x")
    if args.before:
        print(f"ratio before / floor 2: {median(seconds['before']) / median(db_floor):.2f}x")
    for side in sides:
        print(
            f"peak RSS of {side}: median {median(rss[side]):.0f} MiB, max {max(rss[side]):.0f} MiB"
        )


if __name__ == "__main__":
    main()
