"""Stored counts per (receiving unit, day, procedure), and sums of them at read time.

`counts_rebuild` makes the DossierCount rows of some units and days equal to
counts computed from Dossier: each dossier adds to the row of the day it was
received, the day it ended, and the day it became overdue (see
models.DossierCount). The recount is grouped in SQL and only its difference with
the stored rows is written (changed cells updated in place, vanished ones
deleted, new ones inserted); where nothing is stored yet it is inserted
straight. Works the same on SQLite and PostgreSQL, inside the caller's
transaction and through its connection. Told which rows an import wrote and which
versions they replaced, it adds their difference instead where counts are kept
(counts_difference): the dossier import does.

`window_sums` reads the counts back for a window of days, grouped by receiving
unit and by the catalogue flags that decide which indicator counts a dossier
(fees, paper result, police essential service), so a change to the catalogue
needs no rebuild. `open_sums` gives what is still open at the end of a day,
for the on-time rate: counts summed from the first day on record.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from django.db import connection, transaction

from chiendich.core import locks
from chiendich.core.bulkload import loading

from .models import COUNT_FIELDS, Dossier, DossierCount, DossierStatus, Procedure

DOSSIER = Dossier._meta.db_table
COUNT = DossierCount._meta.db_table
PROCEDURE = Procedure._meta.db_table
UNIT_SLICE = 500  # unit ids per IN (...) list
COUNT_KEY = ("unit_id", "day", "procedure_id")
COLUMNS = (*COUNT_KEY, *COUNT_FIELDS)

_ONLINE, _POSTAL = 2, 3
_RESOLVED, _REJECTED = DossierStatus.RESOLVED.value, DossierStatus.REJECTED.value


def _bool(column: str) -> str:
    return f"CASE WHEN {column} THEN 1 ELSE 0 END"


# The counters each kind of day adds to (unit_id, day, procedure_id); others stay 0.
_ZERO = "0"
_RECEIVED_PART = {
    "received": "1",
    "received_online": f"CASE WHEN channel = {_ONLINE} THEN 1 ELSE 0 END",
    "received_postal": f"CASE WHEN channel = {_POSTAL} THEN 1 ELSE 0 END",
    "digitized": _bool("digitized"),
    "digitized_with_result": _bool("digitized AND e_result"),
    "fee_zero": "CASE WHEN fee = 0 THEN 1 ELSE 0 END",
    "paid_online": "CASE WHEN payment IN (1, 2) AND fee > 0 THEN 1 ELSE 0 END",
    "paid_national": "CASE WHEN payment = 1 AND fee > 0 THEN 1 ELSE 0 END",
    "reused": _bool("reused"),
}
_FINISHED_PART = {
    "resolved": f"CASE WHEN status = '{_RESOLVED}' THEN 1 ELSE 0 END",
    "resolved_online": f"CASE WHEN status = '{_RESOLVED}' AND channel = {_ONLINE} THEN 1 ELSE 0 END",
    "resolved_e_result": f"CASE WHEN status = '{_RESOLVED}' AND e_result THEN 1 ELSE 0 END",
    "finished": f"CASE WHEN status IN ('{_RESOLVED}', '{_REJECTED}') THEN 1 ELSE 0 END",
    "finished_on_time": (
        f"CASE WHEN status IN ('{_RESOLVED}', '{_REJECTED}')"
        " AND (due_on IS NULL OR finished_on <= due_on) THEN 1 ELSE 0 END"
    ),
    "closed": "1",
    "closed_late": "CASE WHEN due_on IS NOT NULL AND finished_on > due_on THEN 1 ELSE 0 END",
}
_OVERDUE_PART = {"became_overdue": "1"}


def _slices(ids: Collection[int] | None) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), UNIT_SLICE):
        yield ordered[start : start + UNIT_SLICE]


def _where(
    units: list[int] | None, start: dt.date | None, end: dt.date | None, day: str = "{day}"
) -> tuple[str, list[Any]]:
    sql, params = "", list[Any]()
    if units is not None:
        sql += f" AND unit_id IN ({', '.join(['%s'] * len(units))})"
        params += units
    if start is not None:
        sql += f" AND {day} >= %s"
        params.append(start)
    if end is not None:
        sql += f" AND {day} <= %s"
        params.append(end)
    return sql, params


_PARTS = (
    ("received_on", _RECEIVED_PART),
    ("finished_on", _FINISHED_PART),
    ("overdue_on", _OVERDUE_PART),
)


def _part_insert(
    day_column: str, exprs: dict[str, str], where: str, *, merge: bool, table: str = COUNT
) -> str:
    """INSERT ... SELECT of one kind of day, grouped; `merge`: onto the rows already
    written by the other kinds (a cell's counters of this kind are still 0 there)."""
    mine = [f for f in COUNT_FIELDS if f in exprs]
    others = [f for f in COUNT_FIELDS if f not in exprs]
    sums = ", ".join([*(f"SUM({exprs[f]})" for f in mine), *(_ZERO for _ in others)])
    sql = (
        f"INSERT INTO {table} (unit_id, day, procedure_id, {', '.join([*mine, *others])})"  # noqa: S608
        f" SELECT unit_id, {day_column}, procedure_id, {sums} FROM {DOSSIER}"
        f" WHERE {day_column} IS NOT NULL{where.replace('{day}', day_column)}"
        f" GROUP BY unit_id, {day_column}, procedure_id"
    )
    if merge:
        sql += " ON CONFLICT (unit_id, day, procedure_id) DO UPDATE SET " + ", ".join(
            f"{f} = excluded.{f}" for f in mine
        )
    return sql


def _day_parts(source: str, where: str = "", sign: str = "") -> list[str]:
    """One SELECT per kind of day over `source` (Dossier's columns), each dossier's
    counters of that day multiplied by `sign` ("-" subtracts). Columns: COLUMNS."""
    parts = []
    for day_column, exprs in _PARTS:
        columns = ", ".join(f"{sign}({exprs.get(f, _ZERO)}) AS {f}" for f in COUNT_FIELDS)
        parts.append(
            f"SELECT unit_id, {day_column} AS day, procedure_id, {columns} FROM {source}"  # noqa: S608
            f" WHERE {day_column} IS NOT NULL{where.replace('{day}', day_column)}"
        )
    return parts


def _grouped(parts: list[str]) -> str:
    return (
        f"SELECT unit_id, day, procedure_id, {', '.join(f'SUM({f}) AS {f}' for f in COUNT_FIELDS)}"  # noqa: S608
        f" FROM ({' UNION ALL '.join(parts)}) AS parts GROUP BY unit_id, day, procedure_id"
    )


def _union_select(where: str) -> str:
    """The three kinds of day together, grouped once: what PostgreSQL does best (one
    hash aggregate; merging by ON CONFLICT rewrites rows). Columns: COLUMNS."""
    return _grouped(_day_parts(DOSSIER, where))


def _union_insert(where: str) -> str:
    """One INSERT ... SELECT of `_union_select`."""
    return f"INSERT INTO {COUNT} ({', '.join(COLUMNS)}) {_union_select(where)}"  # noqa: S608


# On SQLite a rebuild that writes its rows straight into the counts (`_rewrite`) drops
# the table's secondary index (by day) and builds it again at the end
# (core.bulkload.loading) when it writes every row or about as many as the table
# holds: a fifth less time for a whole province. A small import's recount keeps it
# (building the index of the whole table again would cost more than the few rows it
# writes). The rows about to be written are estimated by the dossiers received in the
# range (at most one received cell each), counted only as far as needed.
LOADING_SHARE = 0.25
LOADING_PROBE = 20_000  # rows below which a rebuild is small, whatever the table's size


def _large(cursor: Any, where: str, params: list[Any], whole: bool) -> bool:
    """Whether the rows about to be written are a large part of the counts table."""
    if whole:
        return True

    def at_least(table: str, condition: str, values: list[Any], rows: int) -> bool:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE 1 = 1{condition}"  # noqa: S608
            f" LIMIT {int(rows)}) AS probe",
            values,
        )
        return bool(cursor.fetchone()[0] >= rows)

    received = where.replace("{day}", "received_on")
    if not at_least(DOSSIER, received, params, LOADING_PROBE):
        return False
    cursor.execute(f"SELECT COUNT(*) FROM {COUNT}")  # noqa: S608
    stored = cursor.fetchone()[0]
    return at_least(
        DOSSIER, received, params, max(LOADING_PROBE, math.ceil(LOADING_SHARE * stored))
    )


# The recount is written as a difference against what is stored (`_sqlite_diff`,
# `_pg_diff`): cells whose counters changed are updated in place, vanished cells deleted,
# new cells inserted. An update that keeps a row's unit and procedure checks no foreign
# key (PostgreSQL checked each inserted row's two keys at commit: 4.8 s for the 390,000
# rows of 1 M dossiers) and writes no index entry (SQLite; PostgreSQL only when the
# row's page has room, a HOT update), and a recount that changes nothing writes nothing.
# The dashboard's cache key is the counts' MAX(id) (web/stored.py): every recount that
# changes a cell must move it, so when nothing was inserted the row with the highest id
# is written again under a new one (`_max_id_move`).
NEW = "procedures_count_new"  # SQLite: the recount, a temporary table of this connection


@dataclass
class Written:
    """What a rebuild did to the stored rows (counts_rebuild_detail)."""

    cells: int = 0  # rows of the rebuilt units and days after the rebuild
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    def add(self, other: Written) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _stored_any(cursor: Any, where: str, params: list[Any]) -> bool:
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {COUNT} WHERE 1 = 1{where})", params)  # noqa: S608
    return bool(cursor.fetchone()[0])


def _differs(a: str, b: str) -> str:
    return " OR ".join(f"{a}.{f} <> {b}.{f}" for f in COUNT_FIELDS)


def _same_key(a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in COUNT_KEY)


def _sqlite_diff(
    cursor: Any,
    where: str,
    params: list[Any],
    delete_where: str,
    delete_params: list[Any],
    *,
    open_start: bool,
) -> Written:
    """SQLite: the recount into a temporary table keyed like the counts (each kind of
    day grouped on its own and merged there), then the difference written."""
    columns = ", ".join(f"{f} INTEGER NOT NULL" for f in COUNT_FIELDS)
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {NEW} (unit_id INTEGER NOT NULL, day DATE NOT NULL,"
        f" procedure_id INTEGER NOT NULL, {columns}, PRIMARY KEY (unit_id, day, procedure_id))"
        " WITHOUT ROWID"
    )
    cursor.execute(f"DELETE FROM {NEW}")  # noqa: S608
    for n, (day_column, exprs) in enumerate(_PARTS):
        cursor.execute(
            _part_insert(day_column, exprs, where, merge=n > 0, table=f"temp.{NEW}"), params
        )
    out = Written()
    cursor.execute(
        f"UPDATE {COUNT} AS c SET ({', '.join(COUNT_FIELDS)}) ="  # noqa: S608
        f" ({', '.join(f'n.{f}' for f in COUNT_FIELDS)}) FROM temp.{NEW} AS n"
        f" WHERE {_same_key('n', 'c')} AND ({_differs('n', 'c')})"
    )
    out.updated = cursor.rowcount
    # Open at the start (every day up to `end`): one pass over the table rather than
    # a walk of the day index and a look-up of each row (0.3 s instead of 0.8 s for a
    # province's 390,000 rows); a range of days keeps the index.
    scan = delete_where.replace(" day ", " +day ") if open_start else delete_where
    cursor.execute(
        f"DELETE FROM {COUNT} WHERE 1 = 1{scan} AND NOT EXISTS"  # noqa: S608
        f" (SELECT 1 FROM temp.{NEW} AS n WHERE {_same_key('n', COUNT)})",
        delete_params,
    )
    out.deleted = cursor.rowcount
    names = ", ".join(COLUMNS)
    cursor.execute(
        f"INSERT INTO {COUNT} ({names}) SELECT {names} FROM temp.{NEW} AS n"  # noqa: S608
        f" WHERE NOT EXISTS (SELECT 1 FROM {COUNT} AS c WHERE {_same_key('c', 'n')})"
        " ORDER BY unit_id, day, procedure_id"
    )
    out.inserted = cursor.rowcount
    cursor.execute(f"SELECT COUNT(*) FROM temp.{NEW}")  # noqa: S608
    out.cells = cursor.fetchone()[0]
    cursor.execute(f"DELETE FROM {NEW}")  # noqa: S608
    return out


def _pg_diff(
    cursor: Any, where: str, params: list[Any], delete_where: str, delete_params: list[Any]
) -> Written:
    """PostgreSQL: one statement. The recount (one hash aggregate) is matched with the
    stored rows of the range in one full join, which tells each cell's fate; the
    data-modifying CTEs then write only those (they all see the counts as they were
    before the statement, and touch different rows)."""
    names = ", ".join(COLUMNS)
    stored_columns = ", ".join(f"c.{f}" for f in COUNT_FIELDS)
    sql = (
        f"WITH n AS MATERIALIZED ({_union_select(where)}),"  # noqa: S608
        f" c AS (SELECT id, {names} FROM {COUNT} WHERE 1 = 1{delete_where}),"
        " d AS MATERIALIZED (SELECT c.id, n.*, CASE WHEN c.id IS NULL THEN 'i'"
        " WHEN n.unit_id IS NULL THEN 'd'"
        f" WHEN ({', '.join(f'n.{f}' for f in COUNT_FIELDS)}) IS DISTINCT FROM ({stored_columns})"
        f" THEN 'u' END AS fate FROM n FULL JOIN c ON {_same_key('n', 'c')}),"
        f" updated AS (UPDATE {COUNT} AS t SET ({', '.join(COUNT_FIELDS)}) ="
        f" ({', '.join(f'd.{f}' for f in COUNT_FIELDS)}) FROM d"
        " WHERE d.fate = 'u' AND t.id = d.id RETURNING 1),"
        f" deleted AS (DELETE FROM {COUNT} AS t USING d WHERE d.fate = 'd' AND t.id = d.id"
        " RETURNING 1),"
        f" inserted AS (INSERT INTO {COUNT} ({names}) SELECT {names} FROM d WHERE d.fate = 'i'"
        " ORDER BY unit_id, day, procedure_id RETURNING 1)"
        " SELECT (SELECT COUNT(*) FROM n), (SELECT COUNT(*) FROM inserted),"
        " (SELECT COUNT(*) FROM updated), (SELECT COUNT(*) FROM deleted)"
    )
    cursor.execute(sql, [*params * len(_PARTS), *delete_params])
    return Written(*cursor.fetchone())


def _max_id_move(cursor: Any) -> None:
    """Write the row with the highest id again under a new id (see above)."""
    names = ", ".join(COLUMNS)
    cursor.execute(f"SELECT id, {names} FROM {COUNT} ORDER BY id DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    if row is None:
        return
    cursor.execute(f"DELETE FROM {COUNT} WHERE id = %s", [row[0]])  # noqa: S608
    cursor.execute(
        f"INSERT INTO {COUNT} ({names}) VALUES ({', '.join(['%s'] * len(COLUMNS))})",  # noqa: S608
        list(row[1:]),
    )


def counts_lock(*, shared: bool) -> None:
    """Serialize rebuilds (exclusive) against imports that add their difference to the
    counts (shared, counts_difference), until the transaction ends; call it before
    taking any row lock (an import calls it before it writes a dossier).

    Why: a rebuild computes each cell's value from the dossiers it sees when its
    statement starts and writes that value; an import committing its dossiers and its
    difference meanwhile would be overwritten, and the counts would drift from the
    dossiers until the next rebuild of those days. Imports adding differences do not
    block each other (each adds to a cell under its row lock) nor any reader.
    """
    locks.xact_lock(locks.TTHC_COUNTS, shared=shared)


@transaction.atomic
def counts_rebuild(
    *,
    unit_ids: Collection[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    written: str | None = None,
    replaced: str | None = None,
) -> int:
    """Replace the DossierCount rows of `unit_ids` (all units when None) for the days
    `start`..`end` (open-ended when None) with counts computed from Dossier.

    Returns the number of rows of those units and days after the rebuild. Runs inside
    the caller's transaction, through its connection: it sees the dossiers the caller
    wrote and has not committed. See counts_rebuild_detail.

    `written` and `replaced` (row sources with Dossier's columns: a table, or a
    parenthesized SELECT with an alias) say that the only dossiers changed in those
    units and days since the counts were last right are the rows `written`, which
    replaced the versions `replaced` (new dossiers replace none). Where counts are kept
    for `unit_ids` (counts_kept), their difference is added instead of a recount
    (counts_difference) and the number of cells it changed is returned; where it would
    take a counter below zero (counts already off) it raises CountsOff, having written
    nothing: the caller rolls back what it holds and rebuilds (see CountsOff).
    """
    if written is not None and unit_ids and counts_kept(unit_ids):
        # Imported here: counts_difference builds on this module's expressions.
        from .counts_difference import counts_difference_apply

        counts_lock(shared=True)
        applied = counts_difference_apply(new=written, old=replaced)
        if applied.refused:
            raise CountsOff
        return applied.cells
    return counts_rebuild_detail(unit_ids=unit_ids, start=start, end=end).cells


class CountsOff(Exception):
    """A difference would take a stored counter below zero: the counts were already off
    (a bad restore, a hand edit), so only a rebuild of the range can mend them.

    Raised rather than rebuilding in place because a rebuild needs counts_lock
    exclusively, and the import asking holds it shared and holds row locks: upgrading
    there waits on every other import holding it shared, one of which may be waiting
    on those rows, and PostgreSQL aborts one of the two as a deadlock. The caller rolls
    back to a savepoint taken before its shared lock (releasing that lock and its row
    locks) and writes again under the exclusive lock (importing.dossiers._merge)."""


def counts_kept(unit_ids: Collection[int]) -> bool:
    """Whether any count is stored for one of `unit_ids` (else they were never built)."""
    return DossierCount.objects.filter(unit_id__in=unit_ids).exists()


@transaction.atomic
def counts_rebuild_detail(
    *,
    unit_ids: Collection[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Written:
    """counts_rebuild, telling how many rows it inserted, updated and deleted.

    Where no row of those units and days is stored yet, the recount is inserted
    straight into the counts (`_rewrite`). Otherwise it is compared with the stored
    rows and only the difference is written (see `_sqlite_diff`, `_pg_diff`).
    """
    out = Written()
    if unit_ids is not None and not unit_ids:
        return out
    counts_lock(shared=False)
    with connection.cursor() as cursor:
        for units in _slices(unit_ids):
            delete_where, delete_params = _where(units, start, end, day="day")
            where, params = _where(units, start, end)
            whole = units is None and start is None and end is None
            if connection.vendor != "sqlite":
                # A province's ~400,000 cells: the default 4 MB made the hash
                # aggregate spill to disk in ~70 batches. For this transaction only.
                cursor.execute("SET LOCAL work_mem = '256MB'")
            if not _stored_any(cursor, delete_where, delete_params):
                part = _rewrite(cursor, where, params, delete_where, delete_params, whole)
            elif connection.vendor == "sqlite":
                part = _sqlite_diff(
                    cursor, where, params, delete_where, delete_params, open_start=start is None
                )
            else:
                part = _pg_diff(cursor, where, params, delete_where, delete_params)
            out.add(part)
        if out.inserted == 0 and (out.updated or out.deleted):
            _max_id_move(cursor)
    return out


def _rewrite(
    cursor: Any,
    where: str,
    params: list[Any],
    delete_where: str,
    delete_params: list[Any],
    whole: bool,
) -> Written:
    """The recount inserted straight into the counts, where none of its rows is stored.

    On SQLite, each kind of day (received, ended, became overdue) is grouped on its
    own and written onto the same rows: one sort of the three kinds together, 17
    counters wide, took a fifth more time than three narrow sorts and two merges by
    the unique (unit, day, procedure) index. PostgreSQL groups them together.
    """
    with ExitStack() as stack:
        # SQLite only: readers keep the last committed snapshot, schema included.
        # On PostgreSQL dropping an index or a foreign key takes an ACCESS EXCLUSIVE
        # lock on the counts and on the units and procedures tables it refers to:
        # every page would wait for the rebuild's commit.
        if connection.vendor == "sqlite" and _large(cursor, where, params, whole):
            stack.enter_context(loading(cursor, [COUNT]))
        if connection.vendor != "sqlite":
            cursor.execute(_union_insert(where), params * len(_PARTS))
        else:
            for n, (day_column, exprs) in enumerate(_PARTS):
                cursor.execute(_part_insert(day_column, exprs, where, merge=n > 0), params)
    cursor.execute(f"SELECT COUNT(*) FROM {COUNT} WHERE 1 = 1{delete_where}", delete_params)  # noqa: S608
    cells = cursor.fetchone()[0]
    return Written(cells=cells, inserted=cells)


# --- reading --------------------------------------------------------------------------------


class Flags(NamedTuple):
    """The catalogue flags that decide which indicators count a procedure's dossiers."""

    fee_bearing: bool
    paper_result: bool
    police_essential: bool


@dataclass
class Counts:
    """Sums of DossierCount counters (see the model for what each one counts)."""

    received: int = 0
    received_online: int = 0
    received_postal: int = 0
    digitized: int = 0
    digitized_with_result: int = 0
    fee_zero: int = 0
    paid_online: int = 0
    paid_national: int = 0
    reused: int = 0
    resolved: int = 0
    resolved_online: int = 0
    resolved_e_result: int = 0
    finished: int = 0
    finished_on_time: int = 0
    closed: int = 0
    closed_late: int = 0
    became_overdue: int = 0

    def add(self, other: Counts) -> None:
        # Through the instance dicts: a page of 200 units adds ~50,000 times, and
        # getattr/setattr per field were a third of units_kpi.
        mine, theirs = self.__dict__, other.__dict__
        for f in COUNT_FIELDS:
            mine[f] += theirs[f]


assert tuple(f.name for f in fields(Counts)) == COUNT_FIELDS  # noqa: S101 - one list of counters


@dataclass
class OpenCounts:
    """Counters summed from the first day on record to the end of a window: what is
    still open then (received - closed) and, of that, overdue (became overdue -
    closed late)."""

    received: int = 0
    closed: int = 0
    became_overdue: int = 0
    closed_late: int = 0

    @property
    def open(self) -> int:
        return self.received - self.closed

    @property
    def overdue(self) -> int:
        return self.became_overdue - self.closed_late

    def add(self, other: OpenCounts) -> None:
        self.received += other.received
        self.closed += other.closed
        self.became_overdue += other.became_overdue
        self.closed_late += other.closed_late


def _rows(sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(5_000):
            yield from batch


# Reads pass every unit id in one statement: one scan of the window's rows instead of
# one per 500 ids (a province's tree is ~2,000 units with its hamlets and agencies).
# SQLite's limit on parameters is 32,766 since 3.32. PostgreSQL takes one array: a few
# ids as `= ANY` (an index probe per unit), many as a joined `unnest` (a hash or merge
# join over one scan: with `= ANY` of a province's ids it walked the whole unique index
# and fetched every row from the heap at random, 1.2 s instead of 0.4 s).
READ_SLICE = 30_000
PG_JOIN_IDS = 500


class _Units(NamedTuple):
    """How a read keeps the rows of some units: a join and a condition on c.unit_id."""

    join: str
    join_params: list[Any]
    where: str
    where_params: list[Any]


def _read_slices(ids: Collection[int] | None) -> Iterator[_Units]:
    """The units `ids` in as few statements as the database allows (one, except on
    SQLite beyond READ_SLICE ids); no condition when `ids` is None (every unit)."""
    if ids is None:
        yield _Units("", [], "", [])
        return
    ordered = sorted(ids)
    if not ordered:
        return
    if connection.vendor == "postgresql":
        if len(ordered) > PG_JOIN_IDS:
            yield _Units(
                " JOIN unnest(%s::bigint[]) AS w(id) ON w.id = c.unit_id", [ordered], "", []
            )
        else:
            yield _Units("", [], " AND c.unit_id = ANY(%s)", [ordered])
        return
    for start in range(0, len(ordered), READ_SLICE):
        part = ordered[start : start + READ_SLICE]
        yield _Units("", [], f" AND c.unit_id IN ({', '.join(['%s'] * len(part))})", part)


def window_sums(
    start: dt.date, end: dt.date, unit_ids: Collection[int] | None = None
) -> dict[int, dict[Flags, Counts]]:
    """Counts of the days `start`..`end` by receiving unit id and procedure flags."""
    out: dict[int, dict[Flags, Counts]] = {}
    sums = ", ".join(f"SUM(c.{f})" for f in COUNT_FIELDS)
    police = "CASE WHEN p.essential_06 AND p.police_service THEN 1 ELSE 0 END"
    for units in _read_slices(unit_ids):
        for row in _rows(
            f"SELECT c.unit_id, {_bool('p.fee_bearing')}, {_bool('p.paper_result')}, {police},"  # noqa: S608
            f" {sums} FROM {COUNT} c{units.join} JOIN {PROCEDURE} p ON p.id = c.procedure_id"
            f" WHERE c.day >= %s AND c.day <= %s{units.where} GROUP BY 1, 2, 3, 4",
            [*units.join_params, start, end, *units.where_params],
        ):
            flags = Flags(bool(row[1]), bool(row[2]), bool(row[3]))
            out.setdefault(row[0], {})[flags] = Counts(*(int(v or 0) for v in row[4:]))
    return out


def open_sums(end: dt.date, unit_ids: Collection[int] | None = None) -> dict[int, OpenCounts]:
    """Per receiving unit: counters summed over every day up to `end` (see OpenCounts)."""
    out: dict[int, OpenCounts] = {}
    for units in _read_slices(unit_ids):
        for unit_id, *values in _rows(
            "SELECT c.unit_id, SUM(c.received), SUM(c.closed), SUM(c.became_overdue),"  # noqa: S608
            f" SUM(c.closed_late) FROM {COUNT} c{units.join}"
            f" WHERE c.day <= %s{units.where} GROUP BY c.unit_id",
            [*units.join_params, end, *units.where_params],
        ):
            out[unit_id] = OpenCounts(*(int(v or 0) for v in values))
    return out


def touched_days(rows: Iterable[tuple[dt.date | None, ...]]) -> tuple[dt.date, dt.date] | None:
    """The first and last day among the dates of `rows` (None values ignored)."""
    days = [d for row in rows for d in row if d is not None]
    return (min(days), max(days)) if days else None
