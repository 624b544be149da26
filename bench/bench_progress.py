"""Rebuilding the progress of every unit at every level for one day (issue 3, item 6b).

    uv run chiendich demo --no-serve            # the full-scale simulated province in ./var
    uv run python bench/bench_progress.py [--data-dir var] [--date 2023-10-01] [--runs 5]
    DATABASE_URL=postgres://... uv run python bench/bench_progress.py --database postgres

Ours: `chiendich.vneid.counts.counts_rebuild(day)` (the day's DailyCount of
every hamlet, from citizens, events and flags) then
`chiendich.vneid.progress.rollup(day)` (sums up the unit tree), on a copy of
the database. Baseline: the same aggregation written directly in DuckDB over
the same records, loaded into DuckDB in-memory tables before timing (DuckDB's
SQLite scanner is an extension download, not available offline), timing the
query only. Both give eligible, pending, approved and activated level 1 / 2
for the province, the 11 districts, 164 communes and ~1,400 hamlets; the
script checks that they agree. Goal (issue 3): within 3x of DuckDB, under 2 s.
"""

# ruff: noqa: S603, S607 - benchmarks run our own tools, git and the sqlite3 shell by design

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    REPO,
    SQLITE_SHELL,
    fmt_runs,
    machine,
    median,
    sqlite_copy,
    work_folder,
)

TABLES = {
    "citizen": ("SELECT id, unit_id, birth_date FROM vneid_citizen", "id BIGINT, unit_id BIGINT, birth_date DATE"),
    "event": (
        "SELECT citizen_id, state, date, until FROM vneid_accountevent",
        "citizen_id BIGINT, state VARCHAR, date DATE, until DATE",
    ),
    "flag": ("SELECT citizen_id, kind, date, until FROM vneid_flag", "citizen_id BIGINT, kind VARCHAR, date DATE, until DATE"),
    "unit": ("SELECT id, code, path FROM units_unit", "id BIGINT, code VARCHAR, path VARCHAR"),
}  # fmt: skip

# Per lowest unit: eligible = 14 or older on the day and not flagged not eligible
# on the day; states among the eligible (an event is in force on [date, until)).
# Then every unit on the path from the root sums its descendants.
DUCKDB_QUERY = """
WITH eligible AS (
    SELECT c.id, c.unit_id FROM citizen c
    WHERE c.birth_date + INTERVAL 14 YEAR <= $day
      AND NOT EXISTS (
        SELECT 1 FROM flag f WHERE f.citizen_id = c.id AND f.kind = 'not_eligible'
          AND f.date <= $day AND (f.until IS NULL OR f.until > $day))
), states AS (
    SELECT citizen_id, state FROM event
    WHERE date <= $day AND (until IS NULL OR until > $day)
), lowest AS (
    SELECT e.unit_id,
           COUNT(*) AS eligible,
           COUNT(*) FILTER (WHERE s.state IN ('l1_pending', 'l2_pending')) AS pending,
           COUNT(*) FILTER (WHERE s.state = 'approved') AS approved,
           COUNT(*) FILTER (WHERE s.state = 'activated_l1') AS activated_l1,
           COUNT(*) FILTER (WHERE s.state = 'activated_l2') AS activated_l2
    FROM eligible e LEFT JOIN states s ON s.citizen_id = e.id
    GROUP BY e.unit_id
)
SELECT t.code, SUM(eligible), SUM(pending), SUM(approved), SUM(activated_l1), SUM(activated_l2)
FROM lowest JOIN unit u ON u.id = lowest.unit_id,
     UNNEST(string_split(rtrim(u.path, '/'), '/')) AS t(code)
GROUP BY t.code
"""


def export_sqlite(db: Path, folder: Path) -> None:
    for name, (query, _) in TABLES.items():
        with (folder / f"{name}.csv").open("w") as out:
            subprocess.run([SQLITE_SHELL, "-csv", str(db), query], stdout=out, check=True)


def export_postgres(url: str, folder: Path) -> None:
    import psycopg

    with psycopg.connect(url) as db, db.cursor() as cursor:
        for name, (query, _) in TABLES.items():
            with (
                (folder / f"{name}.csv").open("wb") as out,
                cursor.copy(
                    f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"  # type: ignore[arg-type]
                ) as copy,
            ):
                for block in copy:
                    out.write(block)


def duckdb_load(folder: Path):  # type: ignore[no-untyped-def]
    import duckdb

    db = duckdb.connect()
    for name, (_, columns) in TABLES.items():
        types = ", ".join(
            f"'{c.split()[0]}': '{c.split()[1]}'" for c in (x.strip() for x in columns.split(","))
        )
        query = f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder / name}.csv', header = false, columns = {{{types}}}, nullstr = '')"  # noqa: S608 - our names
        if (folder / f"{name}.csv").stat().st_size == 0:  # e.g. no flags after a police list
            query = f"CREATE TABLE {name} ({columns})"
        db.execute(query)
    return db


def previous_rebuild(revision: str):  # type: ignore[no-untyped-def]
    """counts_rebuild from src/chiendich/vneid/counts.py at `revision`, loaded as a module
    of the package (its relative imports resolve) without replacing the current one."""
    import types

    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{revision}:src/chiendich/vneid/counts.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("chiendich.vneid._counts_before")
    module.__package__ = "chiendich.vneid"
    sys.modules[module.__name__] = module
    exec(compile(source, f"{revision}:counts.py", "exec"), module.__dict__)  # noqa: S102 - our own file
    return module.counts_rebuild


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=REPO / "var", help="where chiendich.sqlite3 is"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2023, 10, 1))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, help="keep files here instead of a temp folder")
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also time counts_rebuild as it was at this git revision (e.g. main), same run",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with work_folder(args.work, "bench-progress-") as work:
        run(args, parser, work)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser, work: Path) -> None:
    print(f"machine: {machine()}")
    url = os.environ.get("DATABASE_URL", "")
    started = time.perf_counter()
    if args.database == "postgres":
        if not url.startswith("postgres"):
            parser.error("--database postgres needs DATABASE_URL")
        export_postgres(url, work)
    else:
        source = args.data_dir / "chiendich.sqlite3"
        if not source.exists():
            parser.error(f"no database at {source}: run `uv run chiendich demo --no-serve` first")
        db_copy = sqlite_copy(source, work / "db")  # ours writes DailyCount: work on a copy
        os.environ["CHIENDICH_DATA_DIR"] = str(db_copy.parent)
        os.environ.pop("DATABASE_URL", None)
        export_sqlite(db_copy, work)
    print(f"copied and exported the records in {time.perf_counter() - started:.1f} s (not timed)")

    started = time.perf_counter()
    duck = duckdb_load(work)
    citizens = duck.execute("SELECT COUNT(*) FROM citizen").fetchone()[0]  # type: ignore[index]
    events = duck.execute("SELECT COUNT(*) FROM event").fetchone()[0]  # type: ignore[index]
    print(
        f"DuckDB: loaded {citizens:,} citizens, {events:,} events in {time.perf_counter() - started:.1f} s (not timed)"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    import django

    django.setup()
    from chiendich.vneid.counts import counts_rebuild
    from chiendich.vneid.progress import rollup

    sides = {"ours": counts_rebuild}
    if args.before:
        sides["before"] = previous_rebuild(args.before)
    # The runs alternate (DuckDB, then each of ours) so that a busy machine slows all alike.
    wall: dict[str, list[float]] = {"duckdb": [], **{k: [] for k in sides}}
    cpu: dict[str, list[float]] = {k: [] for k in wall}
    rebuild: dict[str, list[float]] = {k: [] for k in sides}
    duck_rows: dict[str, tuple[int, ...]] = {}
    ours_rows: dict[str, dict[str, tuple[int, ...]]] = {}
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = duck.execute(DUCKDB_QUERY, {"day": args.date}).fetchall()
        wall["duckdb"].append(time.perf_counter() - started)
        cpu["duckdb"].append(time.process_time() - cpu_started)
        duck_rows = {row[0]: tuple(int(x) for x in row[1:]) for row in result}
        for side, rebuild_of in sides.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            rebuild_of(args.date)
            middle = time.perf_counter()
            totals = rollup(args.date)
            wall[side].append(time.perf_counter() - started)
            cpu[side].append(time.process_time() - cpu_started)
            rebuild[side].append(middle - started)
            ours_rows[side] = {
                code: (c.eligible, c.pending, c.approved, c.activated_l1, c.activated_l2)
                for code, c in totals.items()
            }
    print(f"baseline DuckDB aggregation ({len(duck_rows):,} units): {fmt_runs(wall['duckdb'])}")
    print(f"  CPU time of this process (DuckDB's threads): {fmt_runs(cpu['duckdb'])}")
    for side in sides:
        label = "ours" if side == "ours" else f"before ({args.before})"
        print(
            f"{label} counts_rebuild + rollup ({len(ours_rows[side]):,} units): {fmt_runs(wall[side])}"
        )
        print(f"  of which counts_rebuild: {fmt_runs(rebuild[side])}")
        print(
            f"  CPU time of this process{' (SQLite runs in it)' if args.database == 'sqlite' else ' (not the server)'}:"
            f" {fmt_runs(cpu[side])}"
        )
    for side in sides:
        print(
            f"ratio {side} / DuckDB: {median(wall[side]) / median(wall['duckdb']):.1f}x"
            f" (goal <= 3x and < 2 s)"
            + (
                f"; CPU {median(cpu[side]) / median(cpu['duckdb']):.1f}x"
                if args.database == "sqlite"
                else ""
            )
        )
    if args.before:
        print(f"ratio ours / before: {median(wall['ours']) / median(wall['before']):.2f}x")
    for side in sides:
        differ = [code for code in duck_rows if duck_rows[code] != ours_rows[side].get(code)]
        print(
            f"{side}: same numbers as DuckDB in every unit: "
            + ("yes" if not differ else f"NO, {len(differ)} differ, e.g. {differ[:5]}")
        )
    province = duck_rows.get("82") or duck_rows.get("82.2025")  # the 2023 or the two-level tree
    print(
        f"province on {args.date:%d/%m/%Y}: eligible, pending, approved, activated l1, l2 = {province}"
    )


if __name__ == "__main__":
    main()
