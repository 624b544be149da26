"""The police-list import and the VNeID count rebuild at growing sizes, on the
two-level Đồng Tháp (issue 15, item 4).

    uv run python bench/bench_scale.py --sizes 300000,1500000,2700000 --work /tmp/scale
    DATABASE_URL=postgres://user:pass@host/db uv run python bench/bench_scale.py \\
        --database postgres --sizes 300000,1500000,2700000,10000000 --work /tmp/scale

Data. The template database is the demo of `--plan` (default
plans/dong-thap-2026.yaml: today's Đồng Tháp, province 82 on the tree in force
since 1/7/2025, 102 communes, 2,640 hamlets) built at scale 0: both trees,
hamlets, organizations, the plan, no citizens. Each size's police list is the
simulated province (demo.simulate.police_list_write, the demo's population
drawn at the scale giving that many people aged 14+, spread over every commune
and hamlet by the communes' weights) as of the campaign's today, with the
communes' codes as files write them (`28249`, read by the importer as a unit of
the 2025 tree). The files are kept in --work and reused by later runs.

Per size, in this order:
1. floor: the sqlite3 shell's `.import --csv` into a plain table of a fresh file;
   on PostgreSQL also psql's `\\copy` into a plain table;
2. ours: `citizens_import(path)` in a child process, into a fresh copy of the
   template (its own counts refresh included), with its rows/s, the write lock,
   the child's peak RSS and the database's growth (bytes per citizen);
3. the rebuild of every unit's progress for the campaign's today from those raw
   records (`bench/bench_progress.py` over the imported database: DuckDB's same
   aggregation against `vneid.counts.counts_rebuild` + `vneid.progress.rollup`,
   numbers checked equal in every unit).

At the end: one table, and the growth fitted between sizes (time = a * rows^b: b
near 1 is linear; b > 1 grows worse than linearly), for ours and for the floors.
The results are also written as JSON to --work/scale-<database>.json (appended
by size, so one size can be re-run alone).
"""

# ruff: noqa: S603, S608 - benchmarks run our own tools, psql and the sqlite3 shell by design

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    REPO,
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
)

PSQL = shutil.which("psql") or "/usr/bin/psql"
PG_PREFIX = os.environ.get("CHIENDICH_BENCH_PG_PREFIX", "chiendich_scale")
PLAIN_TABLE = (
    "CREATE TABLE police_list (id_number TEXT, full_name TEXT, birth TEXT, sex TEXT, "
    "commune TEXT, hamlet TEXT, household TEXT, phone TEXT, status TEXT, updated TEXT)"
)
TREES = {"dong-thap-2025": REPO / "plans" / "dong-thap-2026.yaml"}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f}"


def sqlite_size(folder: Path) -> int:
    db = folder / "chiendich.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in folder.glob("chiendich.sqlite3*"))


def pg_size(url: str, name: str) -> int:
    import psycopg

    with psycopg.connect(url) as db:
        row = db.execute("SELECT pg_database_size(%s)", [name]).fetchone()
    return int(row[0]) if row else 0


def police_csv(
    work: Path, rows: int, template_dir: Path, plan_code: str
) -> tuple[Path, dict[str, Any]]:
    """The police list of `rows` rows, written once into `work` and reused."""
    path = work / f"police-{rows}.csv"
    done = work / f"police-{rows}.csv.done"
    while path.with_name(path.name + ".tmp").exists() and not done.exists():
        time.sleep(5)  # another run of this script is writing it
    if path.exists() and done.exists():
        return path, json.loads(done.read_text())
    tmp = path.with_name(path.name + ".tmp")
    made = child(["police-csv-plan", str(tmp), str(rows), plan_code], child_env(template_dir))
    tmp.rename(path)
    done.write_text(json.dumps(made))
    return path, made


def progress(
    env: dict[str, str], day: str, runs: int, work: Path, data_dir: Path | None
) -> dict[str, Any]:
    """bench_progress.py over the imported database: DuckDB vs ours, medians parsed."""
    command = [sys.executable, str(REPO / "bench" / "bench_progress.py"), "--date", day]
    command += ["--runs", str(runs), "--work", str(work)]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    else:
        command += ["--database", "postgres"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    shutil.rmtree(work, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench_progress failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    out = done.stdout

    def grab(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else math.nan

    same = re.search(r"ours: same numbers as DuckDB in every unit: (.*)", out)
    return {
        "duckdb": grab(r"baseline DuckDB aggregation .*?median ([\d.]+) s"),
        "ours": grab(r"ours counts_rebuild \+ rollup .*?median ([\d.]+) s"),
        "rebuild": grab(r"of which counts_rebuild: median ([\d.]+) s"),
        "same": same.group(1) if same else "?",
        "output": out,
    }


def floors(
    args: argparse.Namespace,
    url: str,
    template: str,
    work: Path,
    csv_path: Path,
    rows: int,
    entry: dict[str, Any],
) -> None:
    """The floors of one size: sqlite3 .import, and psql \\copy on PostgreSQL."""
    floor = []
    for i in range(args.floor_runs if args.sqlite_floor else 0):
        db = work / f"floor-{args.database}-{i}.sqlite3"  # two runs may share --work
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
    if floor:
        entry["floor_import"] = median(floor)
        print(f"floor sqlite3 .import: {fmt_runs(floor)}; {rows / median(floor):,.0f} rows/s")
    if args.database == "postgres":
        plain = pg_url(url, template)
        pg_floor = []
        for _ in range(args.floor_runs):
            subprocess.run(
                [PSQL, plain, "-qc", f"DROP TABLE IF EXISTS police_list; {PLAIN_TABLE}"],
                check=True,
            )
            pg_floor.append(
                timed([PSQL, plain, "-qc", f"\\copy police_list FROM '{csv_path}' CSV HEADER"])
            )
        subprocess.run([PSQL, plain, "-qc", "DROP TABLE police_list"], check=True)
        entry["floor_copy"] = median(pg_floor)
        print(
            f"floor psql \\copy:      {fmt_runs(pg_floor)}; {rows / median(pg_floor):,.0f} rows/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="300000,1500000,2700000", help="rows, comma-separated")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tree", choices=sorted(TREES), default="dong-thap-2025")
    parser.add_argument("--plan", type=Path, help="another plan file (default: the tree's)")
    parser.add_argument("--runs", type=int, default=1, help="runs of our import per size")
    parser.add_argument("--floor-runs", type=int, default=3)
    parser.add_argument("--progress-runs", type=int, default=3, help="0 skips the rebuild")
    parser.add_argument("--work", type=Path, required=True, help="files and results kept here")
    parser.add_argument("--keep", action="store_true", help="keep the last imported database")
    parser.add_argument(
        "--floor-after", action="store_true", help="measure the floors after our import, not before"
    )
    parser.add_argument(
        "--no-sqlite-floor",
        dest="sqlite_floor",
        action="store_false",
        help="on PostgreSQL, psql \\copy only (the sqlite3 .import of 10 M rows takes minutes)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="print the table of the results kept in --work"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url.startswith("postgres") and not args.report_only:
        parser.error("--database postgres needs DATABASE_URL=postgres://user:pass@host/db")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    args.work.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        results_path = args.work / f"scale-{args.database}.json"
        report(json.loads(results_path.read_text()), args.database, args.work)
        return
    run(args, url)


def run(args: argparse.Namespace, url: str) -> None:  # noqa: C901, PLR0915 - one driver
    import yaml

    work: Path = args.work
    plan_file = args.plan or TREES[args.tree]
    plan_code = yaml.safe_load(plan_file.read_text(encoding="utf-8"))["code"]
    print(f"machine: {machine()}")
    print(f"load average at start: {load()}; plan {plan_file.name}; work folder {work}")

    # The template: the plan's demo at scale 0 (SQLite always: the CSV writer reads it).
    template_dir = work / "template-sqlite"
    if not (template_dir / "chiendich.sqlite3").exists():
        template_dir.mkdir(parents=True, exist_ok=True)
        made = child(["base-plan", str(plan_file)], child_env(template_dir))
        print(f"template (SQLite): {made['units']:,} units, {made['hamlets']:,} hamlets of today")
    template = f"{PG_PREFIX}_template"
    template_bytes = sqlite_size(template_dir)
    if args.database == "postgres":
        pg_admin(url, f"DROP DATABASE IF EXISTS {template}", f"CREATE DATABASE {template}")
        made = child(["base-plan", str(plan_file)], child_env(database_url=pg_url(url, template)))
        print(
            f"template (PostgreSQL): {made['units']:,} units, {made['hamlets']:,} hamlets of today"
        )
        template_bytes = pg_size(url, template)

    results_path = work / f"scale-{args.database}.json"
    results: dict[str, Any] = json.loads(results_path.read_text()) if results_path.exists() else {}
    for rows in [int(s) for s in args.sizes.split(",")]:
        print(f"\n=== {rows:,} rows ({args.database}); load average {load()} ===")
        csv_path, made = police_csv(work, rows, template_dir, plan_code)
        size_mib = csv_path.stat().st_size / 1024 / 1024
        print(
            f"file: {made['rows']:,} rows, {size_mib:,.0f} MiB, {made['communes']} communes, "
            f"{made['hamlets']:,} hamlets of province {made['province']}, as of {made['as_of']}"
        )
        entry: dict[str, Any] = {"rows": made["rows"], "file_mib": size_mib, "as_of": made["as_of"]}

        if not args.floor_after:
            floors(args, url, template, work, csv_path, rows, entry)

        ours, rss, locks, sizes = [], [], [], []
        progress_result: dict[str, Any] | None = None
        for i in range(args.runs):
            run_dir = work / f"ours-{rows}-{i}"
            shutil.rmtree(run_dir, ignore_errors=True)
            name = f"{PG_PREFIX}_run"
            if args.database == "postgres":
                pg_admin(
                    url,
                    f"DROP DATABASE IF EXISTS {name}",
                    f"CREATE DATABASE {name} TEMPLATE {template}",
                )
                env = child_env(run_dir, pg_url(url, name))
            else:
                sqlite_copy(template_dir / "chiendich.sqlite3", run_dir)
                env = child_env(run_dir)
            result = child(["import", str(csv_path)], env)
            ours.append(result["seconds"])
            rss.append(result["max_rss_kib"] / 1024)
            locks.append(result.get("lock_seconds") or 0.0)
            grown = (
                pg_size(url, name) if args.database == "postgres" else sqlite_size(run_dir)
            ) - template_bytes
            sizes.append(grown)
            print(
                f"  run {i + 1}: {result['seconds']:.1f} s ({rows / result['seconds']:,.0f} rows/s), "
                f"write lock {locks[-1]:.1f} s, {result['rows_valid']:,} valid, "
                f"{result['rows_rejected']:,} rejected, {result['created']:,} citizens, "
                f"{result['events']:,} events, peak RSS {rss[-1]:.0f} MiB, database +{grown / 2**20:,.0f} MiB "
                f"({grown / max(result['created'], 1):,.0f} bytes per citizen); load {load()}"
            )
            if i == args.runs - 1 and args.progress_runs > 0:
                progress_result = progress(
                    env,
                    made["as_of"],
                    args.progress_runs,
                    work / f"progress-{args.database}-{rows}",  # two runs may share --work
                    run_dir if args.database == "sqlite" else None,
                )
            if args.database == "postgres":
                if not (args.keep and i == args.runs - 1):
                    pg_admin(url, f"DROP DATABASE IF EXISTS {name}")
            elif not (args.keep and i == args.runs - 1):
                shutil.rmtree(run_dir, ignore_errors=True)
        entry.update(
            ours=median(ours),
            ours_runs=ours,
            lock=median(locks),
            rss_mib=max(rss),
            db_bytes=median(sizes),
            bytes_per_citizen=median(sizes) / made["rows"],
        )
        print(f"ours citizens_import: {fmt_runs(ours)}; {rows / median(ours):,.0f} rows/s")
        if args.floor_after:
            floors(args, url, template, work, csv_path, rows, entry)
        if "floor_import" in entry:
            print(f"ratio ours / sqlite3 .import: {median(ours) / entry['floor_import']:.1f}x")
        if "floor_copy" in entry:
            print(f"ratio ours / psql \\copy:      {median(ours) / entry['floor_copy']:.1f}x")
        if progress_result is not None:
            entry["progress"] = {
                k: v for k, v in progress_result.items() if k not in ("output", "units")
            }
            p = progress_result
            print(
                f"progress of every unit on {made['as_of']}: DuckDB {p['duckdb']:.2f} s, "
                f"ours {p['ours']:.2f} s (counts_rebuild {p['rebuild']:.2f} s), "
                f"{p['ours'] / p['duckdb']:.1f}x; same numbers in every unit: {p['same']}"
            )
        entry["load_after"] = load()
        if results_path.exists():  # another run of this script may have added sizes meanwhile
            results = json.loads(results_path.read_text())
        if "progress" not in entry and "progress" in results.get(str(rows), {}):
            entry["progress"] = results[str(rows)]["progress"]  # kept from an earlier run
        results[str(rows)] = entry
        results_path.write_text(json.dumps(results, indent=1))

    if args.database == "postgres":
        pg_admin(url, f"DROP DATABASE IF EXISTS {template}")
    report(results, args.database, work)


def fit(points: list[tuple[int, float]]) -> float:
    """The exponent b of time = a * rows^b, least squares over log-log points."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else math.nan


PHASES = (
    "read, check, stage",
    "merge",
    "relink",
    "counts refresh",
    "commit and the rest",
    "cpu of the importing process",
    "cpu of its PostgreSQL backend",
)


def phases_of(work: Path, rows: int, database: str) -> dict[str, float] | None:
    """The steps of the last import of `rows` rows, as the child wrote them beside the file."""
    vendor = "postgresql" if database == "postgres" else "sqlite"
    side = work / f"police-{rows}.csv.phases-{vendor}.json"
    return json.loads(side.read_text()) if side.exists() else None


def report(results: dict[str, Any], database: str, work: Path) -> None:
    sizes = sorted(results.values(), key=lambda e: e["rows"])
    floor_key = "floor_copy" if database == "postgres" else "floor_import"
    print(
        f"\n| rows | floor ({'psql \\copy' if database == 'postgres' else 'sqlite3 .import'}) | ours | rows/s | ratio | write lock | peak RSS | database growth | bytes/citizen | progress: DuckDB | ours | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for e in sizes:
        p = e.get("progress") or {}
        print(
            f"| {e['rows']:,} | {e[floor_key]:.2f} s | {e['ours']:.1f} s | {e['rows'] / e['ours']:,.0f} "
            f"| {e['ours'] / e[floor_key]:.1f}x | {e['lock']:.1f} s | {e['rss_mib']:,.0f} MiB "
            f"| {e['db_bytes'] / 2**20:,.0f} MiB | {e['bytes_per_citizen']:,.0f} "
            + (
                f"| {p['duckdb']:.2f} s | {p['ours']:.2f} s | {p['ours'] / p['duckdb']:.1f}x |"
                if p
                else "| | | |"
            )
        )
    phased = [(e["rows"], p) for e in sizes if (p := phases_of(work, e["rows"], database))]
    if phased:
        print(f"\n| rows | {' | '.join(PHASES)} | total |")
        print("|---|" + "---|" * (len(PHASES) + 1))
        for rows, p in phased:
            print(
                f"| {rows:,} | "
                + " | ".join(f"{p.get(k, 0.0):.1f} s" for k in PHASES)
                + f" | {p['total']:.1f} s |"
            )
        if len(phased) >= 2:
            for k in PHASES:
                points = [(rows, p[k]) for rows, p in phased if p.get(k, 0.0) > 0.05]  # noqa: PLR2004
                if len(points) >= 2:
                    print(f"growth of {k}: time ~ rows^{fit(points):.2f}")
    if len(sizes) >= 2:
        # The machine's load moves between sizes; the floor measured at the same moment
        # moves with it, so the ratio's growth is the import's own (0 = linear).
        points = [(e["rows"], e["ours"] / e[floor_key]) for e in sizes]
        print(f"growth of ours / floor (same moment): ratio ~ rows^{fit(points):.2f}")
        for label, key in (("ours import", "ours"), ("floor", floor_key), ("write lock", "lock")):
            points = [(e["rows"], e[key]) for e in sizes if e.get(key)]
            print(f"growth of {label}: time ~ rows^{fit(points):.2f}")
        for label, key in (("progress, ours", "ours"), ("progress, DuckDB", "duckdb")):
            points = [(e["rows"], e["progress"][key]) for e in sizes if e.get("progress")]
            if len(points) >= 2:
                print(f"growth of {label}: time ~ rows^{fit(points):.2f}")
        national(sizes, floor_key)


NATIONAL = 100_000_000


def national(sizes: list[dict[str, Any]], floor_key: str) -> None:
    """100 million citizens, from the largest size measured and the growth fitted over all
    (an estimate on this machine, under the load of the runs, not a measurement)."""
    last = sizes[-1]
    times = NATIONAL / last["rows"]
    print(
        f"\nestimate for {NATIONAL:,} citizens (from {last['rows']:,} rows, growth fitted over {len(sizes)} sizes):"
    )
    for label, key in (
        ("our import", "ours"),
        ("its write lock", "lock"),
        ("the floor", floor_key),
        ("peak RSS (MiB)", "rss_mib"),
    ):
        b = fit([(e["rows"], e[key]) for e in sizes])
        print(
            f"  {label}: {last[key] * times**b:,.0f} (exponent {b:.2f}); "
            f"if linear {last[key] * times:,.0f}"
        )
    with_progress = [e for e in sizes if e.get("progress")]
    if len(with_progress) >= 2:  # noqa: PLR2004
        for label, key in (("progress rebuild, ours", "ours"), ("progress, DuckDB", "duckdb")):
            b = fit([(e["rows"], e["progress"][key]) for e in with_progress])
            top = with_progress[-1]
            print(
                f"  {label}: {top['progress'][key] * (NATIONAL / top['rows']) ** b:,.0f} s "
                f"(exponent {b:.2f})"
            )
    per = median([e["bytes_per_citizen"] for e in sizes])
    print(
        f"  database (citizens and one event each, indexes included): {per:,.0f} bytes per "
        f"citizen -> {per * NATIONAL / 2**30:,.0f} GiB"
    )


if __name__ == "__main__":
    main()
