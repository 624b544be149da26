"""Importing a police list of 1.5 million citizens (issue 3, item 6a).

    uv run python bench/bench_import.py [--rows 1500000] [--runs 3]
    uv run python bench/bench_import.py --database postgres   # uses DATABASE_URL

The file is the simulated province (demo.simulate.police_list_write) as of
18/10/2023, cut at --rows rows. Baseline, the floor: the sqlite3 shell's
`.import --csv` of the same file into a plain table of a fresh database
(no checks, no indexes, no history). Ours: `citizens_import(path)` in a child
process, into a fresh database holding the units and hamlets, timed around
the call (Django's start-up excluded); its peak RSS is the child's ru_maxrss.
On PostgreSQL the baseline also includes psql's `\\copy` into a plain table.
Goal (issue 15): within 3x of the floor, peak memory under 1 GiB. The script also
prints how long the import holds the write lock (issue 16: door-to-door writes wait
for that part only): from the counts lock its write transaction takes first to the
return of citizens_import, just after the commit.
"""

# ruff: noqa: S603 - benchmarks run our own tools and the sqlite3 shell by design

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    SQLITE_SHELL,
    child,
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

PSQL = shutil.which("psql") or "/usr/bin/psql"
# Database names on PostgreSQL: set another prefix to run beside another run of this script.
PG_PREFIX = os.environ.get("CHIENDICH_BENCH_PG_PREFIX", "chiendich_bench")
PLAIN_TABLE = "CREATE TABLE police_list (id_number TEXT, full_name TEXT, birth TEXT, sex TEXT, commune TEXT, hamlet TEXT, household TEXT, phone TEXT, status TEXT, updated TEXT)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (median)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--baseline-only", action="store_true", help="skip our import")
    parser.add_argument("--work", type=Path, help="keep files here instead of a temp folder")
    parser.add_argument(
        "--before",
        type=Path,
        help="also time the import of an older source tree (its src folder, e.g. from"
        " `git archive COMMIT src | tar -x -C DIR`), runs taking turns with ours",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url.startswith("postgres"):
        parser.error("--database postgres needs DATABASE_URL=postgres://user:pass@host/db")

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with work_folder(args.work, "bench-import-") as work:
        run(args, parser, work)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser, work: Path) -> None:
    url = os.environ.get("DATABASE_URL", "")
    print(f"machine: {machine()}")
    print(f"work folder: {work}")

    # The database every run of ours starts from: units and hamlets, no citizens.
    template_dir = work / "template"
    if args.database == "postgres":
        template = f"{PG_PREFIX}_template"
        pg_admin(url, f"DROP DATABASE IF EXISTS {template}", f"CREATE DATABASE {template}")
        child(["base"], child_env(database_url=pg_url(url, template)))
    else:
        shutil.rmtree(template_dir, ignore_errors=True)
        template_dir.mkdir()
        child(["base"], child_env(template_dir))
    sqlite_template = template_dir / "chiendich.sqlite3"
    if args.database == "postgres":  # the CSV writer reads hamlet names from a database
        shutil.rmtree(template_dir, ignore_errors=True)
        template_dir.mkdir()
        child(["base"], child_env(template_dir))

    csv_path = work / "police-list.csv"
    made = child(["police-csv", str(csv_path), str(args.rows)], child_env(template_dir))
    size_mib = csv_path.stat().st_size / 1024 / 1024
    print(f"file: {made['rows']:,} rows, {size_mib:.0f} MiB, written in {made['seconds']:.1f} s")

    # Baseline: the sqlite3 shell's .import into a plain table, fresh file each run.
    floor = []
    for run in range(args.runs):
        db = work / f"floor-{run}.sqlite3"
        db.unlink(missing_ok=True)
        floor.append(
            timed(
                [
                    SQLITE_SHELL,
                    str(db),
                    PLAIN_TABLE,
                    f".import --csv --skip 1 {csv_path} police_list",
                ]
            )
        )
        db.unlink()
    print(
        f"baseline sqlite3 .import: {fmt_runs(floor)}; {made['rows'] / median(floor):,.0f} rows/s"
    )

    pg_floor: list[float] = []
    if args.database == "postgres":
        plain = pg_url(url, template)
        for _ in range(args.runs):
            subprocess.run(
                [PSQL, plain, "-qc", f"DROP TABLE IF EXISTS police_list; {PLAIN_TABLE}"],
                check=True,
            )
            pg_floor.append(
                timed([PSQL, plain, "-qc", f"\\copy police_list FROM '{csv_path}' CSV HEADER"])
            )
        subprocess.run([PSQL, plain, "-qc", "DROP TABLE police_list"], check=True)
        print(f"baseline psql \\copy:       {fmt_runs(pg_floor)}")

    if args.baseline_only:
        return
    if importlib.util.find_spec("chiendich.vneid.importing") is None:
        print("ours: pending, chiendich.vneid.importing is not there yet")
        return

    # Ours and (--before) the older code take turns, run by run: both see the same load.
    sides = ["ours"] + (["before"] if args.before else [])
    times: dict[str, list[float]] = {side: [] for side in sides}
    ours, rss, locks = times["ours"], [], []
    for run in range(args.runs):
        # Who goes first alternates: neither side always finds the caches warm.
        for side in sides if run % 2 == 0 else sides[::-1]:
            run_dir = work / f"{side}-{run}"
            shutil.rmtree(run_dir, ignore_errors=True)
            if args.database == "postgres":
                name = f"{PG_PREFIX}_{side}{run}"
                pg_admin(
                    url,
                    f"DROP DATABASE IF EXISTS {name}",
                    f"CREATE DATABASE {name} TEMPLATE {template}",
                )
                env = child_env(run_dir, pg_url(url, name))
            else:
                sqlite_copy(sqlite_template, run_dir)
                env = child_env(run_dir)
            if side == "before":
                env["BENCH_BEFORE_SRC"] = str(args.before.resolve())
            result = child(["import", str(csv_path)], env)
            times[side].append(result["seconds"])
            if side == "ours":
                rss.append(result["max_rss_kib"] / 1024)
                locks.append(result.get("lock_seconds") or 0.0)
            print(
                f"  run {run + 1} {side}: {result['seconds']:.1f} s (write lock held "
                f"{result.get('lock_seconds') or 0.0:.1f} s), {result['rows_valid']:,} valid, "
                f"{result['rows_rejected']:,} rejected, {result['created']:,} citizens, "
                f"{result['events']:,} events, peak RSS {result['max_rss_kib'] / 1024:.0f} MiB"
                f" ({result['vendor']})"
            )
            if args.database == "postgres":
                pg_admin(url, f"DROP DATABASE IF EXISTS {PG_PREFIX}_{side}{run}")
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
    print(f"ours citizens_import:     {fmt_runs(ours)}; {made['rows'] / median(ours):,.0f} rows/s")
    print(f"write lock held (ours):   {fmt_runs(locks)}")
    if args.before:
        before = times["before"]
        print(
            f"before ({args.before}):  {fmt_runs(before)}; {made['rows'] / median(before):,.0f} rows/s"
        )
        print(f"ratio ours / before: {median(ours) / median(before):.2f}x")
    print(f"ratio ours / sqlite3 .import: {median(ours) / median(floor):.2f}x (goal <= 3x)")
    if pg_floor:
        print(f"ratio ours / psql \\copy:      {median(ours) / median(pg_floor):.2f}x")
    print(
        f"peak RSS of our import: median {median(rss):.0f} MiB, max {max(rss):.0f} MiB (goal < 1024)"
    )
    if args.database == "postgres":
        pg_admin(url, f"DROP DATABASE IF EXISTS {template}")


if __name__ == "__main__":
    main()
