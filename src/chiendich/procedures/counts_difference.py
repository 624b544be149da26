"""An import's own difference added to the stored counts, instead of a recount.

A dossier import writes new dossiers and new versions of known ones. The counts it
changes are exactly those of the rows it writes minus those of the old versions it
replaces, grouped by (unit, day, procedure) with the recount's own expressions
(counts._day_parts): `counts_difference_apply` adds that difference to DossierCount,
inserting the cells that were missing and deleting those whose counters all reach 0,
so the rows are those counts_rebuild would leave. It reads only the import's rows,
where a recount of the touched units and days reads most of the table when an export
holds a few dossiers received months ago (BENCHMARKS, issue 15).

It holds only while the stored counts equal a recount: counts.counts_rebuild, given the
rows written and replaced, calls it where counts are kept for the units, and rebuilds
after all when a difference would take a counter below zero (counts already off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from .counts import (
    COLUMNS,
    COUNT,
    COUNT_FIELDS,
    COUNT_KEY,
    _day_parts,
    _grouped,
    _max_id_move,
    _same_key,
)

DIFF = "procedures_count_difference"  # the difference, a temporary table of this connection


@dataclass
class Applied:
    """What counts_difference_apply did: `cells` changed (inserted or updated; some
    updated ones then deleted); `refused` when the difference did not fit the stored
    counts (nothing written)."""

    cells: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    refused: bool = False


def counts_difference_apply(*, new: str, old: str | None) -> Applied:
    """Add to DossierCount the counts of the rows `new` minus those of the rows `old`
    (row sources with Dossier's columns: a table name or a parenthesized SELECT with an
    alias; None: none), in the caller's transaction, under counts.counts_lock(shared=True).
    `old` must be the versions the counts hold, read under a lock that keeps anyone
    else from changing those dossiers before the caller commits (the dossier import
    locks them FOR UPDATE and copies them before its merge).

    The stored cells are added to (`SET x = x + d`: on PostgreSQL each row as it is
    when the update reaches it, so another import adding to the same cell meanwhile is
    not lost), the missing ones inserted, then the cells of the difference whose
    counters are all 0 deleted. A
    difference that only updated or deleted rows writes the highest row again under a
    new id, as counts_rebuild_detail does: the counts' MAX(id) is the dashboard's cache
    key (web/stored.py).
    """
    out = Applied()
    with connection.cursor() as cursor:
        _fill(cursor, new, old)
        cursor.execute(f"SELECT COUNT(*) FROM {DIFF}")  # noqa: S608
        out.cells = cursor.fetchone()[0]
        if not out.cells:
            return out
        below = " OR ".join(f"COALESCE(c.{f}, 0) + n.{f} < 0" for f in COUNT_FIELDS)
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DIFF} AS n LEFT JOIN {COUNT} AS c"  # noqa: S608
            f" ON {_same_key('c', 'n')} WHERE {below})"
        )
        if cursor.fetchone()[0]:
            out.refused = True
            cursor.execute(f"DELETE FROM {DIFF}")  # noqa: S608
            return out
        if connection.vendor == "postgresql":
            # The cells in one order, as every import locks them: no deadlock between two.
            cursor.execute(
                f"SELECT 1 FROM {COUNT} AS c WHERE EXISTS"  # noqa: S608
                f" (SELECT 1 FROM {DIFF} AS n WHERE {_same_key('n', 'c')})"
                " ORDER BY unit_id, day, procedure_id FOR UPDATE"
            )
        cursor.execute(
            f"UPDATE {COUNT} SET ({', '.join(COUNT_FIELDS)}) ="  # noqa: S608
            f" ({', '.join(f'{COUNT}.{f} + n.{f}' for f in COUNT_FIELDS)})"
            f" FROM {DIFF} AS n WHERE {_same_key('n', COUNT)}"
        )
        out.updated = cursor.rowcount
        # The cells still missing (a later statement: on PostgreSQL it sees a cell another
        # import deleted meanwhile, which the update skipped, as missing). Their
        # difference adds only (a cell missing has nothing to subtract from), so the
        # constraints keeping counters at or above 0, checked before a conflict is, pass;
        # a cell another import inserted meanwhile is added to.
        names = ", ".join(COLUMNS)
        insert = (
            f"INSERT INTO {COUNT} ({names}) SELECT {names} FROM {DIFF} AS n WHERE NOT EXISTS"  # noqa: S608
            f" (SELECT 1 FROM {COUNT} AS c WHERE {_same_key('c', 'n')})"
            " ORDER BY unit_id, day, procedure_id"
            f" ON CONFLICT ({', '.join(COUNT_KEY)}) DO UPDATE SET "
            + ", ".join(f"{f} = {COUNT}.{f} + excluded.{f}" for f in COUNT_FIELDS)
        )
        if connection.vendor == "postgresql":
            # xmax is 0 on a row version this statement inserted, set on one it updated.
            cursor.execute(
                f"WITH w AS ({insert} RETURNING xmax = 0 AS fresh)"  # noqa: S608
                " SELECT COUNT(*) FILTER (WHERE fresh), COUNT(*) FILTER (WHERE NOT fresh) FROM w"
            )
            inserted, added = cursor.fetchone()
            out.inserted, out.updated = inserted, out.updated + added
        else:
            cursor.execute(insert)  # SQLite's writers are serialized: no conflict here
            out.inserted = cursor.rowcount
        zero = " AND ".join(f"{COUNT}.{f} = 0" for f in COUNT_FIELDS)
        cursor.execute(
            f"DELETE FROM {COUNT} WHERE {zero} AND EXISTS"  # noqa: S608
            f" (SELECT 1 FROM {DIFF} AS n WHERE {_same_key('n', COUNT)})"
        )
        out.deleted = cursor.rowcount
        if out.inserted == 0 and (out.updated or out.deleted):
            _max_id_move(cursor)
        cursor.execute(f"DELETE FROM {DIFF}")  # noqa: S608
    return out


def _fill(cursor: Any, new: str, old: str | None) -> None:
    """The difference into DIFF, keyed like the counts; cells netting to 0 left out."""
    columns = ", ".join(f"{f} BIGINT NOT NULL" for f in COUNT_FIELDS)
    without_rowid = " WITHOUT ROWID" if connection.vendor == "sqlite" else ""
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {DIFF} (unit_id BIGINT NOT NULL, day DATE NOT NULL,"
        f" procedure_id BIGINT NOT NULL, {columns}, PRIMARY KEY (unit_id, day, procedure_id))"
        f"{without_rowid}"
    )
    cursor.execute(f"DELETE FROM {DIFF}")  # noqa: S608
    parts = _day_parts(new) + (_day_parts(old, sign="-") if old is not None else [])
    grouped = _grouped(parts)
    nonzero = " OR ".join(f"SUM({f}) <> 0" for f in COUNT_FIELDS)
    cursor.execute(f"INSERT INTO {DIFF} ({', '.join(COLUMNS)}) {grouped} HAVING {nonzero}")  # noqa: S608
