"""counts_rebuild writes only the difference against the stored counts, inside the
caller's transaction, and moves the counts' MAX(id) (the dashboard's cache key,
web/stored.py) whenever a cell changed."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection, transaction
from django.db.models import Max

from chiendich.conftest import pg_session
from chiendich.procedures import counts
from chiendich.procedures.counts import counts_rebuild, counts_rebuild_detail
from chiendich.procedures.models import Dossier, DossierCount, DossierStatus, Procedure
from chiendich.units.models import Unit

from .conftest import AGENCY, PHUONG, XA, XA_2
from .test_counts import as_expected, recount, simulate, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiving(catalogue: None, agencies: dict[str, Unit]) -> list[Unit]:
    return list(Unit.objects.filter(code__in=[XA, XA_2, PHUONG, AGENCY]).order_by("code"))


def max_id() -> int | None:
    return DossierCount.objects.aggregate(m=Max("id"))["m"]


def ids() -> dict[tuple[int, dt.date, int], int]:
    return {
        (r["unit_id"], r["day"], r["procedure_id"]): r["id"]
        for r in DossierCount.objects.values("id", "unit_id", "day", "procedure_id")
    }


def test_a_rebuild_over_unchanged_dossiers_writes_nothing(receiving: list[Unit]) -> None:
    simulate(random.Random(3), receiving, list(Procedure.objects.all()), 400)
    first = counts_rebuild_detail()
    assert first.inserted == first.cells > 0  # nothing stored yet: every cell inserted
    before = ids()

    again = counts_rebuild_detail()
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    assert again.cells == first.cells
    assert ids() == before  # not one row rewritten
    assert stored() == as_expected(recount())

    ranged = counts_rebuild_detail(
        unit_ids={receiving[0].pk}, start=dt.date(2023, 1, 10), end=dt.date(2023, 2, 10)
    )
    assert (ranged.inserted, ranged.updated, ranged.deleted) == (0, 0, 0)
    assert ranged.cells == len(
        as_expected(recount({receiving[0].pk}, dt.date(2023, 1, 10), dt.date(2023, 2, 10)))
    )
    assert ids() == before


@pytest.mark.parametrize("slice_size", [500, 1])
def test_changed_moved_removed_and_new_dossiers_give_a_recount(
    receiving: list[Unit], slice_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "UNIT_SLICE", slice_size)
    rng = random.Random(11)
    procedures = list(Procedure.objects.all())
    simulate(rng, receiving, procedures, 500)
    counts_rebuild()
    before = ids()
    top = max_id()

    dossiers = list(Dossier.objects.order_by("id"))
    for d in dossiers[:40]:  # counters of existing cells change
        d.channel = 2 if d.channel != 2 else 1
    for d in dossiers[40:80]:  # cells move to other days and units
        d.received_on = d.received_on + dt.timedelta(days=3)
        d.unit = rng.choice(receiving)
    Dossier.objects.bulk_update(dossiers[:80], ["channel", "received_on", "unit"])
    Dossier.objects.filter(pk__in=[d.pk for d in dossiers[80:200]]).delete()  # cells vanish
    simulate(rng, receiving, procedures, 100)  # new cells

    done = counts_rebuild_detail()
    assert done.updated > 0 and done.deleted > 0 and done.inserted > 0
    assert stored() == as_expected(recount())
    assert done.cells == DossierCount.objects.count()
    after = ids()
    # Cells that stayed keep their rows (updated in place or untouched).
    assert all(after[cell] == before[cell] for cell in after.keys() & before.keys())
    assert max_id() > top

    # A recount of some units and days changes only those cells.
    chosen = {receiving[0].pk, receiving[2].pk}
    start, end = dt.date(2023, 1, 20), dt.date(2023, 2, 28)
    kept = {
        cell: c
        for cell, c in stored().items()
        if not (cell[0] in chosen and start <= cell[1] <= end)
    }
    Dossier.objects.filter(unit_id__in=chosen).update(reused=True)
    counts_rebuild(unit_ids=chosen, start=start, end=end)
    assert stored() == {**kept, **as_expected(recount(chosen, start, end))}


def test_an_update_only_or_delete_only_recount_moves_the_max_id(receiving: list[Unit]) -> None:
    procedures = list(Procedure.objects.all())
    simulate(random.Random(5), receiving, procedures, 200)
    alone = Dossier.objects.create(  # the only dossier of its day: its one cell
        code="ALONE",
        procedure=procedures[0],
        unit=receiving[0],
        channel=1,
        received_on=dt.date(2022, 6, 1),
        status=DossierStatus.PROCESSING,
    )
    counts_rebuild()
    unchanged = max_id()
    counts_rebuild()
    assert max_id() == unchanged  # nothing changed: the cache key stays

    Dossier.objects.filter(pk=alone.pk).update(channel=2)
    done = counts_rebuild_detail()
    assert (done.inserted, done.updated, done.deleted) == (0, 1, 0)
    assert max_id() > unchanged
    assert stored() == as_expected(recount())

    moved = max_id()
    Dossier.objects.filter(pk=alone.pk).delete()
    done = counts_rebuild_detail(start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31))
    assert (done.inserted, done.updated, done.deleted, done.cells) == (0, 0, 1, 0)
    assert max_id() > moved
    assert stored() == as_expected(recount())


def _other_connection_dossiers() -> int:
    """Dossiers another session sees (PostgreSQL): only committed ones."""
    with pg_session(autocommit=False) as other:
        row = other.execute(f"SELECT COUNT(*) FROM {Dossier._meta.db_table}").fetchone()  # noqa: S608
        return int(row[0]) if row else 0


def test_the_rebuild_inside_an_open_transaction_counts_its_uncommitted_dossiers(
    receiving: list[Unit],
) -> None:
    """The dossier import calls counts_rebuild after writing dossiers it has not
    committed: the rebuild reads through the caller's connection and sees them, and
    its rows go with the caller's rollback."""
    procedures = list(Procedure.objects.all())
    simulate(random.Random(8), receiving, procedures, 150)
    counts_rebuild()
    committed_cells = stored()
    with transaction.atomic():
        simulate(random.Random(9), receiving, procedures, 150)  # not committed
        assert connection.in_atomic_block
        if connection.vendor == "postgresql":
            assert _other_connection_dossiers() == 0  # the test's own rows are uncommitted too
        done = counts_rebuild_detail()
        assert done.inserted + done.updated > 0
        assert stored() == as_expected(recount())  # the uncommitted dossiers counted
        assert Dossier.objects.count() == 300
        transaction.set_rollback(True)
    assert Dossier.objects.count() == 150
    assert stored() == committed_cells
