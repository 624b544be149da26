"""The reader and the staging table of the set-based imports.

The reader is core.frames.table_frames (one reader for every import); `frames` is
table_frames reading a plain CSV BLOCK_BYTES at a time (this module's BLOCK_BYTES, read
at each call: the dossier import declares `frames` as its reader).

`Stage` is imports.pipeline.Stage (a temporary table the valid rows are staged in
before one set-based merge: COPY on PostgreSQL), except on SQLite outside a transaction
(every real import: the pipeline reads and stages before its transaction). There the
rows go into a staging file of their own by ADBC's bulk ingest: the frame's Arrow
columns are bound to one prepared INSERT in C (adbc-driver-sqlite), instead of being
packed into texts and unpacked by SQL (about 7 µs a dossier row against 1 µs). The file
is attached to the connection (as `chiendich_stage_N`) for the block, so the merge names
the table as before; it is a scratch file (no journal, no fsync) in its own temporary
folder, removed with the block. Staging still takes no lock on the main database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.db import IntegrityError, connection

from chiendich.core.bulkload import (
    ScratchFile,
    rows_written,
    triggers_skippable,
    triggers_skipped,
)
from chiendich.core.bulkload import page_cache as bulk_page_cache
from chiendich.core.frames import (
    BLOCK_BYTES,
    PROBLEM,
    ROW,
    _clean,
    _plain_csv,
    table_frames,
)
from chiendich.core.tabular import Required
from chiendich.imports import pipeline
from chiendich.imports.pipeline import PACK_ROWS

clean_cell = _clean
ATTACHED = "chiendich_stage"  # the staging files' schema names on the connection start so
_ATTACHED_COUNT = itertools.count(1)

__all__ = [
    "ATTACHED",
    "Key",
    "BLOCK_BYTES",
    "PACK_ROWS",
    "PROBLEM",
    "ROW",
    "Stage",
    "_plain_csv",
    "clean_cell",
    "frames",
    "keys_checked_once",
    "page_cache",
]


def frames(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    required: Required,
    *,
    block_bytes: int | None = None,
) -> Iterator[pl.DataFrame]:
    """core.frames.table_frames, a plain CSV read `block_bytes` (BLOCK_BYTES) at a time."""
    return table_frames(path, columns, required, block_bytes=block_bytes or BLOCK_BYTES)


class Stage(pipeline.Stage):
    """imports.pipeline.Stage (same columns, `put`, `rows`, `seq`); on SQLite outside a
    transaction, staged by ADBC's bulk ingest into an attached scratch file (see the
    module). `attached` says which way this block went."""

    def __init__(self, name: str, columns: Sequence[tuple[str, str]]) -> None:
        super().__init__(name, columns)
        self.attached = False
        self.alias = f"{ATTACHED}_{next(_ATTACHED_COUNT)}"  # two stages may be open at once
        self._scratch: ScratchFile | None = None
        self._folder: Path | None = None  # the scratch file's folder, while attached

    def __enter__(self) -> Stage:
        if not self.postgres and not connection.in_atomic_block:
            # PostgreSQL: COPY already. In a transaction SQLite cannot ATTACH a file.
            for _, kind in self.columns:
                self._kind(kind)  # refuses a type Stage does not take, as the base does
            self._scratch = ScratchFile.open(
                "stage",
                self.alias,
                [f"CREATE TABLE {self.name} (seq INTEGER PRIMARY KEY, {', '.join(self.names)})"],
                [self.name],
            )
        if self._scratch is None:
            super().__enter__()
            return self
        self.attached, self._folder = True, self._scratch.folder
        return self

    def __exit__(self, *exc: object) -> None:
        if self._scratch is None:
            super().__exit__(*exc)
            return
        self._scratch.close()
        self._scratch, self._folder, self.attached = None, None, False

    def put(self, frame: pl.DataFrame) -> None:
        if not self.attached:
            super().put(frame)
            return
        if not frame.height:
            return
        self.rows += frame.height
        # As Django stores them on SQLite: dates as ISO text, flags as 0/1.
        out: list[pl.Expr] = []
        for name, kind in self.columns:
            column = pl.col(name)
            match self._kind(kind):
                case "int":
                    out.append(column.cast(pl.Int64))
                case "date":
                    out.append(column.dt.to_string("%Y-%m-%d"))
                case "boolean":
                    out.append(column.cast(pl.Int64))
                case _:
                    out.append(column.cast(pl.String))
        assert self._scratch is not None  # noqa: S101 - attached
        self._scratch.ingest(self.name, frame.select(out))


SQLITE_CACHE_KIB = 128 * 1024  # SQLite's page cache while an import merges and recounts


def page_cache(kib: int = SQLITE_CACHE_KIB) -> AbstractContextManager[None]:
    """core.bulkload.page_cache, of SQLITE_CACHE_KIB unless told."""
    return bulk_page_cache(kib)


# --- foreign keys checked once per key, not once per row (PostgreSQL) ---------------------


@dataclass(frozen=True)
class Key:
    """A foreign key a merge writes: `table`.`column` references `target`.id. `source`
    selects the ids written in that column (from the staging table); "" when they are
    taken from rows whose keys are already checked (counts grouped from dossiers)."""

    table: str
    column: str
    target: str
    source: str = ""


@contextmanager
def keys_checked_once(keys: Sequence[Key]) -> Iterator[bool]:
    """On PostgreSQL, inside a transaction, when the role may set
    session_replication_role and `keys` are every foreign key of the tables written
    (which have no trigger of their own): check the keys once per distinct id instead of
    once per row, and yield True. Otherwise (another role, a trigger of their own, a
    foreign key not declared, or one referencing a table written) do nothing and yield
    False: the triggers check every row at COMMIT, as always.

    Each foreign key is a deferred trigger per inserted row and key, all run at COMMIT
    (700,000 dossiers: 2.1 million lookups, about 60% of the import). Here the rows
    those triggers would look up are locked FOR KEY SHARE first, as each trigger does
    (no one may delete them or change their id until the commit), each id written is
    checked to exist by one join, raising IntegrityError like the trigger, and only then
    are the triggers skipped for the block (SET LOCAL session_replication_role =
    replica, back to the default after it). No constraint is dropped and no table
    locked: pages keep reading and writing while an import merges. A block that wrote a
    table not declared that has a foreign key or a trigger raises IntegrityError (so the
    transaction rolls back) rather than leave its keys unchecked."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block or not keys:
        yield False
        return
    tables = sorted({k.table for k in keys})
    with connection.cursor() as cursor:
        allowed = triggers_skippable(cursor)
        cursor.execute(
            "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text"
            " FROM pg_constraint c JOIN pg_attribute a"
            " ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.contype = 'f' AND c.conrelid = ANY (%s::regclass[])",
            [tables],
        )
        found = {(t.strip('"'), c, r.strip('"')) for t, c, r in cursor.fetchall()}
        cursor.execute(
            "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal"
            " AND tgrelid = ANY (%s::regclass[])",
            [tables],
        )
        own_triggers = cursor.fetchone()[0]
        # A key referencing a table written would lose its check on that table's deletes.
        cursor.execute(
            "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f'"
            " AND confrelid = ANY (%s::regclass[])",
            [tables],
        )
        referenced = cursor.fetchone()[0]
        declared = {(k.table, k.column, k.target) for k in keys}
        if not allowed or own_triggers or referenced or found != declared:
            yield False
            return
        for key in keys:
            if not key.source:
                continue
            cursor.execute(
                f"SELECT 1 FROM {key.target} WHERE id IN ({key.source})"  # noqa: S608
                " ORDER BY id FOR KEY SHARE"
            )
            cursor.execute(
                f"SELECT x.id FROM ({key.source}) AS x (id) WHERE x.id IS NOT NULL"  # noqa: S608
                f" AND NOT EXISTS (SELECT 1 FROM {key.target} AS t WHERE t.id = x.id) LIMIT 1"
            )
            missing = cursor.fetchone()
            if missing is not None:
                raise IntegrityError(
                    f'insert or update on table "{key.table}" violates foreign key constraint:'
                    f' Key ({key.column})=({missing[0]}) is not present in table "{key.target}".'
                )
        written = {r: sum(n) for r, n in rows_written(cursor).items()}
    with triggers_skipped():
        yield True
        # Whatever else the block wrote (a recount writing a new table, some day) went
        # unchecked too: refuse it unless that table has no key and no trigger to skip.
        with connection.cursor() as cursor:
            after = {r: sum(n) for r, n in rows_written(cursor).items()}
            grown = [r for r, n in after.items() if n > written.get(r, 0)]
            cursor.execute(
                "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = ANY (%s::oid[])"
                " AND (EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contype = 'f'"
                " AND (k.conrelid = c.oid OR k.confrelid = c.oid))"
                " OR EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid"
                " AND NOT t.tgisinternal))",
                [grown],
            )
            unchecked = sorted({t.strip('"') for (t,) in cursor.fetchall()} - set(tables))
        if unchecked:
            raise IntegrityError(
                f"keys_checked_once: {', '.join(unchecked)} written without its foreign-key"
                " checks; declare its keys"
            )
