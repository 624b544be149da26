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


STATES = {
    "Chưa đăng ký": "not_registered",
    "Đã đăng ký mức 1, chờ duyệt": "l1_pending",
    "Đã đăng ký mức 2, chờ duyệt": "l2_pending",
    "Đã duyệt, chờ kích hoạt": "approved",
    "Đã kích hoạt mức 1": "activated_l1",
    "Đã kích hoạt mức 2": "activated_l2",
}


def _state_case(column: str) -> str:
    whens = " ".join(f"WHEN '{text}' THEN '{state}'" for text, state in STATES.items())
    return f"CASE {column} {whens} END"


# The foreign keys of the tables the police list inserts into: (column, referenced table).
INSERTED_KEYS = {
    "vneid_household": [("commune_id", "units_unit"), ("unit_id", "units_unit")],
    "vneid_citizen": [
        ("commune_id", "units_unit"),
        ("household_id", "vneid_household"),
        ("unit_id", "units_unit"),
    ],
    "vneid_accountevent": [
        ("batch_id", "vneid_importbatch"),
        ("citizen_id", "vneid_citizen"),
        ("recorded_by_id", "accounts_user"),
        ("unit_id", "units_unit"),
    ],
}


def _keys_once(table: str, insert: str) -> str:
    """`insert` without the per-row key triggers, then each key of the rows inserted
    checked once per distinct id, the referenced rows locked FOR KEY SHARE (as
    core.bulkload.InsertKeys does); a missing id stops the script by a division by
    zero (not a constant one, which PostgreSQL would fold while planning)."""
    checks = "".join(
        f"SELECT CASE WHEN count(*) > 0 THEN 1 / (0 * count(*)) END FROM (SELECT DISTINCT {column} AS v"  # noqa: S608
        f" FROM {table} WHERE {column} IS NOT NULL ORDER BY 1) x LEFT JOIN LATERAL"
        f" (SELECT t.id FROM ONLY {target} t WHERE t.id = x.v FOR KEY SHARE) k ON true"
        " WHERE k.id IS NULL;\n"
        for column, target in INSERTED_KEYS[table]
    )
    return (
        "SET LOCAL session_replication_role = replica;\n"
        f"{insert}\nSET LOCAL session_replication_role = DEFAULT;\n{checks}"
    )


def schema_floor_sql(vendor: str, csv_path: Path, *, keys_once: bool = False) -> str:
    """A script for the sqlite3 shell or psql: the file loaded by the database's own
    loader into a staging table, then, in one transaction, what our import writes for
    a list of new citizens: codes resolved by joins against the unit table, dates and
    states converted in SQL, households, citizens (in row order) and their events
    merged into the real tables (their indexes, unique constraints and foreign keys,
    as the migrations make them), committed. No checks, no error file, no audit: the
    part of our import's time the schema's guarantees cost on their own.

    `keys_once` (PostgreSQL, floor 2b): each insert's keys checked once per distinct id
    instead of by a trigger per row and key, as our import does (InsertKeys)."""
    columns = "id_number TEXT, full_name TEXT, birth TEXT, sex TEXT, commune TEXT, hamlet TEXT, household TEXT, phone TEXT, status TEXT, updated TEXT"
    names = ", ".join(c.split()[0] for c in columns.split(", "))
    if vendor == "sqlite":
        load = (
            f"PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA foreign_keys=ON;\n"
            f"PRAGMA cache_size=-262144;\nCREATE TEMP TABLE s ({columns});\n"
            f".import --csv --skip 1 --schema temp {csv_path} s\n"
        )
        row, day = "s.rowid", "substr({0},7,4)||'-'||substr({0},4,2)||'-'||substr({0},1,2)"
        now, begin = "datetime('now')", "BEGIN IMMEDIATE;"
        first_of_household = (
            "SELECT household, commune_id, unit_id, '', '' FROM "
            "(SELECT household, commune_id, unit_id, MIN(row) AS first FROM r "
            "WHERE household <> '' GROUP BY household) ORDER BY first"
        )
    else:
        load = (
            f"\\set ON_ERROR_STOP 1\nCREATE TEMP TABLE s (n BIGSERIAL, {columns});\n"
            f"\\copy s ({names}) FROM '{csv_path}' CSV HEADER\n"
        )
        row, day = "s.n", "to_date({0}, 'DD/MM/YYYY')"
        now, begin = "now()", "BEGIN;"
        first_of_household = (
            "SELECT household, commune_id, unit_id, '', '' FROM "
            "(SELECT DISTINCT ON (household) household, commune_id, unit_id, row FROM r "
            "WHERE household <> '' ORDER BY household, row) f ORDER BY row"
        )
    households = (
        "INSERT INTO vneid_household (code, commune_id, unit_id, head_name, address) "
        f"{first_of_household};"
    )
    citizens = f"""INSERT INTO vneid_citizen (id_number, full_name, birth_date, sex, phone, commune_id, unit_id,
    household_id, state, state_date, created_at, updated_at)
SELECT r.id_number, r.full_name, r.birth_date, r.sex, r.phone, r.commune_id, r.unit_id, hh.id,
       COALESCE(r.state, 'not_registered'), r.state_date, {now}, {now}
FROM r LEFT JOIN vneid_household hh ON hh.code = r.household ORDER BY r.row;"""  # noqa: S608
    events = f"""INSERT INTO vneid_accountevent (citizen_id, state, date, until, source, unit_id, batch_id,
    recorded_by_id, recorded_at, note)
SELECT id, state, state_date, NULL, 'police_list', unit_id, NULL, NULL, {now}, ''
FROM vneid_citizen WHERE state_date IS NOT NULL ORDER BY id;"""  # noqa: S608

    def wrap(table: str, insert: str) -> str:
        return _keys_once(table, insert) if keys_once else insert

    return f"""{load}{begin}
CREATE TEMP TABLE place (commune TEXT, hamlet TEXT, commune_id BIGINT, unit_id BIGINT, PRIMARY KEY (commune, hamlet));
INSERT INTO place SELECT code, '', id, id FROM units_unit WHERE level = 'commune';
INSERT INTO place SELECT c.code, h.name, c.id, h.id FROM units_unit h
JOIN units_unit c ON c.id = h.parent_id WHERE h.level = 'hamlet' AND c.level = 'commune'
ON CONFLICT DO NOTHING;
CREATE TEMP TABLE r AS
SELECT {row} AS row, s.id_number, s.full_name,
       {day.format("s.birth")} AS birth_date, CASE s.sex WHEN 'Nam' THEN 'M' ELSE 'F' END AS sex,
       COALESCE(s.phone, '') AS phone, p.commune_id, p.unit_id,
       COALESCE(s.household, '') AS household,
       {_state_case("s.status")} AS state, {day.format("s.updated")} AS state_date
FROM s JOIN place p ON p.commune = s.commune AND p.hamlet = COALESCE(s.hamlet, '');
{wrap("vneid_household", households)}
{wrap("vneid_citizen", citizens)}
{wrap("vneid_accountevent", events)}
COMMIT;
"""  # noqa: S608 - our own names and the bench's file path


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


def schema_floor_runs(
    args: argparse.Namespace, work: Path, csv_path: Path, rows: int, keys_once: bool
) -> list[float]:
    """Seconds of each run of floor 2 (or 2b) on a fresh copy of the template."""
    url = os.environ.get("DATABASE_URL", "")
    template = f"{PG_PREFIX}_template"
    sqlite_template = work / "template" / "chiendich.sqlite3"
    schema_floor: list[float] = []
    script = work / f"schema-floor-{args.database}{'-2b' if keys_once else ''}.sql"
    script.write_text(schema_floor_sql(args.database, csv_path, keys_once=keys_once))
    for run in range(args.runs):
        if args.database == "postgres":
            name = f"{PG_PREFIX}_schema{run}"
            pg_admin(
                url,
                f"DROP DATABASE IF EXISTS {name}",
                f"CREATE DATABASE {name} TEMPLATE {template}",
            )
            schema_floor.append(
                timed([PSQL, pg_url(url, name), "-qf", str(script)], stdout=subprocess.DEVNULL)
            )
            counted = subprocess.run(
                [PSQL, pg_url(url, name), "-tAc", "SELECT count(*) FROM vneid_citizen"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            pg_admin(url, f"DROP DATABASE IF EXISTS {name}")
        else:
            db = sqlite_copy(sqlite_template, work / f"schema-{run}")
            with script.open() as source:
                schema_floor.append(
                    timed([SQLITE_SHELL, str(db)], stdin=source, stdout=subprocess.DEVNULL)
                )
            counted = subprocess.run(
                [SQLITE_SHELL, str(db), "SELECT count(*) FROM vneid_citizen"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            shutil.rmtree(db.parent)
        if int(counted) != rows:
            raise RuntimeError(f"the schema floor stored {counted} citizens of {rows}")
    return schema_floor


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

    # The second floor: the database alone doing our writes into our real tables.
    # PostgreSQL also runs floor 2b: the same with each key checked once per id.
    floors2: dict[str, list[float]] = {}
    for keys_once in [False, True] if args.database == "postgres" else [False]:
        label = "floor 2b" if keys_once else "floor 2"
        floors2[label] = schema_floor_runs(args, work, csv_path, made["rows"], keys_once)
        print(
            f"{label}, the database alone writing into our tables"
            f"{' (each key checked once)' if keys_once else ''}: {fmt_runs(floors2[label])};"
            f" {median(floors2[label]) / median(pg_floor or floor):.2f}x the floor"
        )

    if args.baseline_only:
        return
    if importlib.util.find_spec("chiendich.vneid.importing") is None:
        print("ours: pending, chiendich.vneid.importing is not there yet")
        return

    # Ours and (--before) the older code take turns, run by run: both see the same load.
    sides = ["ours"] + (["before"] if args.before else [])
    times: dict[str, list[float]] = {side: [] for side in sides}
    ours, rss, locks = times["ours"], [], []
    # CPU time of the importing process: all of SQLite's work (it runs in it), and on a
    # loaded machine the steadier comparison; on PostgreSQL the client's share only.
    cpus: dict[str, list[float]] = {side: [] for side in sides}
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
            cpus[side].append(result.get("cpu_seconds") or 0.0)
            if side == "ours":
                rss.append(result["max_rss_kib"] / 1024)
                locks.append(result.get("lock_seconds") or 0.0)
            print(
                f"  run {run + 1} {side}: {result['seconds']:.1f} s (write lock held "
                f"{result.get('lock_seconds') or 0.0:.1f} s), {result['rows_valid']:,} valid, "
                f"{result['rows_rejected']:,} rejected, {result['created']:,} citizens, "
                f"{result['events']:,} events, peak RSS {result['max_rss_kib'] / 1024:.0f} MiB"
                f" ({result['vendor']})"
                + (
                    f", its PostgreSQL backend {result['server_peak_kib'] / 1024:.0f} MiB"
                    if result.get("server_peak_kib")
                    else ""
                )
            )
            if args.database == "postgres":
                pg_admin(url, f"DROP DATABASE IF EXISTS {PG_PREFIX}_{side}{run}")
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
    print(f"ours citizens_import:     {fmt_runs(ours)}; {made['rows'] / median(ours):,.0f} rows/s")
    print(f"write lock held (ours):   {fmt_runs(locks)}")
    print(f"CPU of the importing process (ours): {fmt_runs(cpus['ours'])}")
    if args.before:
        before = times["before"]
        print(
            f"before ({args.before}):  {fmt_runs(before)}; {made['rows'] / median(before):,.0f} rows/s"
        )
        print(f"ratio ours / before: {median(ours) / median(before):.2f}x")
        print(
            f"CPU of the importing process (before): {fmt_runs(cpus['before'])}; ours / before"
            f" {median(cpus['ours']) / median(cpus['before']):.2f}x"
        )
    print(f"ratio ours / sqlite3 .import: {median(ours) / median(floor):.2f}x (goal <= 3x)")
    for label, seconds in floors2.items():
        print(
            f"ratio ours / {label} (the database alone writing into our tables): "
            f"{median(ours) / median(seconds):.2f}x"
        )
    if pg_floor:
        print(f"ratio ours / psql \\copy:      {median(ours) / median(pg_floor):.2f}x")
    print(
        f"peak RSS of our import: median {median(rss):.0f} MiB, max {max(rss):.0f} MiB (goal < 1024)"
    )
    if args.database == "postgres":
        pg_admin(url, f"DROP DATABASE IF EXISTS {template}")


if __name__ == "__main__":
    main()
