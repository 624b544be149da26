"""From a committed import of 10,000 changed rows to progress numbers that show
them (issue 3, item 6c).

    uv run chiendich demo --no-serve            # the full-scale simulated province in ./var
    uv run python bench/bench_latency.py [--data-dir var] [--changed 10000] [--runs 3]
    DATABASE_URL=postgres://.../db_with_the_demo uv run python bench/bench_latency.py --database postgres

The file: 10,000 citizens of the simulated province, spread over all
communes (or over one district's with --district 822), each with a newer status on 18/10/2023 (not yet activated ->
activated level 1; level 1 -> level 2), all other columns as the police have
them. Each run starts from a fresh copy of the database (DailyCount built for
the whole peak, as the demo leaves it) and, in a child process, imports the
file with `citizens_import`, then:
- ours: the import itself recounts DailyCount for the hamlets and days it
  touched, inside its transaction (`counts_refresh`), then `rollup(END)`;
- baseline: the same import with that refresh switched off, then a rebuild of
  every hamlet for those days (what a system without incremental refresh would
  do), then `rollup(END)`.
Both check that the province's activated count moved by what the file says.
The sqlite3 shell's `.import` of the same file is printed as the floor for
getting 10,000 rows into a table at all.
"""

# ruff: noqa: S603 - benchmarks run our own tools and the sqlite3 shell by design

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    REPO,
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

NEW_DAY = dt.date(2023, 10, 18)
CSV_HEADERS = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Mã xã", "Ấp/Khu phố", "Mã hộ", "Số điện thoại", "Trạng thái", "Ngày cập nhật"]  # fmt: skip
NEXT_STATUS = {"activated_l1": "Đã kích hoạt mức 2"}  # anything not activated -> level 1
CHANGED_ROWS = """
SELECT c.id_number, c.full_name, c.birth_date, c.sex, m.code, h.name, hh.code, c.phone, c.state
FROM vneid_citizen c
JOIN units_unit m ON m.id = c.commune_id
JOIN units_unit h ON h.id = c.unit_id
LEFT JOIN vneid_household hh ON hh.id = c.household_id
WHERE c.state <> 'activated_l2' AND c.state_date < %(day)s AND c.birth_date <= %(adult)s
  AND NOT EXISTS (SELECT 1 FROM vneid_flag f WHERE f.citizen_id = c.id AND f.kind = 'not_eligible')
  AND c.id %% %(step)s = 0 AND m.path LIKE %(prefix)s
ORDER BY c.id
"""


def changed_csv(rows: list[tuple[object, ...]], path: Path) -> int:
    """Write the changed rows; returns how many become activated for the first time."""
    newly = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADERS)
        for number, name, birth, sex, commune, hamlet, household, phone, state in rows:
            status = NEXT_STATUS.get(str(state), "Đã kích hoạt mức 1")
            newly += state not in ("activated_l1", "activated_l2")
            born = dt.date.fromisoformat(str(birth)[:10])
            writer.writerow(
                [
                    number, name, f"{born:%d/%m/%Y}", "Nam" if sex == "M" else "Nữ", commune,
                    hamlet, household or "", phone, status, f"{NEW_DAY:%d/%m/%Y}",
                ]
            )  # fmt: skip
    return newly


def run_child(path: Path, mode: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", mode, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def child_main(mode: str, path: Path, expect_new: int) -> None:
    import django

    django.setup()
    from django.db import connection

    from chiendich.demo.campaign import campaign_of
    from chiendich.plans.models import Plan
    from chiendich.vneid.counts import counts_rebuild
    from chiendich.vneid.importing import citizens, citizens_import
    from chiendich.vneid.progress import rollup

    if mode == "full":  # the baseline: no incremental refresh inside the import
        citizens.counts_refresh = lambda *args, **kwargs: 0  # type: ignore[assignment]
    END = campaign_of(Plan.objects.get(code="tien-giang-383-2023")).today  # noqa: N806
    before = rollup(END)["82"].activated
    started = time.perf_counter()
    report = citizens_import(path, errors_path=path.with_name(f"errors-{mode}.xlsx"))
    imported = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id, MIN(date) FROM vneid_accountevent WHERE batch_id = %s GROUP BY unit_id",
            [report.batch_id],
        )
        touched = cursor.fetchall()
    first = min(dt.date.fromisoformat(str(day)[:10]) for _, day in touched)
    if mode == "full":
        counts_rebuild(first, END)
    refreshed = time.perf_counter()
    after = rollup(END)["82"].activated
    shown = time.perf_counter()
    print(
        json.dumps(
            {
                "import": imported - started,
                "refresh": refreshed - imported,
                "rollup": shown - refreshed,
                "total": shown - started,
                "events": report.events_created,
                "rejected": report.rows_rejected,
                "hamlets": len(touched),
                "moved": after - before,
                "expected": expect_new,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=REPO / "var", help="where chiendich.sqlite3 is"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--district",
        default="",
        help="take the changed rows from one district (e.g. 822), not the whole province",
    )
    parser.add_argument("--work", type=Path, help="keep files here instead of a temp folder")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with work_folder(args.work, "bench-latency-") as work:
        run(args, parser, work)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser, work: Path) -> None:
    print(f"machine: {machine()}")
    url = os.environ.get("DATABASE_URL", "")
    source = args.data_dir / "chiendich.sqlite3"

    if args.database == "postgres":
        import psycopg

        if not url.startswith("postgres"):
            parser.error("--database postgres needs DATABASE_URL (a database holding the demo)")
        with psycopg.connect(url) as db:
            total = db.execute("SELECT COUNT(*) FROM vneid_citizen").fetchone()[0]  # type: ignore[index]
            rows = list(
                db.execute(CHANGED_ROWS, {**select_params(args.changed, total, args.district)})
            )  # type: ignore[call-overload]
        source_name = url.rsplit("/", 1)[1]
    else:
        if not source.exists():
            parser.error(f"no database at {source}: run `uv run chiendich demo --no-serve` first")
        with sqlite3.connect(source) as db:
            total = db.execute("SELECT COUNT(*) FROM vneid_citizen").fetchone()[0]
            sql = CHANGED_ROWS.replace("%%", "%")
            for key in ("day", "adult", "step", "prefix"):
                sql = sql.replace(f"%({key})s", f":{key}")
            rows = list(db.execute(sql, select_params(args.changed, total, args.district)))
    rows = evenly(rows, args.changed)
    path = work / "changed.csv"
    expect_new = changed_csv(rows, path)
    print(
        f"file: {len(rows):,} changed rows of {total:,} citizens ({expect_new:,} newly activated)"
    )

    floor = []
    for run in range(args.runs):
        db_file = work / f"floor-{run}.sqlite3"
        db_file.unlink(missing_ok=True)
        floor.append(timed([SQLITE_SHELL, str(db_file), f".import --csv {path} changed"]))
        db_file.unlink()
    print(f"floor sqlite3 .import of the file: {fmt_runs(floor)}")

    results: dict[str, list[dict[str, float]]] = {"ours": [], "full": []}
    for run in range(args.runs):
        for mode in ("ours", "full"):
            run_dir = work / f"{mode}-{run}"
            if args.database == "postgres":
                name = f"chiendich_bench_latency_{mode}"
                pg_admin(
                    url,
                    f"DROP DATABASE IF EXISTS {name}",
                    f"CREATE DATABASE {name} TEMPLATE {source_name}",
                )
                env = child_env(run_dir, pg_url(url, name))
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
                sqlite_copy(source, run_dir)
                env = child_env(run_dir)
            env["BENCH_EXPECT_NEW"] = str(expect_new)
            result = run_child(path, mode, env)
            results[mode].append(result)
            print(
                f"  run {run + 1} {mode}: import {result['import']:.2f} s, refresh "
                f"{result['refresh']:.2f} s ({result['hamlets']} hamlets), rollup {result['rollup']:.2f} s; "
                f"province activated moved by {result['moved']:,} (expected {result['expected']:,})"
            )
            if args.database == "postgres":
                pg_admin(url, f"DROP DATABASE IF EXISTS chiendich_bench_latency_{mode}")
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
    for mode, label in (("ours", "ours (touched hamlets)"), ("full", "baseline (all hamlets)")):
        rs = results[mode]
        print(
            f"{label}: import {median([r['import'] for r in rs]):.2f} s + refresh "
            f"{median([r['refresh'] for r in rs]):.2f} s + rollup {median([r['rollup'] for r in rs]):.2f} s; "
            f"total {fmt_runs([r['total'] for r in rs])}"
        )
    ours = median([r["total"] for r in results["ours"]])
    full = median([r["total"] for r in results["full"]])
    after_commit = median([r["refresh"] + r["rollup"] for r in results["ours"]])
    print(
        f"ratio ours / full rebuild: {ours / full:.2f}x; ours / sqlite3 .import floor: {ours / median(floor):.0f}x"
    )
    print(f"from the import's commit to the numbers: {after_commit:.2f} s (ours)")


def select_params(n: int, total: int, district: str) -> dict[str, object]:
    # About 1 in 8 citizens (all of a district's), then `evenly` keeps n of them
    # spread over all communes (of the district).
    return {
        "day": NEW_DAY.isoformat(),
        "adult": "2009-08-20",
        "step": 1 if district else max(1, total // (n * 8)),
        "prefix": f"82/{district}/%" if district else "82/%",
    }


def evenly(rows: list[tuple[object, ...]], n: int) -> list[tuple[object, ...]]:
    if len(rows) <= n:
        return rows
    return [rows[i * len(rows) // n] for i in range(n)]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2], Path(sys.argv[3]), int(os.environ.get("BENCH_EXPECT_NEW", "0")))
    else:
        main()
