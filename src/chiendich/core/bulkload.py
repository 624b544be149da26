"""Loading many rows into tables at once, inside the caller's transaction.

`rows_insert` writes rows with the database's bulk path: COPY on PostgreSQL,
`executemany` of one prepared statement on SQLite. `loading` sets the tables up
for a large load, as pg_restore does: their secondary indexes are dropped and
built again once at the end over sorted keys (about half the cost of updating
them row by row) and, on PostgreSQL, their foreign keys are dropped and added
back at the end, which checks every row in one set-based join instead of one
queued trigger and index probe per row (about 4 million for a province's
citizens and events: over a minute).

Everything happens in the caller's transaction (DDL is transactional in SQLite
and PostgreSQL): a failed load gets its indexes and keys back with the rollback,
and no other session ever sees a table without them. Primary keys and UNIQUE
constraints stay, so a duplicate is refused as it is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from django.db import DatabaseError, IntegrityError, connection

SQLITE_CACHE_KIB = 256 * 1024  # page cache for the sorts and B-trees of a large load
PG_MAINTENANCE_MIB = 512  # memory for each index build at the end of a load (SET LOCAL)


def rows_insert(
    cursor: Any,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    frozen: bool = False,
) -> None:
    """Insert `rows` (values in the order of `columns`) into `table` (our own names).

    `frozen` (PostgreSQL; the table must have been emptied by `truncated` in this
    transaction): the rows are written frozen (COPY … FREEZE), as a vacuum would leave
    them, so their first readers and the autovacuum after the load do not write every
    page again."""
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        # The driver's own cursor, so its errors are turned into Django's here.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(copy_statement(table, columns, frozen=frozen)) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


COPY_NULL = "\\N"  # NULL in COPY's text format


def copy_escape(text: str) -> str:
    """`text` as a value of COPY's text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_statement(table: str, columns: Sequence[str], *, frozen: bool = False) -> str:
    """PostgreSQL's COPY of `columns` of `table` from the client (text format)."""
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN{' WITH (FREEZE)' if frozen else ''}"


def truncated(cursor: Any, tables: Sequence[str], *, only_empty: bool = False) -> bool:
    """On PostgreSQL, empty `tables` (all the tables whose keys point at one of them must
    be among them) with TRUNCATE, which lets this transaction load them frozen
    (rows_insert's `frozen`); with `only_empty`, only when they hold no row. Returns
    whether they were. Not on SQLite, and not inside a savepoint, where COPY … FREEZE
    is refused."""
    if connection.vendor != "postgresql" or connection.savepoint_ids:
        return False
    if only_empty:
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608 - our names
            if cursor.fetchone()[0]:
                return False
    cursor.execute(f"TRUNCATE {', '.join(tables)}")
    return True


@contextmanager
def loading(cursor: Any, tables: Sequence[str]) -> Iterator[None]:
    """Drop the secondary indexes (and, on PostgreSQL, the foreign keys) of `tables`,
    and put them back when the block ends without an error (on an error the caller's
    rollback puts them back). Must run inside a transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("loading() drops indexes: it must run inside a transaction")
    cache = None
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA cache_size")
        (cache,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    elif connection.vendor == "postgresql":
        # Sort each index's keys in memory when it is built again (the server's default,
        # 64 MB, spills a province's events to disk), for this transaction only.
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{PG_MAINTENANCE_MIB}MB'")
    try:
        indexes = _indexes_drop(cursor, tables)
        keys = _foreign_keys_drop(cursor, tables)
        yield
        _restore(cursor, indexes + keys)
        if connection.vendor == "postgresql":
            # Statistics now, for the queries that follow in this build (the autovacuum
            # would gather them a minute later, competing with them meanwhile).
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
    finally:
        if cache is not None:
            cursor.execute(f"PRAGMA cache_size = {int(cache)}")


def _restore(cursor: Any, statements: list[str]) -> None:
    if connection.vendor == "postgresql":
        # Run any deferred check now (rows deleted before the load): PostgreSQL will
        # not build an index on a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for sql in statements:
        cursor.execute(sql)
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _indexes_drop(cursor: Any, tables: Sequence[str]) -> list[str]:
    """Drop the secondary indexes of `tables`; return the SQL that builds them again."""
    if connection.vendor == "sqlite":
        marks = ", ".join(["%s"] * len(tables))
        query = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"  # noqa: S608
        cursor.execute(query, list(tables))
    elif connection.vendor == "postgresql":
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(tables)],
        )
    else:
        return []
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in indexes]


def _foreign_keys_drop(cursor: Any, tables: Sequence[str]) -> list[str]:
    """On PostgreSQL, drop the foreign keys of `tables`; return the SQL that adds them
    back (validated then, in one pass)."""
    if connection.vendor != "postgresql":
        return []
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
        [list(tables)],
    )
    keys = cursor.fetchall()
    # A key's triggers live on both tables, and PostgreSQL will not alter a table with
    # pending trigger events (rows written earlier in this transaction): check them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table, name, _ in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}' for table, name, sql in keys]


class InsertKeys:
    """On PostgreSQL, the foreign keys of rows an INSERT writes checked once per distinct
    id after the statement, instead of one trigger per row and key (`inserting`).

    A police list of 300,000 citizens fires about 2.2 million key triggers on its
    households, citizens and events (9.3 s of the database's 19.2 s for those writes,
    BENCHMARKS issue 15 (j)), most of them for the same few hundred units and the
    households and citizens the import has just written. Here the INSERT runs without
    them (SET LOCAL session_replication_role = replica, for that statement only), then
    for each key one statement locks the referenced rows FOR KEY SHARE, as each
    trigger would (no one may delete them or change their id until the commit), one
    per distinct id of the rows inserted, and raises IntegrityError, as the trigger
    does, for an id that is not there. No constraint is dropped and no table locked.

    `for_tables` returns None (use the triggers, as always) off PostgreSQL, outside a
    transaction, when the role may not set session_replication_role, when a table has
    a trigger of its own (it would be skipped too) or a key of more than one column.
    A block that wrote anything but new rows of its table (an update or a delete could
    skip the checks of keys referencing it) raises IntegrityError, so the transaction
    rolls back rather than keep a row unchecked."""

    def __init__(self, keys: dict[str, list[tuple[str, str, str]]], oids: dict[str, int]) -> None:
        self.keys = keys  # table -> [(column, referenced table, referenced column)]
        self.oids = oids  # table -> its oid, as rows_written names it

    @classmethod
    def for_tables(cls, cursor: Any, tables: Sequence[str]) -> InsertKeys | None:
        if connection.vendor != "postgresql" or not connection.in_atomic_block:
            return None
        if not triggers_skippable(cursor):
            return None
        names = list(tables)
        cursor.execute(
            "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal"
            " AND tgrelid = ANY (%s::regclass[])",
            [names],
        )
        if cursor.fetchone()[0]:
            return None
        cursor.execute(
            "SELECT c.conrelid::regclass::text, cardinality(c.conkey),"
            " (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid"
            "  AND attnum = c.conkey[1]),"
            " c.confrelid::regclass::text,"
            " (SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid"
            "  AND attnum = c.confkey[1])"
            " FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY (%s::regclass[])"
            " ORDER BY 1, 3",
            [names],
        )
        keys: dict[str, list[tuple[str, str, str]]] = {t: [] for t in names}
        for table, width, column, target, target_column in cursor.fetchall():
            if width != 1:
                return None
            keys[table.strip('"')].append((column, target.strip('"'), target_column))
        cursor.execute("SELECT t, t::regclass::oid FROM unnest(%s::text[]) AS t", [names])
        return cls(keys, dict(cursor.fetchall()))

    @contextmanager
    def inserting(self, cursor: Any, table: str) -> Iterator[None]:
        """Run the block (INSERTs into `table`, nothing else) without the key triggers,
        then check the keys of the rows it inserted: those above the highest id before
        it (ids come from the table's sequence, so every row this transaction inserts
        has a higher id; rows others committed meanwhile are checked again, harmlessly).
        """
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        (since,) = cursor.fetchone()
        before = rows_written(cursor)
        with triggers_skipped():
            yield
        after = rows_written(cursor)
        oid = self.oids[table]
        other = sorted(
            relid for relid, n in after.items() if n != before.get(relid) and relid != oid
        )
        if other or after.get(oid, (0, 0))[1] != before.get(oid, (0, 0))[1]:
            raise IntegrityError(
                f"InsertKeys: the block wrote more than new rows of {table}; their"
                " foreign keys would go unchecked"
            )
        # Both bounds: the table's statistics predate the rows this transaction wrote
        # (nothing analyzes them before the commit), and with a lower bound alone the
        # planner guesses a third of the table and scans all of it, each chunk longer
        # than the last (a 10-million-row list grew as rows^1.6).
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        (until,) = cursor.fetchone()
        for column, target, target_column in self.keys[table]:
            cursor.execute(
                f"SELECT x.v FROM (SELECT DISTINCT {column} AS v FROM {table}"  # noqa: S608
                f" WHERE id > %s AND id <= %s AND {column} IS NOT NULL ORDER BY 1) AS x"
                f" LEFT JOIN LATERAL (SELECT t.{target_column} FROM ONLY {target} AS t"
                f" WHERE t.{target_column} = x.v FOR KEY SHARE) AS k ON true"
                f" WHERE k.{target_column} IS NULL LIMIT 1",
                [since, until],
            )
            missing = cursor.fetchone()
            if missing is not None:
                raise IntegrityError(
                    f'insert or update on table "{table}" violates foreign key constraint:'
                    f' Key ({column})=({missing[0]}) is not present in table "{target}".'
                )


def triggers_skippable(cursor: Any) -> bool:
    """Whether this role may set session_replication_role (and so skip triggers): a
    superuser, or on PostgreSQL 15+ a role granted SET ON PARAMETER (README)."""
    may = "current_setting('is_superuser') = 'on'"
    if getattr(connection, "pg_version", 0) >= 150000:
        may += " OR has_parameter_privilege('session_replication_role', 'SET')"
    cursor.execute(f"SELECT {may}")
    return bool(cursor.fetchone()[0])


@contextmanager
def triggers_skipped() -> Iterator[None]:
    """The block runs without triggers (SET LOCAL session_replication_role = replica),
    the role set back to the default after it. Only for a role triggers_skippable
    allows, and a caller that checks the foreign keys itself."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        # If the transaction failed, its rollback resets the role.
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def rows_written(cursor: Any) -> dict[int, tuple[int, int]]:
    """Rows this transaction inserted, and updated or deleted, so far, by table oid."""
    cursor.execute(
        "SELECT relid, n_tup_ins, n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        " WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
    )
    return {int(relid): (int(i), int(u)) for relid, i, u in cursor.fetchall()}


SCRATCH_PREFIX = "chiendich-scratch-"


def scratch_folder(kind: str) -> Path:
    """A new folder in the system's temporary folder for one import's scratch files
    (its staging file), removed by the caller when the import ends.

    An import killed before that leaves its folder behind (a staged list can take
    hundreds of MiB): the folder's name holds the process id, and each new one first
    removes the folders of processes no longer running on this machine."""
    root = Path(tempfile.gettempdir())
    for old in root.glob(f"{SCRATCH_PREFIX}*"):
        try:
            pid = int(old.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _running(pid):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-{kind}-", dir=root))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


@contextmanager
def page_cache(kib: int) -> Iterator[None]:
    """On SQLite, a page cache of `kib` KiB for the block (an import's merge and recount:
    the default 2 MiB makes them re-read index pages); the connection's own size after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(kib):d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before):d}")


class ScratchFile:
    """A SQLite scratch file for one import's staged rows, outside any transaction (an
    import stages before its write), attached to the import's connection as `alias`:
    the merge's SQL names its tables as if they were the connection's own and reads
    them in its transaction, and staging takes no lock on the main database.

    Rows go in by ADBC's bulk ingest (adbc-driver-sqlite: a frame's Arrow columns bound
    to one prepared INSERT in C; no pyarrow, polars hands its columns over directly)
    instead of a tuple of Python values per row through the sqlite3 module; ADBC writes
    dates as ISO text, as Django stores them. No journal, no fsync, in a folder of its
    own (`scratch_folder`), removed by `close`."""

    def __init__(self, folder: Path, alias: str) -> None:
        self.folder, self.alias = folder, alias
        self._adbc: Any = None
        self._attached = False

    @classmethod
    def open(
        cls,
        kind: str,
        alias: str,
        ddl: Sequence[str],
        tables: Sequence[str],
        *,
        cache_kib: int | None = None,
    ) -> ScratchFile | None:
        """The scratch file made by `ddl` (creating `tables`), attached as `alias`, with a
        page cache of `cache_kib` on the connection; None when ADBC is not installed."""
        try:
            import adbc_driver_sqlite.dbapi as driver  # noqa: PLC0415 - loaded on use
        except ImportError:  # pragma: no cover - a dependency; callers keep their own path
            return None
        scratch = cls(scratch_folder(kind), alias)
        try:
            path = scratch.folder / "staged.sqlite3"
            scratch._adbc = driver.connect(str(path), autocommit=True)
            with scratch._adbc.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode = OFF")
                cursor.execute("PRAGMA synchronous = OFF")
                for statement in ddl:
                    cursor.execute(statement)
            with connection.cursor() as cursor:
                for table in tables:  # a TEMP table of the same name would shadow ours
                    cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")
                cursor.execute(f"ATTACH DATABASE %s AS {alias}", [str(path)])
                scratch._attached = True
                if cache_kib is not None:
                    cursor.execute(f"PRAGMA {alias}.cache_size = -{int(cache_kib):d}")
        except BaseException:
            scratch.close()
            raise
        return scratch

    def ingest(self, table: str, frame: Any) -> None:
        """Append the rows of `frame` (a polars frame of `table`'s columns) to `table`."""
        with self._adbc.cursor() as cursor:
            cursor.adbc_ingest(table, frame, mode="append")

    def close(self) -> None:
        if self._attached:
            self._attached = False
            # If the connection went, nothing is attached any more.
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute(f"DETACH DATABASE {self.alias}")
        if self._adbc is not None:
            self._adbc.close()
            self._adbc = None
        shutil.rmtree(self.folder, ignore_errors=True)
