"""DossierCount rebuilt from dossiers equals a dossier-by-dossier recount, cell by cell."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from chiendich.procedures.counts import counts_rebuild
from chiendich.procedures.models import (
    COUNT_FIELDS,
    Dossier,
    DossierCount,
    DossierStatus,
    Procedure,
)
from chiendich.units.models import Unit

from .conftest import AGENCY, PHUONG, XA, XA_2

pytestmark = pytest.mark.django_db

STATUSES = list(DossierStatus)
Cell = tuple[int, dt.date, int]


def recount(
    units: set[int] | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> dict[Cell, Counter]:
    """The counters of every (unit, day, procedure), dossier by dossier (models.DossierCount)."""
    out: dict[Cell, Counter] = defaultdict(Counter)

    def inside(day: dt.date | None) -> bool:
        return day is not None and (start is None or day >= start) and (end is None or day <= end)

    for d in Dossier.objects.all():
        if units is not None and d.unit_id not in units:
            continue
        resolved = d.status == DossierStatus.RESOLVED
        if inside(d.received_on):
            c = out[(d.unit_id, d.received_on, d.procedure_id)]
            c["received"] += 1
            c["received_online"] += d.channel == 2
            c["received_postal"] += d.channel == 3
            c["digitized"] += d.digitized
            c["digitized_with_result"] += d.digitized and d.e_result
            c["fee_zero"] += d.fee == 0
            c["paid_online"] += d.payment in (1, 2) and d.fee > 0
            c["paid_national"] += d.payment == 1 and d.fee > 0
            c["reused"] += d.reused
        if inside(d.finished_on):
            assert d.finished_on is not None  # noqa: S101 - for the type checker
            c = out[(d.unit_id, d.finished_on, d.procedure_id)]
            finished = d.status in (DossierStatus.RESOLVED, DossierStatus.REJECTED)
            c["resolved"] += resolved
            c["resolved_online"] += resolved and d.channel == 2
            c["resolved_e_result"] += resolved and d.e_result
            c["finished"] += finished
            c["finished_on_time"] += finished and (d.due_on is None or d.finished_on <= d.due_on)
            c["closed"] += 1
            c["closed_late"] += d.due_on is not None and d.finished_on > d.due_on
        if inside(d.overdue_on):
            assert d.overdue_on is not None  # noqa: S101
            out[(d.unit_id, d.overdue_on, d.procedure_id)]["became_overdue"] += 1
    return out


def stored() -> dict[Cell, Counter]:
    return {
        (r["unit_id"], r["day"], r["procedure_id"]): Counter(
            {f: r[f] for f in COUNT_FIELDS if r[f]}
        )
        for r in DossierCount.objects.values("unit_id", "day", "procedure_id", *COUNT_FIELDS)
    }


def as_expected(cells: dict[Cell, Counter]) -> dict[Cell, Counter]:
    return {cell: Counter({f: n for f, n in c.items() if n}) for cell, c in cells.items()}


def simulate(rng: random.Random, units: list[Unit], procedures: list[Procedure], n: int) -> None:
    rows = []
    for i in range(n):
        received = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 80))
        due = rng.choice([None, received + dt.timedelta(days=rng.randint(0, 15))])
        status = rng.choice(STATUSES)
        finished = (
            None
            if status in (DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT)
            else received + dt.timedelta(days=rng.randint(0, 25))
        )
        late = due is not None and (finished is None or finished > due)
        rows.append(
            Dossier(
                code=f"H{rng.random():.12f}-{i}",
                procedure=rng.choice(procedures),
                unit=rng.choice(units),
                channel=rng.choice([1, 2, 3]),
                received_on=received,
                due_on=due,
                finished_on=finished,
                status=status,
                digitized=rng.random() < 0.6,
                e_result=rng.random() < 0.5,
                fee=rng.choice([0, 0, 50_000]),
                payment=rng.choice([0, 1, 2]),
                reused=rng.random() < 0.3,
                overdue_on=due + dt.timedelta(days=1) if late and due else None,
            )
        )
    Dossier.objects.bulk_create(rows)


@pytest.mark.parametrize("seed", [5, 15, 383])
def test_rebuilds_equal_a_recount_whole_by_range_and_by_unit(
    seed: int, catalogue: None, agencies: dict[str, Unit]
) -> None:
    rng = random.Random(seed)
    units = list(Unit.objects.filter(code__in=[XA, XA_2, PHUONG, AGENCY]))
    procedures = list(Procedure.objects.all())
    simulate(rng, units, procedures, 600)

    written = counts_rebuild()
    expected = as_expected(recount())
    assert stored() == expected
    assert written == len(expected)

    # New dossiers, then rebuilds of a window and of some units: those cells are
    # recounted, every other cell keeps its (now stale) numbers.
    before = stored()
    simulate(rng, units, procedures, 200)
    start, end = dt.date(2023, 1, 20), dt.date(2023, 2, 28)
    chosen = {units[0].pk, units[2].pk}
    counts_rebuild(unit_ids=chosen, start=start, end=end)
    fresh = as_expected(recount(chosen, start, end))
    kept = {
        cell: c for cell, c in before.items() if not (cell[0] in chosen and start <= cell[1] <= end)
    }
    assert stored() == {**kept, **fresh}

    assert counts_rebuild(end=end) == len(as_expected(recount(None, None, end)))
    counts_rebuild()
    assert stored() == as_expected(recount())
