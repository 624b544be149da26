"""Every TTHC figure of units_kpi equals a dossier-by-dossier count, on random data.

The reference below reads Dossier rows one by one in Python, with the formulas of
indicators.py written over a dossier instead of stored counts (as bench/bench_kpi.py
writes them for DuckDB). It checks the paths counts.py takes for speed: reads of
many units in one statement (or in slices), a rebuild that drops the table's day
index while it writes, and the sums the nine indicators share.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from chiendich.plans.models import Plan
from chiendich.procedures import counts
from chiendich.procedures.counts import counts_rebuild
from chiendich.procedures.models import Dossier, DossierCount, DossierStatus, Procedure
from chiendich.procedures.selectors import units_kpi
from chiendich.units.models import Kind, Level, Unit

from .conftest import AGENCY, DISTRICT, PHUONG, THI_TRAN, XA, XA_2
from .test_counts import as_expected, recount, stored

pytestmark = pytest.mark.django_db

RESOLVED, REJECTED = DossierStatus.RESOLVED.value, DossierStatus.REJECTED.value
OPEN_STATUSES = (DossierStatus.PROCESSING.value, DossierStatus.SUPPLEMENT.value)

Row = dict[str, Any]  # a dossier with its procedure's flags
Test = Callable[[Row, dt.date, dt.date], bool]


def _in(day: dt.date | None, start: dt.date, end: dt.date) -> bool:
    return day is not None and start <= day <= end


def rec(d: Row, s: dt.date, e: dt.date) -> bool:
    return _in(d["received_on"], s, e)


def resolved(d: Row, s: dt.date, e: dt.date) -> bool:
    return _in(d["finished_on"], s, e) and d["status"] == RESOLVED


def finished(d: Row, s: dt.date, e: dt.date) -> bool:
    return _in(d["finished_on"], s, e) and d["status"] in (RESOLVED, REJECTED)


def still_open(d: Row, s: dt.date, e: dt.date) -> bool:
    return d["received_on"] <= e and (d["finished_on"] is None or d["finished_on"] > e)


def in_time(d: Row) -> bool:
    return d["due_on"] is None or d["finished_on"] <= d["due_on"]


def payable(d: Row, s: dt.date, e: dt.date) -> bool:
    return rec(d, s, e) and d["fee_bearing"] and d["fee"] > 0


def both(first: Test, second: Callable[[Row], bool]) -> Test:
    return lambda d, s, e: first(d, s, e) and second(d)


# (indicator, variant) -> (numerator, denominator), dossier by dossier.
FORMULAS: dict[tuple[str, str], tuple[Test, Test]] = {
    ("online_dossier_rate", "received"): (both(rec, lambda d: d["channel"] == 2), rec),
    ("online_dossier_rate", "resolved"): (both(resolved, lambda d: d["channel"] == 2), resolved),
    ("online_dossier_rate_police_essential", "received"): (
        both(rec, lambda d: d["police"] and d["channel"] == 2),
        both(rec, lambda d: d["police"]),
    ),
    ("online_dossier_rate_police_essential", "resolved"): (
        both(resolved, lambda d: d["police"] and d["channel"] == 2),
        both(resolved, lambda d: d["police"]),
    ),
    ("digitization_rate", "components_and_result"): (
        both(rec, lambda d: d["digitized"] and (not d["paper_result"] or d["e_result"])),
        rec,
    ),
    ("digitization_rate", "components_only"): (both(rec, lambda d: d["digitized"]), rec),
    ("electronic_result_rate", "standard"): (
        both(resolved, lambda d: d["paper_result"] and d["e_result"]),
        both(resolved, lambda d: d["paper_result"]),
    ),
    ("data_reuse_rate", "standard"): (both(rec, lambda d: d["reused"]), rec),
    ("online_payment_rate", "any_gateway"): (
        both(payable, lambda d: d["payment"] in (1, 2)),
        payable,
    ),
    ("online_payment_rate", "national_portal"): (
        both(payable, lambda d: d["payment"] == 1),
        payable,
    ),
    ("on_time_rate", "processed"): (
        lambda d, s, e: (
            (finished(d, s, e) and in_time(d))
            or (still_open(d, s, e) and (d["due_on"] is None or d["due_on"] >= e))
        ),
        lambda d, s, e: finished(d, s, e) or still_open(d, s, e),
    ),
    ("on_time_rate", "finished"): (both(finished, in_time), finished),
    ("result_reuse_rate", "all_resolved"): (both(resolved, lambda d: d["e_result"]), resolved),
    ("result_reuse_rate", "paper_result_only"): (
        both(resolved, lambda d: d["paper_result"] and d["e_result"]),
        both(resolved, lambda d: d["paper_result"]),
    ),
    # No results store in these tests: nothing stored, 0 of the resolved dossiers.
    ("result_store_coverage", "all_resolved"): (lambda d, s, e: False, resolved),
    ("result_store_coverage", "paper_result_only"): (
        lambda d, s, e: False,
        both(resolved, lambda d: d["paper_result"]),
    ),
}


def simulate(rng: random.Random, units: list[Unit], procedures: list[Procedure], n: int) -> None:
    """`n` dossiers received from 01/08 to 15/11/2023, some still open, some late."""
    rows = []
    statuses = [s.value for s in DossierStatus]
    for i in range(n):
        received = dt.date(2023, 8, 1) + dt.timedelta(days=rng.randint(0, 106))
        due = rng.choice([None, received + dt.timedelta(days=rng.randint(0, 20))])
        status = rng.choice(statuses)
        done = None if status in OPEN_STATUSES else received + dt.timedelta(days=rng.randint(0, 30))
        late = due is not None and (done is None or done > due)
        rows.append(
            Dossier(
                code=f"R{i}-{rng.random():.10f}",
                procedure=rng.choice(procedures),
                unit=rng.choice(units),
                channel=rng.choice([1, 2, 3]),
                received_on=received,
                due_on=due,
                finished_on=done,
                status=status,
                digitized=rng.random() < 0.6,
                e_result=rng.random() < 0.5,
                fee=rng.choice([0, 0, 30_000]),
                payment=rng.choice([0, 1, 2]),
                reused=rng.random() < 0.3,
                overdue_on=due + dt.timedelta(days=1) if late and due else None,
            )
        )
    Dossier.objects.bulk_create(rows)


def bucket_of(unit: Unit) -> tuple[str, str]:
    """The receiving unit's level and, for a commune-level unit, its commune's type."""
    if unit.level != Level.COMMUNE:
        return (unit.level, "")
    if unit.kind == Kind.TERRITORIAL:
        return (unit.level, unit.type)
    parent = Unit.objects.get(pk=unit.parent_id)
    return (unit.level, parent.type)


def reference(
    unit: Unit, key: str, variant: str, start: dt.date, end: dt.date
) -> dict[tuple[str, str], tuple[int, int]]:
    """(numerator, denominator) by bucket of the dossiers received in `unit`'s subtree."""
    numerator, denominator = FORMULAS[(key, variant)]
    flags = {
        p.pk: {
            "fee_bearing": p.fee_bearing,
            "paper_result": p.paper_result,
            "police": p.essential_06 and p.police_service,
        }
        for p in Procedure.objects.all()
    }
    below = {u.pk: bucket_of(u) for u in Unit.objects.filter(path__startswith=unit.path)}
    out: dict[tuple[str, str], list[int]] = {}
    for d in Dossier.objects.filter(unit_id__in=below).values():
        row = {**d, **flags[d["procedure_id"]]}
        pair = out.setdefault(below[d["unit_id"]], [0, 0])
        pair[0] += numerator(row, start, end)
        pair[1] += denominator(row, start, end)
    return {b: (n, m) for b, (n, m) in out.items() if (n, m) != (0, 0)}


def check(units: list[Unit], start: dt.date, end: dt.date, plan: Plan) -> int:
    """Compare every figure of units_kpi with the reference; return how many were checked."""
    checked = 0
    for kpi in units_kpi(units, start, end, plan=plan):
        for result in kpi.indicators:
            assert result.date_to == end
            buckets = reference(kpi.unit, result.key, result.variant, result.date_from, end)

            def total(pairs: list[tuple[int, int]]) -> tuple[int, int]:
                return sum(p[0] for p in pairs), sum(p[1] for p in pairs)

            where = f"{kpi.unit.code} {result.key} {result.date_from}..{end}"
            headline = total([p for b, p in buckets.items() if b[0] in result.levels])
            assert (result.numerator, result.denominator) == headline, where
            area = (result.area.numerator, result.area.denominator)
            assert area == total(list(buckets.values())), where
            rows = {
                (r.level, r.unit_type or ""): (r.numerator, r.denominator)
                for r in result.breakdown
                if (r.numerator, r.denominator) != (0, 0)
            }
            assert rows == buckets, where
            checked += 1
    return checked


WINDOWS = [
    (dt.date(2023, 9, 1), dt.date(2023, 10, 30)),  # the peak
    (dt.date(2023, 8, 15), dt.date(2023, 9, 20)),  # starts before II.1.đ's 01/09
    (dt.date(2023, 10, 3), dt.date(2023, 10, 3)),  # one day
    (dt.date(2023, 7, 1), dt.date(2023, 12, 31)),  # every dossier
]


@pytest.fixture
def dossiers(
    plan_383: Plan, catalogue: None, agencies: dict[str, Unit], request: Any
) -> list[Unit]:
    """Random dossiers received by communes of each type, a district, a province
    agency and the police at three levels; the units asked about."""
    receiving = list(
        Unit.objects.filter(code__in=[XA, XA_2, THI_TRAN, PHUONG, AGENCY, DISTRICT, *agencies])
    )
    simulate(random.Random(request.param), receiving, list(Procedure.objects.all()), 700)
    counts_rebuild()
    codes = ["82", DISTRICT, XA, PHUONG, AGENCY, f"{XA}-CA", "815"]
    return list(Unit.objects.filter(code__in=codes).order_by("path"))


@pytest.mark.parametrize("dossiers", [11, 383], indirect=True)
def test_units_kpi_equals_a_dossier_by_dossier_count(dossiers: list[Unit], plan_383: Plan) -> None:
    for start, end in WINDOWS:
        assert check(dossiers, start, end, plan_383) == len(dossiers) * 9


@pytest.mark.parametrize("dossiers", [29], indirect=True)
def test_reads_in_slices_and_rebuilds_that_drop_the_day_index_give_the_same_figures(
    dossiers: list[Unit], plan_383: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {
        k.unit.code: [i.as_dict() for i in k.indicators]
        for k in units_kpi(dossiers, *WINDOWS[0], plan=plan_383)
    }
    monkeypatch.setattr(counts, "READ_SLICE", 3)  # SQLite: many IN (...) statements
    monkeypatch.setattr(counts, "PG_JOIN_IDS", 0)  # PostgreSQL: every read joins unnest
    after = {
        k.unit.code: [i.as_dict() for i in k.indicators]
        for k in units_kpi(dossiers, *WINDOWS[0], plan=plan_383)
    }
    assert after == before

    # A recount of some units and days, large enough to drop and rebuild the day index.
    monkeypatch.setattr(counts, "LOADING_PROBE", 1)
    monkeypatch.setattr(counts, "LOADING_SHARE", 0.0)
    rng = random.Random(7)
    receiving = list(Unit.objects.filter(code__in=[XA, PHUONG, AGENCY]))
    simulate(rng, receiving, list(Procedure.objects.all()), 150)
    chosen = {receiving[0].pk, receiving[1].pk}
    start, end = dt.date(2023, 9, 10), dt.date(2023, 10, 20)
    earlier = stored()
    counts_rebuild(unit_ids=chosen, start=start, end=end)
    kept = {
        cell: c
        for cell, c in earlier.items()
        if not (cell[0] in chosen and start <= cell[1] <= end)
    }
    assert stored() == {**kept, **as_expected(recount(chosen, start, end))}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, DossierCount._meta.db_table)
    assert "procedures_count_day" in constraints  # built again at the end

    counts_rebuild()
    assert stored() == as_expected(recount())
    assert check(dossiers, *WINDOWS[0], plan_383) == len(dossiers) * 9


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's locks")
@pytest.mark.parametrize("dossiers", [29], indirect=True)
def test_a_large_rebuild_on_postgresql_never_locks_the_tables_pages_read(
    dossiers: list[Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropping an index or a foreign key would take an ACCESS EXCLUSIVE lock on the
    counts, the units and the procedures until the rebuild commits: every dashboard
    would wait. A rebuild of every row keeps them on PostgreSQL, and the figures."""
    monkeypatch.setattr(counts, "LOADING_PROBE", 1)
    monkeypatch.setattr(counts, "LOADING_SHARE", 0.0)
    counts_rebuild()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relation::regclass::text FROM pg_locks WHERE pid = pg_backend_pid()"
            " AND mode = 'AccessExclusiveLock' AND relation IS NOT NULL"
        )
        exclusive = {name for (name,) in cursor.fetchall()}
    tables = {DossierCount._meta.db_table, Unit._meta.db_table, Procedure._meta.db_table}
    assert not exclusive & tables
    assert stored() == as_expected(recount())
