from __future__ import annotations

import datetime as dt

import pytest

from chiendich.plans.allocation import targets_allocate
from chiendich.reporting.schedule import reports_expect
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.progress import eligible_basis, vneid_target
from chiendich.vneid.services import citizen_state_record

END = dt.date(2023, 10, 18)


def person(i: int, commune_code: str) -> Citizen:
    commune = Unit.objects.get(code=commune_code)
    hamlet, _ = unit_upsert(
        code=f"{commune_code}-01", name="Ấp 1", unit_type="ap", level=Level.HAMLET, parent=commune
    )
    return Citizen.objects.create(
        id_number=f"0820900{i:05d}",
        full_name=f"Người {i}",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
        commune=commune,
        unit=hamlet,
    )


def activate(citizen: Citizen, day: dt.date) -> None:
    citizen_state_record(
        citizen, state=AccountState.ACTIVATED_L2, date=day, source=Source.POLICE_LIST
    )


@pytest.fixture
def campaign(plan_383):
    """Plan 383 with six citizens in two communes of two districts, counted through the
    VNeID peak, targets allocated and every expected report created."""
    people = [person(i, code) for i, code in enumerate(["28249"] * 3 + ["28363"] * 3)]
    activate(people[0], dt.date(2023, 8, 25))
    activate(people[1], dt.date(2023, 9, 10))
    activate(people[3], dt.date(2023, 9, 1))
    counts_rebuild(dt.date(2023, 8, 20), END)
    basis = eligible_basis(dt.date(2023, 8, 20))
    targets_allocate(vneid_target(plan_383), lambda u: basis.get(u.code, 0))
    reports_expect(plan_383)
    return plan_383
