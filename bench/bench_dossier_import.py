"""Importing a one-stop export of 700,000 dossiers (issue 5, item 7).

    uv run python bench/bench_dossier_import.py --work /tmp/bk [--rows 700000] [--runs 3]
    DATABASE_URL=postgres://... uv run python bench/bench_dossier_import.py --database postgres
    uv run python bench/bench_dossier_import.py --plan plans/dong-thap-2026.yaml --scale 1 \
        --rows 1400000 --work /tmp/bk      # the two-level Đồng Tháp's year (bench_kpi.py --plan)

The file: --rows dossiers of the simulated database of bench_kpi.py (built in
--work when missing), a spread over every unit and the whole year, written in
date order with the canonical headers of a one-stop export ("Mã hồ sơ", "Mã
TTHC", "Mã đơn vị", "Kênh" 1/2/3, dates dd/mm/yyyy, "Trạng thái" in words,
0/1 flags, "Phí, lệ phí" in VND, "Thanh toán trực tuyến" 0/1/2). Every row is
valid.

Baseline, the floor: the sqlite3 shell's `.import --csv` of the same file into
a plain table of a fresh database (no checks, no indexes). On PostgreSQL also
psql's `\\copy` into a plain table. Ours: `dossiers_import(path)` in a child
process, into a fresh database holding the units, organizations, plan and
catalogue (the demo at scale 0), timed around the call, which includes the
rebuild of the daily counts it touched; peak RSS is the child's ru_maxrss,
Django included. Goal (issue 5): within 3x of the floor.

`--then-rows N`: the daily export after the big one. The same child imports, on top of
the big file, a second one of N of its dossiers changed, spread evenly over the file
(so received over the whole year): an open dossier resolved on its received day, an
ended one with "Tái sử dụng dữ liệu" flipped. That second import is timed on its own
(and its count refresh: counts_rebuild, a recount before, the difference now).
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
from bench_kpi import _PREFIX, DEFAULT_SCALE, _django, pg_base, sqlite_base, sqlite_dossiers  # noqa: E402

PSQL = shutil.which("psql") or "/usr/bin/psql"
HEADERS = (
    "Mã hồ sơ", "Mã TTHC", "Mã đơn vị", "Kênh", "Ngày tiếp nhận", "Ngày hẹn trả",
    "Ngày kết thúc", "Trạng thái", "Có thành phần số hóa", "Có kết quả điện tử",
    "Phí, lệ phí", "Thanh toán trực tuyến", "Tái sử dụng dữ liệu",
)  # fmt: skip
STATUS_WORDS = {  # as one-stop systems write them (procedures/cells.py STATUS_TEXTS)
    "processing": "Đang xử lý",
    "supplement": "Chờ bổ sung",
    "resolved": "Đã giải quyết",
    "rejected": "Từ chối",
    "withdrawn": "Rút hồ sơ",
}
PLAIN_TABLE = (
    "CREATE TABLE dossiers (code TEXT, procedure TEXT, unit TEXT, channel TEXT, received TEXT,"
    " due TEXT, finished TEXT, status TEXT, digitized TEXT, e_result TEXT, fee TEXT,"
    " payment TEXT, reused TEXT)"
)


def export_query(rows: int, *, levels_only: bool = False) -> str:
    """--rows dossiers spread over the year and every unit ((id x odd) mod 2^16 shuffles
    the ids), written in the order of an export: by received day, then code.

    `levels_only` keeps the dossiers the import accepts at the receiving unit's level
    (procedures.importing.checks.level_performs: the procedure lists that level, or a
    commune received a district-level procedure on or after 1/7/2025), so the file
    stays all valid, as in 2023. (Session 21's figures were measured before the import
    let communes receive the districts' procedures: that file kept 989,716 of the
    1,349,008 dossiers.)"""
    keep = (
        " AND (p.levels LIKE '%\"' || u.level || '\"%'"
        " OR (u.level = 'commune' AND p.levels LIKE '%\"district\"%'"
        " AND d.received_on >= '2025-07-01'))"
        if levels_only
        else ""
    )
    status = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STATUS_WORDS.items())
    names = [f'"{h}"' for h in HEADERS]
    values = [
        "d.code", "p.code", "u.gso_code", "d.channel",
        "strftime('%d/%m/%Y', d.received_on)", "strftime('%d/%m/%Y', d.due_on)",
        "strftime('%d/%m/%Y', d.finished_on)", f"CASE d.status {status} END",
        "d.digitized", "d.e_result", "d.fee", "d.payment", "d.reused",
    ]  # fmt: skip
    return (
        f"SELECT {', '.join(f'{v} AS {n}' for v, n in zip(values, names, strict=True))}"
        " FROM procedures_dossier d JOIN procedures_procedure p ON p.id = d.procedure_id"
        " JOIN units_unit u ON u.id = d.unit_id"
        f" WHERE d.id IN (SELECT id FROM procedures_dossier"
        f" ORDER BY (id * 40503) % 65536, id LIMIT {int(rows)})"
        f"{keep} ORDER BY d.received_on, d.code"
    )


STAGED_COLUMNS = (
    "code", "procedure_id", "unit_id", "channel", "received_on", "due_on", "finished_on",
    "status", "digitized", "e_result", "fee", "payment", "reused", "overdue_on",
)  # fmt: skip
PG_TYPES = (
    "varchar(60)", "bigint", "bigint", "smallint", "date", "date", "date", "varchar(12)",
    "boolean", "boolean", "bigint", "smallint", "boolean", "date",
)  # fmt: skip


def staged_frame(source: Path, rows: int, *, levels_only: bool = False) -> Any:
    """The rows of the file as our import writes them (ids, ISO dates, status codes), in
    the file's order, with the unit's and procedure's codes to map their ids."""
    import polars as pl

    query = export_query(rows, levels_only=levels_only)
    select = (
        "SELECT d.code, p.code AS procedure_code, u.code AS unit_code, d.channel,"
        " d.received_on, d.due_on, d.finished_on, d.status, d.digitized, d.e_result, d.fee,"
        " d.payment, d.reused, d.overdue_on"
    )
    query = select + query[query.index(" FROM procedures_dossier d") :]
    with sqlite3.connect(source) as db:
        cursor = db.execute(query)
        names = [c[0] for c in cursor.description]
        return pl.DataFrame(cursor.fetchall(), schema=names, orient="row", infer_schema_length=None)


def _child_staged(
    source: str, rows: str, levels_only: str, target: str, path: str
) -> dict[str, Any]:
    """Floor 2's file, in a child: the parent stays small (a child's peak RSS counts its
    parent's at the fork on Linux)."""
    staged = staged_frame(Path(source), int(rows), levels_only=levels_only == "1")
    ids = pg_ids(target) if target.startswith("postgres") else sqlite_ids(Path(target))
    write_staged(staged, ids, Path(path))
    return {"rows": staged.height}


def write_staged(frame: Any, ids: tuple[dict[str, int], dict[str, int]], path: Path) -> None:
    """`frame` with the ids of the target database (units by code, procedures by code)."""
    import polars as pl

    units, procedures = ids
    out = frame.with_columns(
        procedure_id=pl.col("procedure_code").replace_strict(procedures, return_dtype=pl.Int64),
        unit_id=pl.col("unit_code").replace_strict(units, return_dtype=pl.Int64),
    ).select(STAGED_COLUMNS)
    out.write_csv(path)


def sqlite_ids(db_path: Path) -> tuple[dict[str, int], dict[str, int]]:
    with sqlite3.connect(db_path) as db:
        units = dict(db.execute("SELECT code, id FROM units_unit"))
        procedures = dict(db.execute("SELECT code, id FROM procedures_procedure"))
    return units, procedures


def pg_ids(target: str) -> tuple[dict[str, int], dict[str, int]]:
    import psycopg

    with psycopg.connect(target) as db:
        units = dict(db.execute("SELECT code, id FROM units_unit").fetchall())
        procedures = dict(db.execute("SELECT code, id FROM procedures_procedure").fetchall())
    return units, procedures


BATCH_INSERT = (
    "INSERT INTO procedures_dossierimport (file_name, sha256, status, started_at, finished_at,"
    " rows_total, rows_valid, rows_rejected, created, updated, error_file, message, user_id)"
    " VALUES ('floor.csv', '', 'done', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 0, 0, 0, 0,"
    " '', '', NULL)"
)


def merge_sql(order: str) -> str:
    """One INSERT ... SELECT of the staged rows into the real table, with the batch."""
    columns = ", ".join(STAGED_COLUMNS)
    values = ", ".join(
        f"NULLIF({c}, '')" if c in ("due_on", "finished_on", "overdue_on") and order == "rowid"
        else c
        for c in STAGED_COLUMNS
    )  # fmt: skip
    return (
        f"INSERT INTO procedures_dossier ({columns}, batch_id) SELECT {values},"
        f" (SELECT MAX(id) FROM procedures_dossierimport) FROM stage ORDER BY {order}"
    )


def write_csv(source: Path, path: Path, rows: int, *, levels_only: bool = False) -> int:
    with path.open("w") as out:
        subprocess.run(
            [
                SQLITE_SHELL,
                "-csv",
                "-header",
                str(source),
                export_query(rows, levels_only=levels_only),
            ],
            stdout=out,
            check=True,
        )
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


# --- the child ------------------------------------------------------------------------------------


def write_then(big: Path, path: Path, rows: int) -> int:
    """The second file of --then-rows (see the module): `rows` dossiers of `big`, spread
    evenly over it, each changed."""
    import polars as pl

    frame = pl.read_csv(big, infer_schema=False)
    step = max(1, frame.height // rows)
    picked = frame.gather_every(step).head(rows)
    status, finished, received = "Trạng thái", "Ngày kết thúc", "Ngày tiếp nhận"
    reused = "Tái sử dụng dữ liệu"
    open_ = pl.col(status).is_in([STATUS_WORDS["processing"], STATUS_WORDS["supplement"]])
    picked = picked.with_columns(
        pl.when(open_)
        .then(pl.lit(STATUS_WORDS["resolved"]))
        .otherwise(pl.col(status))
        .alias(status),
        pl.when(open_).then(pl.col(received)).otherwise(pl.col(finished)).alias(finished),
        pl.when(open_)
        .then(pl.col(reused))
        .otherwise(pl.when(pl.col(reused) == "1").then(pl.lit("0")).otherwise(pl.lit("1")))
        .alias(reused),
    )
    picked.write_csv(path)
    return picked.height


def _child_import(path: str, then: str = "") -> dict[str, Any]:
    before = os.environ.get("BENCH_BEFORE_SRC")
    if before:  # an older source tree (--before): its code, the same Django set-up
        sys.path.insert(0, before)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
        import django

        django.setup()
    else:
        _django()
    from django.db import connection

    from chiendich.procedures.importing import dossiers as module

    rebuild_seconds = []
    real_rebuild = module.counts_rebuild

    def timed_rebuild(**kwargs: Any) -> int:
        began = time.perf_counter()
        try:
            return real_rebuild(**kwargs)
        finally:
            rebuild_seconds.append(time.perf_counter() - began)

    module.counts_rebuild = timed_rebuild  # type: ignore[assignment]
    started = time.perf_counter()
    report = module.dossiers_import(Path(path), errors_path=Path(path).with_name("errors.xlsx"))
    seconds = time.perf_counter() - started
    second: dict[str, Any] = {}
    if then:
        rebuild_seconds_first = list(rebuild_seconds)
        rebuild_seconds.clear()
        started = time.perf_counter()
        again = module.dossiers_import(Path(then), errors_path=Path(then).with_name("errors.xlsx"))
        second = {
            "then_seconds": time.perf_counter() - started,
            "then_counts_seconds": sum(rebuild_seconds),
            "then_updated": again.updated,
            "then_rejected": again.rows_rejected,
            "then_count_rows": again.count_rows,
        }
        rebuild_seconds[:] = rebuild_seconds_first
    return {
        **second,
        "seconds": seconds,
        "counts_seconds": sum(rebuild_seconds),
        "rows_read": report.rows_read,
        "rows_valid": report.rows_valid,
        "rows_rejected": report.rows_rejected,
        "created": report.created,
        "count_rows": report.count_rows,
        "first_errors": [str(e) for e in report.errors[:5]],
        "vendor": connection.vendor,
        # Peak resident memory of this whole process, Django included (KiB on Linux).
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


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
        print(json.dumps(_child_import(*sys.argv[2:4])))
        return
    if len(sys.argv) > 6 and sys.argv[1] == "_staged":
        print(json.dumps(_child_staged(*sys.argv[2:7])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=700_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (median)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="of the source database")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--work", type=Path, help="keep the built databases here for reuse")
    parser.add_argument(
        "--plan", type=Path, help="another plan's province (bench_kpi.py --plan), e.g. Đồng Tháp"
    )
    parser.add_argument(
        "--before",
        help="also time the import of an older source tree: a git revision (REV), or its"
        " src folder (e.g. from `git archive COMMIT src | tar -x -C DIR`), same runs,"
        " same databases",
    )
    parser.add_argument(
        "--then-rows",
        type=int,
        default=0,
        help="then import a second file of this many changed dossiers (see the module)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url.startswith("postgres"):
        parser.error("--database postgres needs DATABASE_URL=postgres://user:pass@host/db")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with work_folder(args.work, "bench-dossier-import-") as work:
        run(args, work, url)


def run(args: argparse.Namespace, work: Path, url: str) -> None:
    print(f"machine: {machine()}")
    print(f"work folder: {work}")
    base = sqlite_base(work, args.plan)  # units, organizations, plan and catalogue; no dossiers
    source = sqlite_dossiers(work, args.scale, args.plan)
    tag = "" if args.plan is None else f"{args.plan.stem}-"
    csv_path = work / f"dossiers-{tag}{args.rows}.csv"
    if not csv_path.exists():
        started = time.perf_counter()
        written = write_csv(source, csv_path, args.rows, levels_only=args.plan is not None)
        print(f"file written from {source} in {time.perf_counter() - started:.1f} s (not timed)")
    else:
        with csv_path.open("rb") as f:
            written = sum(1 for _ in f) - 1
    size_mib = csv_path.stat().st_size / 1024 / 1024
    print(f"file: {csv_path}, {written:,} rows, {size_mib:.0f} MiB")
    then_path = work / f"dossiers-{tag}{args.rows}-then-{args.then_rows}.csv"
    if args.then_rows:
        changed = write_then(csv_path, then_path, args.then_rows)
        print(f"then: {then_path}, {changed:,} dossiers changed, imported after the file")

    floor = []
    for run in range(args.runs):
        db = work / f"floor-{run}.sqlite3"
        db.unlink(missing_ok=True)
        floor.append(
            timed(
                [SQLITE_SHELL, str(db), PLAIN_TABLE, f".import --csv --skip 1 {csv_path} dossiers"]
            )
        )
        db.unlink()
    print(f"baseline sqlite3 .import: {fmt_runs(floor)}; {written / median(floor):,.0f} rows/s")

    pg_floor: list[float] = []
    if args.database == "postgres":
        template = pg_base(url, args.plan).rsplit("/", 1)[1]
        plain = pg_url(url, f"{_PREFIX}_plain")
        pg_admin(
            url,
            f"DROP DATABASE IF EXISTS {_PREFIX}_plain",
            f"CREATE DATABASE {_PREFIX}_plain",
        )
        for _ in range(args.runs):
            subprocess.run(
                [
                    PSQL,
                    plain,
                    "-qc",
                    f"SET client_min_messages = warning; DROP TABLE IF EXISTS dossiers; {PLAIN_TABLE}",
                ],
                check=True,
            )
            pg_floor.append(
                timed([PSQL, plain, "-qc", f"\\copy dossiers FROM '{csv_path}' CSV HEADER"])
            )
        pg_admin(url, f"DROP DATABASE IF EXISTS {_PREFIX}_plain")
        print(f"baseline psql \\copy:       {fmt_runs(pg_floor)}")

    # Floor 2: the database alone writing the same valid rows into our real tables.
    def staged(target: str, path: Path) -> None:
        levels = "1" if args.plan is not None else "0"
        run_child(
            ["_staged", str(source), str(args.rows), levels, target, str(path)], os.environ.copy()
        )

    if args.database == "postgres":
        staged_path = work / f"staged-{tag}{args.rows}-postgres.csv"
        staged(pg_url(url, template), staged_path)
        db_floor = postgres_floor(
            url,
            template,
            f"{_PREFIX}_dbfloor",
            staged_path,
            [f"{c} {t}" for c, t in zip(STAGED_COLUMNS, PG_TYPES, strict=True)],
            [BATCH_INSERT],
            merge_sql("seq"),
            args.runs,
        )
        db_floor_once = postgres_floor(
            url,
            template,
            f"{_PREFIX}_dbfloor",
            staged_path,
            [f"{c} {t}" for c, t in zip(STAGED_COLUMNS, PG_TYPES, strict=True)],
            [BATCH_INSERT],
            merge_sql("seq"),
            args.runs,
            keys=[("unit_id", "units_unit"), ("procedure_id", "procedures_procedure")],
        )
    else:
        db_floor_once = []
        staged_path = work / f"staged-{tag}{args.rows}-sqlite.csv"
        staged(str(base), staged_path)
        db_floor = sqlite_floor(
            base, work, staged_path, STAGED_COLUMNS, [BATCH_INSERT], merge_sql("rowid"), args.runs
        )
    print(
        "floor 2, the database alone doing our writes (the valid rows, staged, merged into"
        f" our real tables, committed): {fmt_runs(db_floor)}"
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
    counts: dict[str, list[float]] = {side: [] for side in sides}
    rss: dict[str, list[float]] = {side: [] for side in sides}
    then_seconds: dict[str, list[float]] = {side: [] for side in sides}
    then_counts: dict[str, list[float]] = {side: [] for side in sides}
    for run in range(args.runs):
        # Who goes first alternates: neither side always finds the caches warm.
        for side in sides if run % 2 == 0 else sides[::-1]:
            run_dir = work / f"{side}-{run}"
            shutil.rmtree(run_dir, ignore_errors=True)
            name = f"{_PREFIX}_dossiers_{side}{run}"
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
            then_args = [str(then_path)] if args.then_rows else []
            result = run_child(["_import", str(csv_path), *then_args], env)
            seconds[side].append(result["seconds"])
            counts[side].append(result["counts_seconds"])
            rss[side].append(result["max_rss_kib"] / 1024)
            print(
                f"  run {run + 1} {side}: {result['seconds']:.1f} s (counts_rebuild"
                f" {counts[side][-1]:.1f} s), {result['rows_valid']:,} valid,"
                f" {result['rows_rejected']:,} rejected, {result['created']:,} created,"
                f" {result['count_rows']:,} count rows, peak RSS {rss[side][-1]:.0f} MiB"
                f" ({result['vendor']})"
            )
            if result["rows_rejected"]:
                print(f"  first errors: {result['first_errors']}")
            if args.then_rows:
                then_seconds[side].append(result["then_seconds"])
                then_counts[side].append(result["then_counts_seconds"])
                print(
                    f"    then {side}: {result['then_seconds']:.2f} s (counts"
                    f" {result['then_counts_seconds']:.2f} s), {result['then_updated']:,}"
                    f" updated, {result['then_rejected']:,} rejected,"
                    f" {result['then_count_rows']:,} count rows"
                )
            if args.database == "postgres":
                pg_admin(url, f"DROP DATABASE IF EXISTS {name}")
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
    ours = seconds["ours"]
    print(f"ours dossiers_import:     {fmt_runs(ours)}; {written / median(ours):,.0f} rows/s")
    print(f"  of which counts_rebuild: {fmt_runs(counts['ours'])}")
    if args.before:
        before = seconds["before"]
        print(
            f"before ({args.before}):  {fmt_runs(before)}; {written / median(before):,.0f} rows/s"
        )
        print(f"  of which counts_rebuild: {fmt_runs(counts['before'])}")
        print(f"ratio ours / before: {median(ours) / median(before):.2f}x")
    print(f"ratio ours / sqlite3 .import: {median(ours) / median(floor):.2f}x (goal <= 3x)")
    if pg_floor:
        print(f"ratio ours / psql \\copy:      {median(ours) / median(pg_floor):.2f}x")
    without = [t - c for t, c in zip(ours, counts["ours"], strict=True)]
    print(
        f"ours without counts_rebuild: {fmt_runs(without)};"
        f" {median(without) / median(floor):.2f}x .import"
        + (f", {median(without) / median(pg_floor):.2f}x \\copy" if pg_floor else "")
    )
    print(
        f"ratio ours / floor 2 (the database doing our writes): "
        f"{median(ours) / median(db_floor):.2f}x; without counts_rebuild"
        f" {median(without) / median(db_floor):.2f}x"
    )
    if db_floor_once:
        print(
            f"ratio ours / floor 2b: {median(ours) / median(db_floor_once):.2f}x;"
            f" without counts_rebuild {median(without) / median(db_floor_once):.2f}x"
        )
    if args.before:
        print(f"ratio before / floor 2: {median(seconds['before']) / median(db_floor):.2f}x")
    if args.then_rows:
        for side in sides:
            print(
                f"then ({args.then_rows:,} changed) {side}: {fmt_runs(then_seconds[side])};"
                f" of which counts {fmt_runs(then_counts[side])}"
            )
        if args.before:
            print(
                f"then ratio ours / before: "
                f"{median(then_seconds['ours']) / median(then_seconds['before']):.2f}x;"
                f" counts {median(then_counts['ours']) / median(then_counts['before']):.2f}x"
            )
    for side in sides:
        print(
            f"peak RSS of {side}: median {median(rss[side]):.0f} MiB, max {max(rss[side]):.0f} MiB"
        )


if __name__ == "__main__":
    main()
