"""The demo's simulated year of dossiers: deterministic, idempotent, and shaped like a
campaign (shares rise in the peak; some units meet their targets, some do not)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from chiendich.plans.models import Plan
from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
from chiendich.procedures.models import (
    AggregateForm,
    Dossier,
    DossierCount,
    DossierImport,
    Procedure,
)
from chiendich.procedures.selectors import unit_kpi, units_kpi
from chiendich.procedures.simulate import _generate, _peak, _receivers, dossiers_simulate
from chiendich.units.models import Level, Unit, UnitType

pytestmark = pytest.mark.django_db
SCALE = 0.02


def fingerprint() -> str:
    digest = hashlib.sha256()
    for row in Dossier.objects.order_by("code").values_list(
        "code", "procedure__code", "unit__code", "channel", "received_on", "due_on",
        "finished_on", "status", "digitized", "e_result", "fee", "payment", "reused",
    ):  # fmt: skip
        digest.update(repr(row).encode())
    return digest.hexdigest()


def test_the_simulation_is_deterministic_and_idempotent(demo_province: Unit) -> None:
    written = dossiers_simulate(scale=SCALE, seed=7)
    assert 0.9 * 700_000 * SCALE < written < 1.1 * 700_000 * SCALE
    assert Dossier.objects.count() == written
    first, counts = fingerprint(), DossierCount.objects.count()
    assert counts > 0
    assert dossiers_simulate(scale=SCALE, seed=7) == written  # nothing written again
    assert DossierImport.objects.count() == 1
    other = dossiers_simulate(scale=SCALE, seed=8)  # replaces the previous simulation
    assert Dossier.objects.count() == other and fingerprint() != first
    assert dossiers_simulate(scale=SCALE, seed=7) == written
    assert fingerprint() == first
    assert DossierCount.objects.count() == counts


def test_the_simulated_campaign_has_the_shape_of_the_plan(demo_province: Unit) -> None:
    dossiers_simulate(scale=0.05)
    receivers = set(Dossier.objects.values_list("unit__level", "unit__kind").distinct())
    assert ("province", "organization") in receivers
    assert ("district", "territorial") in receivers and ("commune", "territorial") in receivers
    # Agencies without exports report through the four batch forms instead.
    assert set(AggregateForm.objects.values_list("unit__code", flat=True)) == {
        "82-SNV",
        "82-STTTT",
    }
    assert AggregateForm.objects.count() == 8
    assert not Dossier.objects.filter(unit__code__in=["82-SNV", "82-STTTT"]).exists()
    province = Unit.objects.get(code="82")
    before = unit_kpi(province, dt.date(2023, 1, 1), dt.date(2023, 8, 31))
    peak = unit_kpi(province, dt.date(2023, 9, 1), dt.date(2023, 10, 30))
    for key in ("online_dossier_rate", "digitization_rate", "online_payment_rate"):
        low, high = before.indicator(key).rate, peak.indicator(key).rate
        assert low is not None and high is not None and low < high, key
    assert Dossier.objects.filter(channel=3).exists()
    assert Dossier.objects.filter(fee=0, procedure__fee_bearing=True).exists()
    communes = [
        k.indicator("online_dossier_rate")
        for k in units_kpi(
            list(Unit.objects.filter(level=Level.COMMUNE, type=UnitType.COMMUNE)),
            dt.date(2023, 9, 1),
            dt.date(2023, 10, 30),
        )
    ]
    met = [r.met for r in communes]
    assert met.count(True) > 10 and met.count(False) > 10


def test_the_copy_text_written_on_postgresql_is_the_same_rows(demo_province: Unit) -> None:
    """On PostgreSQL the child process draws the dossiers as COPY text (demo.forked):
    the same values as the rows written elsewhere, NULLs and booleans included."""
    catalogue_load(DEMO_CATALOGUE)
    plan = Plan.objects.get(code="383/KH-UBND") if Plan.objects.count() > 1 else Plan.objects.get()
    procedures = {p.code: p for p in Procedure.objects.all()}
    receivers = _receivers(demo_province, procedures, SCALE, plan)[:8]
    peak = _peak(plan)
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=k) for k in range(365)]
    last = dt.date(2023, 10, 18)  # some dossiers still open: finished_on NULL
    plain = list(_generate(receivers, procedures, 7, peak, days, last, set()))
    text = list(_generate(receivers, procedures, 7, peak, days, last, set(), text=True))

    def value(v: object) -> str:
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        return str(v)

    nulls = 0
    for (index, rows), (same, (count, data)) in zip(plain, text, strict=True):
        assert index == same and count == len(rows) > 0
        assert data == "".join("\t".join(map(value, row)) + "\n" for row in rows).encode()
        nulls += data.count(b"\\N")
    assert nulls > 0
