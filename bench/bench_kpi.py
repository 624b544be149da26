"""Every TTHC indicator of every unit over the whole peak, from 1 million dossiers (issue 5, item 7).

    uv run python bench/bench_kpi.py --work /tmp/bk [--runs 5] [--scale 1.43]
    DATABASE_URL=postgres://... uv run python bench/bench_kpi.py --database postgres --work /tmp/bk
    uv run python bench/bench_kpi.py --plan plans/dong-thap-2026.yaml --scale 1 --work /tmp/bk

With --plan, the same over another plan's province and TTHC peak: for
plans/dong-thap-2026.yaml, today's Đồng Tháp on the two-level tree (the province,
its 102 communes and its agencies), dossiers from 1 January 2026 to the campaign's
today (about 700,000 a year x --scale per 1.4 million people aged 14+), and the
window from the TTHC peak's first day to the last day with dossiers.

Setup (not timed; kept in --work and reused by later runs): the demo at scale 0
(`chiendich demo --no-serve --scale 0`: units, organizations, plan, no
citizens), the demo catalogue, then `dossiers_simulate(scale=--scale)`; 1.43
gives about 1,000,000 dossiers. The two agencies the simulation gives
aggregate forms instead of records lose their forms, so every figure comes
from dossier records.

The units: the province, its 11 districts, 164 communes and the province-level
agencies directly under the province. The window: the peak, 01/09-30/10/2023.

Ours: everything the system does to answer from the raw dossier rows,
`procedures.counts.counts_rebuild(end=30/10/2023)` (the stored counts per
(unit, day, procedure) of every day up to the peak's end: the on-time rate
needs what is still open at the end, counted from the first day on record)
then `procedures.selectors.units_kpi(units, 01/09, 30/10)`. Also shown: the
rebuild of the peak's days only (`--rebuild peak` makes it the headline) and
`units_kpi` alone (a page reading stored counts).

Baseline: the same numerators and denominators written directly in DuckDB over
the same dossier rows, the catalogue flags and the unit tree, loaded into
DuckDB in-memory tables before timing (DuckDB's SQLite scanner is an extension
download, unavailable offline); only the query is timed. The script checks
that both agree on numerator and denominator of every indicator, for every
unit: the headline figure (the levels of the unit's target), the whole area,
and each (level, commune type) row of the breakdown. Goal: within 3x of DuckDB.

Write floor (printed beside DuckDB, which stays the issue's floor): the database alone
inserting the rows the rebuild writes (the count rows of every day up to the peak's
end, copied beforehand into a temporary table) into the real counts table with its
indexes and keys, in a transaction rolled back afterwards; see `write_floor`.

`--stale update|delete`: before each timed rebuild (not timed) every stored cell it
rebuilds is made wrong or removed, so the rebuild writes all its rows. By default the
stored counts are already right, as after an import that changed nothing: the rebuild
then writes nothing (procedures.counts writes only the difference).
"""

# ruff: noqa: S603, S607, S608 - benchmarks run our own tools and git; SQL from our own names

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

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
    work_folder,
)

PEAK_START, PEAK_END = dt.date(2023, 9, 1), dt.date(2023, 10, 30)
DEFAULT_SCALE = 1.43  # x ~700,000 dossiers a year
# CHIENDICH_BENCH_PG_PREFIX keeps two sessions' benches on one server apart.
_PREFIX = os.environ.get("CHIENDICH_BENCH_PG_PREFIX", "chiendich_bench")
PG_BASE, PG_KPI = f"{_PREFIX}_dossier_base", f"{_PREFIX}_kpi"

# --- setup (children) ---------------------------------------------------------------------------


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run this file as a child with `args`; return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _django() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    import django

    django.setup()


def _child_base(plan_file: str = "") -> dict[str, Any]:
    """The demo at scale 0 (units, organizations, plan, users) plus the demo catalogue."""
    from django.core.management import call_command

    _django()
    from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
    from chiendich.procedures.models import Procedure

    plan_args = ["--plan", plan_file] if plan_file else []
    call_command("demo", "--no-serve", "--scale", "0", *plan_args, verbosity=0)
    catalogue_load(DEMO_CATALOGUE)
    return {"procedures": Procedure.objects.count()}


def _child_simulate(scale: str, plan_code: str = "") -> dict[str, Any]:
    """`dossiers_simulate(scale)`, then drop the aggregate forms (records only)."""
    _django()
    from chiendich.plans.models import Plan
    from chiendich.procedures.models import AggregateForm, Dossier
    from chiendich.procedures.simulate import dossiers_simulate

    plan = Plan.objects.get(code=plan_code) if plan_code else None
    started = time.perf_counter()
    dossiers = dossiers_simulate(plan=plan, scale=float(scale))
    seconds = time.perf_counter() - started
    forms = AggregateForm.objects.count()
    AggregateForm.objects.all().delete()
    return {
        "dossiers": dossiers,
        "rows": Dossier.objects.count(),
        "forms_removed": forms,
        "seconds": seconds,
    }


CHILDREN = {"_base": _child_base, "_simulate": _child_simulate}


def sqlite_base(work: Path, plan_file: Path | None = None) -> Path:
    """work/base: the demo at scale 0 and the catalogue, built once (the import's start too)."""
    folder = work / ("base" if plan_file is None else f"base-{plan_file.stem}")
    db = folder / "chiendich.sqlite3"
    if not (folder / "ready").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        started = time.perf_counter()
        made = run_child(["_base", str(plan_file or "")], child_env(folder))
        print(
            f"setup: demo at scale 0 + catalogue ({made['procedures']} procedures) in {folder}, "
            f"{time.perf_counter() - started:.1f} s (not timed)"
        )
        (folder / "ready").write_text("")
    return db


def sqlite_dossiers(work: Path, scale: float, plan_file: Path | None = None) -> Path:
    """work/kpi-SCALE: the base with the simulated dossiers, built once."""
    base = sqlite_base(work, plan_file)
    folder = work / (f"kpi-{scale:g}" if plan_file is None else f"kpi-{plan_file.stem}-{scale:g}")
    if not (folder / "ready").exists():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(work / f"export-sqlite-{scale:g}", ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copyfile(base, folder / "chiendich.sqlite3")
        made = run_child(["_simulate", str(scale), plan_code(plan_file)], child_env(folder))
        print(
            f"setup: dossiers_simulate(scale={scale:g}): {made['rows']:,} dossiers in "
            f"{made['seconds']:.1f} s, {made['forms_removed']} aggregate forms removed (not timed)"
        )
        (folder / "ready").write_text(str(made["rows"]))
    return folder / "chiendich.sqlite3"


def plan_code(plan_file: Path | None) -> str:
    if plan_file is None:
        return ""
    import yaml

    return str(yaml.safe_load(plan_file.read_text(encoding="utf-8"))["code"])


def pg_simulated(url: str, scale: float) -> bool:
    """Whether the database at `url` holds the simulation at `scale` (simulate.MARKER)."""
    import psycopg

    try:
        with psycopg.connect(url) as db:
            found = db.execute(
                "SELECT COUNT(*) FROM procedures_dossierimport WHERE status = 'done'"
                " AND file_name LIKE %s",  # simulate.MARKER (it also names plan and last day)
                [f"dossiers_simulate(%scale={scale}, seed=383)"],
            ).fetchone()
            return bool(found and found[0])
    except psycopg.Error:
        return False


def pg_base(url: str, plan_file: Path | None = None) -> str:
    """A database PG_BASE with the demo at scale 0 and the catalogue (a template)."""
    import psycopg

    target = pg_url(url, PG_BASE)
    try:
        with psycopg.connect(target) as db:
            ready = db.execute("SELECT COUNT(*) FROM procedures_procedure").fetchone()
    except psycopg.Error:
        ready = None
    if not ready or not ready[0]:
        pg_admin(url, f"DROP DATABASE IF EXISTS {PG_BASE}", f"CREATE DATABASE {PG_BASE}")
        started = time.perf_counter()
        run_child(["_base", str(plan_file or "")], child_env(database_url=target))
        print(f"setup: {PG_BASE} in {time.perf_counter() - started:.1f} s (not timed)")
    return target


def pg_dossiers(url: str, scale: float, work: Path, plan_file: Path | None = None) -> str:
    """A database PG_KPI: PG_BASE with the simulated dossiers, built once."""
    target = pg_url(url, PG_KPI)
    if not pg_simulated(target, scale):
        shutil.rmtree(work / f"export-postgres-{scale:g}", ignore_errors=True)
        pg_base(url, plan_file)
        pg_admin(
            url,
            f"DROP DATABASE IF EXISTS {PG_KPI}",
            f"CREATE DATABASE {PG_KPI} TEMPLATE {PG_BASE}",
        )
        made = run_child(
            ["_simulate", str(scale), plan_code(plan_file)], child_env(database_url=target)
        )
        print(
            f"setup: dossiers_simulate(scale={scale:g}) on PostgreSQL: {made['rows']:,} dossiers"
            f" in {made['seconds']:.1f} s (not timed)"
        )
    return target


# --- the baseline -------------------------------------------------------------------------------

TABLES = {
    "dossier": (
        "SELECT unit_id, procedure_id, channel, received_on, due_on, finished_on, status,"
        " CASE WHEN digitized THEN 1 ELSE 0 END, CASE WHEN e_result THEN 1 ELSE 0 END, fee,"
        " payment, CASE WHEN reused THEN 1 ELSE 0 END FROM procedures_dossier",
        "unit_id BIGINT, procedure_id BIGINT, channel INTEGER, received_on DATE, due_on DATE,"
        " finished_on DATE, status VARCHAR, digitized INTEGER, e_result INTEGER, fee BIGINT,"
        " payment INTEGER, reused INTEGER",
    ),
    "procedure": (
        "SELECT id, CASE WHEN fee_bearing THEN 1 ELSE 0 END, CASE WHEN paper_result THEN 1 ELSE 0"
        " END, CASE WHEN essential_06 AND police_service THEN 1 ELSE 0 END FROM procedures_procedure",
        "id BIGINT, fee_bearing INTEGER, paper_result INTEGER, police INTEGER",
    ),
    "unit": (
        "SELECT id, code, path, level, type, kind, parent_id FROM units_unit",
        "id BIGINT, code VARCHAR, path VARCHAR, level VARCHAR, type VARCHAR, kind VARCHAR,"
        " parent_id BIGINT",
    ),
}

# Conditions on one dossier row (d: dossier joined with its procedure's flags).
REC = "d.received_on BETWEEN $start AND $end"
FIN = "d.finished_on BETWEEN $start AND $end"
RESOLVED = f"{FIN} AND d.status = 'resolved'"
FINISHED = f"{FIN} AND d.status IN ('resolved', 'rejected')"
OPEN = "(d.finished_on IS NULL OR d.finished_on > $end)"  # rows are received <= $end
ON_TIME = (
    f"(({FINISHED} AND (d.due_on IS NULL OR d.finished_on <= d.due_on))"
    f" OR ({OPEN} AND (d.due_on IS NULL OR d.due_on >= $end)))"
)
PAYABLE = f"{REC} AND d.fee_bearing = 1 AND d.fee > 0"
# (indicator, variant) -> (numerator, denominator): the formulas of indicators.py,
# written over dossier rows instead of stored counts.
FORMULAS: dict[tuple[str, str], tuple[str, str]] = {
    ("online_dossier_rate", "received"): (f"{REC} AND d.channel = 2", REC),
    ("online_dossier_rate", "resolved"): (f"{RESOLVED} AND d.channel = 2", RESOLVED),
    ("online_dossier_rate_police_essential", "received"): (
        f"{REC} AND d.police = 1 AND d.channel = 2",
        f"{REC} AND d.police = 1",
    ),
    ("online_dossier_rate_police_essential", "resolved"): (
        f"{RESOLVED} AND d.police = 1 AND d.channel = 2",
        f"{RESOLVED} AND d.police = 1",
    ),
    ("digitization_rate", "components_and_result"): (
        f"{REC} AND d.digitized = 1 AND (d.paper_result = 0 OR d.e_result = 1)",
        REC,
    ),
    ("digitization_rate", "components_only"): (f"{REC} AND d.digitized = 1", REC),
    ("electronic_result_rate", "standard"): (
        f"{RESOLVED} AND d.paper_result = 1 AND d.e_result = 1",
        f"{RESOLVED} AND d.paper_result = 1",
    ),
    ("data_reuse_rate", "standard"): (f"{REC} AND d.reused = 1", REC),
    ("online_payment_rate", "any_gateway"): (f"{PAYABLE} AND d.payment IN (1, 2)", PAYABLE),
    ("online_payment_rate", "national_portal"): (f"{PAYABLE} AND d.payment = 1", PAYABLE),
    ("on_time_rate", "processed"): (ON_TIME, f"(({FINISHED}) OR {OPEN})"),
    ("on_time_rate", "finished"): (
        f"{FINISHED} AND (d.due_on IS NULL OR d.finished_on <= d.due_on)",
        FINISHED,
    ),
    ("result_reuse_rate", "all_resolved"): (f"{RESOLVED} AND d.e_result = 1", RESOLVED),
    ("result_reuse_rate", "paper_result_only"): (
        f"{RESOLVED} AND d.paper_result = 1 AND d.e_result = 1",
        f"{RESOLVED} AND d.paper_result = 1",
    ),
    # The bench holds no results store (results app): nothing is stored, so 0 / resolved.
    ("result_store_coverage", "all_resolved"): (f"{RESOLVED} AND FALSE", RESOLVED),
    ("result_store_coverage", "paper_result_only"): (
        f"{RESOLVED} AND d.paper_result = 1 AND FALSE",
        f"{RESOLVED} AND d.paper_result = 1",
    ),
}


def duckdb_query(variants: list[tuple[str, str]]) -> str:
    """Per receiving unit, then summed up every unit's path, by (level, commune type)."""
    per_unit, summed = [], []
    for n, key in enumerate(variants):
        numerator, denominator = FORMULAS[key]
        per_unit += [
            f"COUNT(*) FILTER (WHERE {numerator}) AS n{n}",
            f"COUNT(*) FILTER (WHERE {denominator}) AS d{n}",
        ]
        summed += [f"SUM(n{n})", f"SUM(d{n})"]
    return f"""
WITH d AS (
    SELECT x.*, p.fee_bearing, p.paper_result, p.police
    FROM dossier x JOIN procedure p ON p.id = x.procedure_id
    WHERE x.received_on <= $end
), per_unit AS (
    SELECT d.unit_id, {", ".join(per_unit)} FROM d GROUP BY d.unit_id
), bucket AS (
    -- A dossier's level is its receiving unit's; a commune's police or People's
    -- Committee counts with its commune's type.
    SELECT u.id, u.path, u.level,
           CASE WHEN u.level <> 'commune' THEN ''
                WHEN u.kind = 'territorial' THEN u.type ELSE COALESCE(p.type, '') END AS ctype
    FROM unit u LEFT JOIN unit p ON p.id = u.parent_id
)
SELECT t.code, b.level, b.ctype, {", ".join(summed)}
FROM per_unit JOIN bucket b ON b.id = per_unit.unit_id,
     UNNEST(string_split(rtrim(b.path, '/'), '/')) AS t(code)
GROUP BY 1, 2, 3
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
                cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy,  # type: ignore[arg-type]
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
        db.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder / name}.csv',"
            f" header = false, columns = {{{types}}}, nullstr = '')"
        )
    return db


# --- the write floor ----------------------------------------------------------------------------


def write_floor(end: dt.date, runs: int) -> tuple[int, list[float], list[float]]:
    """The database alone writing the rows the rebuild writes: the count rows of every
    day up to `end`, copied beforehand (not timed) into a temporary table in key order,
    inserted by one INSERT ... SELECT into the real counts table, with its indexes and
    its keys (checked by the statement on PostgreSQL: SET CONSTRAINTS ALL IMMEDIATE;
    SQLite looks each key up as the row is written). The old rows are deleted first in
    the same transaction (timed apart), and everything is rolled back. Returns the rows,
    the insert's times and the delete's."""
    from django.db import connection, transaction

    from chiendich.procedures.counts import COLUMNS, COUNT

    names = ", ".join(COLUMNS)
    inserts: list[float] = []
    deletes: list[float] = []
    rows = 0
    for _ in range(runs):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE bench_floor AS SELECT {names} FROM {COUNT}"
                " WHERE day <= %s ORDER BY unit_id, day, procedure_id",
                [end],
            )
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE bench_floor")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            started = time.perf_counter()
            cursor.execute(f"DELETE FROM {COUNT} WHERE day <= %s", [end])
            deletes.append(time.perf_counter() - started)
            started = time.perf_counter()
            cursor.execute(f"INSERT INTO {COUNT} ({names}) SELECT {names} FROM bench_floor")
            inserts.append(time.perf_counter() - started)
            rows = cursor.rowcount
            transaction.set_rollback(True)
    return rows, inserts, deletes


def make_stale(how: str, start: dt.date | None, end: dt.date) -> None:
    """Before a timed rebuild (not timed): make every stored cell of `start`..`end` wrong
    (`update`: each received counter one more) or remove them (`delete`), so the
    rebuild must write every one of its rows; committed."""
    from django.db import connection, transaction

    from chiendich.procedures.counts import COUNT

    with transaction.atomic(), connection.cursor() as cursor:
        days = "day >= %s AND day <= %s"
        first = start or dt.date(1, 1, 1)
        if how == "update":
            cursor.execute(f"UPDATE {COUNT} SET received = received + 1 WHERE {days}", [first, end])
        else:
            cursor.execute(f"DELETE FROM {COUNT} WHERE {days}", [first, end])
    if connection.vendor == "postgresql":  # as the autovacuum would, soon after
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {COUNT}")


# --- comparing ------------------------------------------------------------------------------------

Pair = tuple[int, int]


def compare(
    ours: list[Any], duck: dict[tuple[str, str, str], list[Pair]], keys: list[str]
) -> list[str]:
    """Every mismatch between our results and DuckDB's buckets, as lines to print."""
    by_unit: dict[str, dict[tuple[str, str], list[Pair]]] = defaultdict(dict)
    for (code, level, ctype), pairs in duck.items():
        by_unit[code][(level, ctype)] = pairs
    problems = []
    for kpi in ours:
        buckets = by_unit.get(kpi.unit.code, {})
        for n, key in enumerate(keys):
            result = kpi.indicator(key)

            def total(where: Any, n: int = n, buckets: Any = buckets) -> Pair:
                parts = [pairs[n] for bucket, pairs in buckets.items() if where(bucket)]
                return sum(p[0] for p in parts), sum(p[1] for p in parts)

            checks = [
                (
                    "headline",
                    (result.numerator, result.denominator),
                    total(lambda b, lv=result.levels: b[0] in lv),
                ),
                (
                    "area",
                    (result.area.numerator, result.area.denominator),
                    total(lambda b: True),
                ),
            ]
            seen = set()
            for row in result.breakdown:
                bucket = (row.level, row.unit_type or "")
                seen.add(bucket)
                checks.append(
                    (
                        f"breakdown {bucket}",
                        (row.numerator, row.denominator),
                        total(lambda b, w=bucket: b == w),
                    )
                )
            for bucket, pairs in buckets.items():
                if bucket not in seen and pairs[n] != (0, 0):
                    checks.append((f"breakdown {bucket}", (0, 0), pairs[n]))
            for what, mine, theirs in checks:
                if mine != theirs:
                    problems.append(
                        f"{kpi.unit.code} {key} {what}: ours {mine[0]}/{mine[1]}, "
                        f"DuckDB {theirs[0]}/{theirs[1]}"
                    )
    return problems


# --- main -----------------------------------------------------------------------------------------


def _previous_module(revision: str, name: str, source: str) -> Any:
    import types

    module = types.ModuleType(f"chiendich.procedures.{name}")
    module.__package__ = "chiendich.procedures"
    sys.modules[module.__name__] = module
    exec(compile(source, f"{revision}:{name}.py", "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


def previous(revision: str) -> tuple[Any, Any]:
    """counts_rebuild and units_kpi from src/chiendich/procedures/{counts,selectors}.py at
    `revision`, loaded as modules of the package (their relative imports resolve; the
    old selectors read the old counts) beside the current ones."""

    def source(name: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), "show", f"{revision}:src/chiendich/procedures/{name}.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    counts = _previous_module(revision, "_counts_before", source("counts"))
    selectors = _previous_module(
        revision,
        "_selectors_before",
        source("selectors").replace("from .counts import", "from ._counts_before import"),
    )
    return counts.counts_rebuild, selectors.units_kpi


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        print(json.dumps(CHILDREN[sys.argv[1]](*sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, help="keep the built databases here for reuse")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="x ~700,000 dossiers")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--plan",
        type=Path,
        help="another plan's province and TTHC peak (e.g. plans/dong-thap-2026.yaml; "
        "on PostgreSQL set CHIENDICH_BENCH_PG_PREFIX apart from the default plan's databases)",
    )
    parser.add_argument(
        "--rebuild",
        choices=["upto", "peak"],
        default="upto",
        help="headline rebuild: every day up to the peak's end (default) or the peak's days",
    )
    parser.add_argument(
        "--stale",
        choices=["none", "update", "delete"],
        default="none",
        help="before each timed rebuild (not timed), make every stored cell it rebuilds"
        " wrong (update) or remove them (delete): the rebuild writes all its rows;"
        " default: the counts are already right, as a rebuild over unchanged dossiers",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also time counts_rebuild and units_kpi as they were at this git revision"
        " (e.g. main), same run",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url.startswith("postgres"):
        parser.error("--database postgres needs DATABASE_URL=postgres://user:pass@host/db")
    with work_folder(args.work, "bench-kpi-") as work:
        run(args, work, url)


def run(args: argparse.Namespace, work: Path, url: str) -> None:
    print(f"machine: {machine()}")
    print(f"work folder: {work}")
    # The dossier rows never change (ours only rewrites counts): export them once.
    tag = "" if args.plan is None else f"{args.plan.stem}-"
    export = work / f"export-{args.database}-{tag}{args.scale:g}"
    if args.database == "postgres":
        target = pg_dossiers(url, args.scale, work, args.plan)
        os.environ["DATABASE_URL"] = target
    else:
        db = sqlite_dossiers(work, args.scale, args.plan)
        os.environ["CHIENDICH_DATA_DIR"] = str(db.parent)
        os.environ.pop("DATABASE_URL", None)
    fresh = not (export / "ready").exists()
    started = time.perf_counter()
    if fresh:
        export.mkdir(exist_ok=True)
        if args.database == "postgres":
            export_postgres(target, export)
        else:
            export_sqlite(db, export)
        (export / "ready").write_text("")
        print(
            f"exported the records for DuckDB in {time.perf_counter() - started:.1f} s (not timed)"
        )

    _django()
    from django.db import connection

    from chiendich.procedures.counts import counts_rebuild
    from chiendich.procedures.models import Dossier
    from chiendich.procedures.selectors import indicator_settings, units_kpi
    from chiendich.units.models import Kind, Level, Unit

    global PEAK_START, PEAK_END  # noqa: PLW0603 - the window of --plan
    if args.plan is None:
        # The demo's 2023 province (the dated tree also holds Đồng Tháp and the 2025 province).
        province = Unit.objects.get(code="82", level=Level.PROVINCE, kind=Kind.TERRITORIAL)
    else:
        from chiendich.plans.models import Plan
        from chiendich.procedures.simulate import _peak

        the_plan = Plan.objects.get(code=plan_code(args.plan))
        province = the_plan.province
        peak = _peak(the_plan)
        last = Dossier.objects.order_by("-received_on").values_list("received_on", flat=True)[0]
        PEAK_START, PEAK_END = peak.start, min(peak.end, last)
        print(
            f"plan {the_plan.code}: province {province.code}, window {PEAK_START:%d/%m/%Y}–{PEAK_END:%d/%m/%Y}"
        )
    territorial = Unit.objects.filter(
        kind=Kind.TERRITORIAL,
        level__in=[Level.PROVINCE, Level.DISTRICT, Level.COMMUNE],
        path__startswith=province.path,
    )
    agencies = Unit.objects.filter(kind=Kind.ORGANIZATION, level=Level.PROVINCE, parent=province)
    units = sorted([*territorial, *agencies], key=lambda u: u.path)
    levels = defaultdict(int)
    for u in units:
        levels[u.level if u.kind == Kind.TERRITORIAL else "agency"] += 1
    dossiers = Dossier.objects.count()
    print(
        f"{dossiers:,} dossiers ({connection.vendor}); {len(units)} units: "
        + ", ".join(f"{n} {level}" for level, n in levels.items())
    )
    from chiendich.plans.selectors import plan_for_unit

    plan = plan_for_unit(province)
    variants = [(s.indicator.key, s.variant) for s in indicator_settings(plan)]
    keys = [k for k, _ in variants]
    print("indicators: " + ", ".join(f"{k} ({v})" for k, v in variants))

    started = time.perf_counter()
    duck = duckdb_load(export)
    print(f"DuckDB: loaded the records in {time.perf_counter() - started:.1f} s (not timed)")
    query = duckdb_query(variants)
    floor: list[float] = []
    duck_rows: dict[tuple[str, str, str], list[Pair]] = {}
    for _ in range(args.runs):
        started = time.perf_counter()
        result = duck.execute(query, {"start": PEAK_START, "end": PEAK_END}).fetchall()
        floor.append(time.perf_counter() - started)
    duck_rows = {
        (r[0], r[1], r[2]): [(int(r[3 + 2 * n]), int(r[4 + 2 * n])) for n in range(len(keys))]
        for r in result
    }
    print(f"baseline DuckDB query: {fmt_runs(floor)}")
    floor_rows, floor_inserts, floor_deletes = write_floor(PEAK_END, args.runs)
    print(
        f"write floor, the database alone inserting the rebuild's {floor_rows:,} count rows"
        f" into the counts table with its indexes and keys: {fmt_runs(floor_inserts)};"
        f" {median(floor_inserts) / median(floor):.1f}x DuckDB"
        f" (deleting the old rows first, apart: {fmt_runs(floor_deletes)})"
    )

    def ours_once(
        start: dt.date | None, rebuild_of: Any = counts_rebuild, kpi_of: Any = units_kpi
    ) -> tuple[float, float, list[Any]]:
        if args.stale != "none":
            make_stale(args.stale, start, PEAK_END)
        began, cpu_began = time.perf_counter(), time.process_time()
        rebuild_of(start=start, end=PEAK_END)
        middle = time.perf_counter()
        kpis = kpi_of(units, PEAK_START, PEAK_END, plan=plan)
        if start is None:  # the rebuild of every day up to the end
            cpu[rebuild_of is counts_rebuild].append(time.process_time() - cpu_began)
        return time.perf_counter() - began, middle - began, kpis

    cpu: dict[bool, list[float]] = {True: [], False: []}  # CPU time of ours (True), before

    modes = {"upto": None, "peak": PEAK_START}
    order = [args.rebuild, *(m for m in modes if m != args.rebuild)]
    totals: dict[str, list[float]] = {m: [] for m in modes}
    rebuilds: dict[str, list[float]] = {m: [] for m in modes}
    kpis: list[Any] = []
    before, before_kpi = previous(args.before) if args.before else (None, None)
    before_totals: list[float] = []
    before_rebuilds: list[float] = []
    before_problems: list[str] = []
    for mode in order:
        for _ in range(args.runs):
            total, rebuild, kpis = ours_once(modes[mode])
            totals[mode].append(total)
            rebuilds[mode].append(rebuild)
            if before is not None and mode == args.rebuild:  # alternating with ours
                total, rebuild, old_kpis = ours_once(modes[mode], before, before_kpi)
                before_totals.append(total)
                before_rebuilds.append(rebuild)
                before_problems = compare(old_kpis, duck_rows, keys)
    reads: list[float] = []
    before_reads: list[float] = []
    read_cpu: dict[bool, list[float]] = {True: [], False: []}  # ours (True), before
    for _ in range(args.runs):  # alternating with before's units_kpi, over the same counts
        started, cpu_started = time.perf_counter(), time.process_time()
        kpis = units_kpi(units, PEAK_START, PEAK_END, plan=plan)
        reads.append(time.perf_counter() - started)
        read_cpu[True].append(time.process_time() - cpu_started)
        if before_kpi is not None:
            started, cpu_started = time.perf_counter(), time.process_time()
            before_kpi(units, PEAK_START, PEAK_END, plan=plan)
            before_reads.append(time.perf_counter() - started)
            read_cpu[False].append(time.process_time() - cpu_started)
    labels = {
        "upto": f"rebuild of every day up to {PEAK_END:%d/%m}",
        "peak": "rebuild of the peak's days",
    }
    for mode in order:
        print(f"ours, {labels[mode]} + units_kpi: {fmt_runs(totals[mode])}")
        print(f"  of which counts_rebuild: {fmt_runs(rebuilds[mode])}")
    print(f"ours, units_kpi alone (stored counts): {fmt_runs(reads)}")
    for mode in order:
        print(
            f"ratio ours ({labels[mode]}) / DuckDB: "
            f"{median(totals[mode]) / median(floor):.1f}x"
            + (" (goal <= 3x)" if mode == args.rebuild else "")
        )
    print(
        f"ratio ours ({labels[args.rebuild]}) / write floor:"
        f" {median(totals[args.rebuild]) / median(floor_inserts):.1f}x"
        f" (counts were {'right' if args.stale == 'none' else args.stale + 'd'}"
        " before each rebuild)"
    )
    print(f"ratio units_kpi alone / DuckDB: {median(reads) / median(floor):.1f}x")
    print(f"  CPU time of this process: {fmt_runs(read_cpu[True])}")
    if before_reads:
        print(
            f"before ({args.before}), units_kpi alone: {fmt_runs(before_reads)};"
            f" ratio to DuckDB {median(before_reads) / median(floor):.1f}x;"
            f" ours / before {median(reads) / median(before_reads):.2f}x"
        )
        print(
            f"  CPU time of this process: {fmt_runs(read_cpu[False])}; ours / before"
            f" {median(read_cpu[True]) / median(read_cpu[False]):.2f}x"
        )
    where = "SQLite runs in it" if args.database == "sqlite" else "not the server"
    print(
        f"CPU time of this process ({where}), ours, up to {PEAK_END:%d/%m}: {fmt_runs(cpu[True])}"
    )
    if before is not None:
        print(f"  before: {fmt_runs(cpu[False])}")
        print(
            f"before ({args.before}), {labels[args.rebuild]} + units_kpi: {fmt_runs(before_totals)}"
        )
        print(f"  of which counts_rebuild: {fmt_runs(before_rebuilds)}")
        print(
            f"ratio before / DuckDB: {median(before_totals) / median(floor):.1f}x; ours / before:"
            f" {median(totals[args.rebuild]) / median(before_totals):.2f}x"
            f" (before's figures: {len(before_problems)} mismatches)"
        )

    problems = compare(kpis, duck_rows, keys)
    checked = len(kpis) * len(keys)
    if problems:
        print(f"MISMATCHES: {len(problems)} (of {checked} unit x indicator, each several figures)")
        for line in problems[:40]:
            print(f"  {line}")
    else:
        print(
            f"same numerators and denominators in all {len(kpis)} units x {len(keys)} indicators"
            " (headline, area and every breakdown row)"
        )
    top = next(k for k in kpis if k.unit.pk == province.pk)
    for result in top.indicators:
        print(
            f"  province {result.key}: {result.numerator:,}/{result.denominator:,}"
            f" = {result.rate} ({'+'.join(result.levels)}); area"
            f" {result.area.numerator:,}/{result.area.denominator:,}"
        )


if __name__ == "__main__":
    main()
