"""The second floor of the import benches: the database alone doing our writes.

The issue's floor (sqlite3 `.import` / psql `\\copy` of the file into a plain table)
says how fast the rows can be read into a database at all. This one says how fast
the database itself writes the same valid rows into our real tables, as the
migrations make them (indexes, unique constraints, foreign keys checked), with no
code of ours in between: the checked values (ids, ISO dates, codes) are written to a
CSV before timing, then the timed part is the database's own `.import` / `\\copy` of
that file into a temporary staging table and one `INSERT ... SELECT` into the real
table in a transaction, committed. SQLite runs with the connection's settings
(settings.py: WAL, synchronous NORMAL, foreign keys on) and the import's page cache;
each run starts from a fresh copy of the same database our import starts from.
"""

# ruff: noqa: S603, S607, S608 - benchmarks run the sqlite3 shell and psql by design

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from _common import SQLITE_SHELL, pg_admin, pg_url, sqlite_copy, timed

PSQL = shutil.which("psql") or "/usr/bin/psql"
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
    " PRAGMA mmap_size=2147483648; PRAGMA cache_size=-131072;"
)


def sqlite_floor(
    base: Path,
    work: Path,
    staged: Path,
    columns: Sequence[str],
    before: Sequence[str],
    merge: str,
    runs: int,
) -> list[float]:
    """Seconds of each run: `.import` of `staged` (a CSV with a header row) into a
    temporary table `stage` of `columns`, then, in one transaction, `before` (e.g. the
    batch row) and `merge` (an INSERT ... SELECT FROM stage ORDER BY rowid), COMMIT."""
    seconds = []
    for run in range(runs):
        folder = work / f"dbfloor-{run}"
        shutil.rmtree(folder, ignore_errors=True)
        db = sqlite_copy(base, folder)
        script = "\n".join(
            [
                SQLITE_PRAGMAS,
                f"CREATE TEMP TABLE stage ({', '.join(columns)});",
                f".import --csv --skip 1 --schema temp {staged} stage",
                "BEGIN IMMEDIATE;",
                *(f"{s};" for s in before),
                f"{merge};",
                "COMMIT;",
            ]
        )
        seconds.append(
            timed(
                [SQLITE_SHELL, "-bail", str(db)], input=script.encode(), stdout=subprocess.DEVNULL
            )
        )
        shutil.rmtree(folder, ignore_errors=True)
    return seconds


def postgres_floor(
    url: str,
    template: str,
    name: str,
    staged: Path,
    columns: Sequence[str],
    before: Sequence[str],
    merge: str,
    runs: int,
    keys: Sequence[tuple[str, str]] = (),
) -> list[float]:
    """The same on PostgreSQL: a fresh database from `template` each run (not timed),
    then psql: BEGIN, a temporary table of `columns` (name and type), `\\copy` of
    `staged`, `before`, `merge` (ORDER BY seq), COMMIT (the deferred foreign-key
    checks run here, one per row and key, as in any import through the real schema).

    `keys` ((staged column, referenced table)): instead, the keys checked once per
    distinct id as our import does (procedures.importing.bulk.keys_checked_once): the
    referenced rows locked FOR KEY SHARE, a join finding any missing id, and the merge
    run with session_replication_role = replica."""
    seconds = []
    target = pg_url(url, name)
    for _ in range(runs):
        pg_admin(
            url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {template}"
        )
        names = ", ".join(c.split()[0] for c in columns)
        script = "\n".join(
            [
                "\\set ON_ERROR_STOP on",
                "BEGIN;",
                f"CREATE TEMP TABLE stage (seq bigserial, {', '.join(columns)});",
                f"\\copy stage ({names}) FROM '{staged}' CSV HEADER",
                *(f"{s};" for s in before),
                *(
                    f"SELECT 1 FROM {table} WHERE id IN (SELECT {column} FROM stage)"
                    f" ORDER BY id FOR KEY SHARE;"
                    for column, table in keys
                ),
                *(
                    f"SELECT COUNT(*) FROM (SELECT DISTINCT {column} AS id FROM stage) x"
                    f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = x.id);"
                    for column, table in keys
                ),
                *(["SET LOCAL session_replication_role = replica;"] if keys else []),
                f"{merge};",
                *(["SET LOCAL session_replication_role = DEFAULT;"] if keys else []),
                "COMMIT;",
            ]
        )
        seconds.append(
            timed([PSQL, "-q", target], input=script.encode(), stdout=subprocess.DEVNULL)
        )
    pg_admin(url, f"DROP DATABASE IF EXISTS {name}")
    return seconds


def before_source(before: str, work: Path) -> Path:
    """--before: a folder holding an older `src` tree (as before), or a git revision of
    this repository, extracted once into `work` (`git archive REV src`)."""
    folder = Path(before)
    if folder.is_dir():
        return folder.resolve()
    repo = Path(__file__).resolve().parent.parent
    rev = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", before],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = work / f"before-{rev}"
    if not (target / "src").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", rev, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return (target / "src").resolve()
