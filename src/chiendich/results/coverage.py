"""How many resolved dossiers have their result in the store (R6, Plan 383 II.1.đ).

Read by procedures.selectors next to the stored daily counts: the denominator
(dossiers resolved in the window) is DossierCount.resolved; the numerator is
counted here, by joining stored results to dossiers on the dossier code the
result names ("Mã hồ sơ"), grouped like the other counts by receiving unit and
procedure flags. A dossier with several results (or versions) counts once. A
revoked result still counts: the dossier's result was digitized and stored,
which is what II.1.đ measures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db import connection

from chiendich.procedures.counts import Flags
from chiendich.procedures.models import Dossier, DossierStatus, Procedure

from .models import Result

UNIT_SLICE = 500


def stored_result_sums(
    start: dt.date, end: dt.date, unit_ids: Collection[int] | None = None
) -> dict[int, dict[Flags, int]]:
    """Per receiving unit and procedure flags: dossiers resolved on a day of
    `start`..`end` whose result is in the store."""
    dossier, result, procedure = (
        Dossier._meta.db_table,
        Result._meta.db_table,
        Procedure._meta.db_table,
    )
    police = "CASE WHEN p.essential_06 AND p.police_service THEN 1 ELSE 0 END"
    slices: list[list[int] | None] = [None]
    if unit_ids is not None:
        ordered = sorted(unit_ids)
        slices = [ordered[i : i + UNIT_SLICE] for i in range(0, len(ordered), UNIT_SLICE)]
    out: dict[int, dict[Flags, int]] = {}
    with connection.cursor() as cursor:
        for units in slices:
            where = ""
            params: list[Any] = [DossierStatus.RESOLVED.value, start, end]
            if units is not None:
                where = f" AND d.unit_id IN ({', '.join(['%s'] * len(units))})"
                params += units
            # Driven from the results that name a dossier (few next to the dossiers: a
            # scan of 700,000 resolved dossiers per read made every page slow).
            cursor.execute(
                "SELECT d.unit_id,"  # noqa: S608 - our own table names; values are parameters
                " CASE WHEN p.fee_bearing THEN 1 ELSE 0 END,"
                f" CASE WHEN p.paper_result THEN 1 ELSE 0 END, {police}, COUNT(DISTINCT d.id)"
                # CROSS JOIN keeps SQLite's planner on this order (PostgreSQL plans freely).
                f" FROM {result} r CROSS JOIN {dossier} d"
                f" JOIN {procedure} p ON p.id = d.procedure_id"
                " WHERE d.code = r.source_dossier_code AND r.source_dossier_code <> ''"
                " AND d.status = %s AND d.finished_on >= %s AND d.finished_on <= %s"
                f"{where} GROUP BY 1, 2, 3, 4",
                params,
            )
            for unit_id, fee, paper, police_flag, count in cursor.fetchall():
                flags = Flags(bool(fee), bool(paper), bool(police_flag))
                out.setdefault(unit_id, {})[flags] = int(count)
    return out
