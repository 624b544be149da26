"""The demo's teams and visits (issue 4, item 6) on a hand-made Trung Hòa."""

from __future__ import annotations

import datetime as dt

import pytest

from chiendich.accounts.roles import Role
from chiendich.field.models import Outcome, Team, TeamType, Visit
from chiendich.field.simulate import field_simulate
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountEvent, AccountState, Household, Source
from chiendich.vneid.progress import rollup

from .conftest import make_citizen

pytestmark = pytest.mark.django_db
START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)  # Plan 383's VNeID peak (II.2)


def test_field_simulate_builds_teams_and_visits_once(tien_giang, make_user) -> None:
    commune = Unit.objects.get(code="28597")
    hamlets = [
        unit_upsert(
            code=f"28597-0{k}", name=f"Ấp {k}", unit_type="ap", level=Level.HAMLET, parent=commune
        )[0]
        for k in (1, 2, 3)
    ]
    volunteer = make_user(Role.VOLUNTEER, "28597-01", "28597-02")
    volunteer.username = "tinhnguyen.trunghoa"
    volunteer.save()
    for k, hamlet in enumerate(hamlets):
        household = Household.objects.create(code=f"HS{k}", commune=commune, unit=hamlet)
        for n in range(6):
            citizen = make_citizen(hamlet, household, f"Người {k}-{n}", None)
            AccountEvent.objects.create(
                citizen=citizen,
                state=AccountState.APPROVED,
                date=START - dt.timedelta(days=5),
                source=Source.POLICE_LIST,
                unit=hamlet,
            )
    from chiendich.vneid.services import events_relink

    events_relink()
    counts_rebuild(START, END)
    before = rollup(END)["28597"].activated

    result = field_simulate()
    assert result["teams"] == 164 * 5
    team = Team.objects.get(members=volunteer)
    assert team.type == TeamType.VOLUNTEER and team.commune == commune
    assert {h.code for h in team.hamlets.all()} == {"28597-01", "28597-02"}
    assert not Team.objects.filter(hamlets__code="28597-03", type=TeamType.VOLUNTEER).exists()
    visits = Visit.objects.all()
    assert result["visits"] == visits.count() >= 18
    assert all(START <= v.day <= END for v in visits)
    assert visits.filter(recorded_by=volunteer).exists()
    activated = visits.filter(outcome=Outcome.ACTIVATED_L1).count()
    assert activated and rollup(END)["28597"].activated == before + activated
    assert AccountEvent.objects.filter(source=Source.VISIT).count() == result["events"]
    assert field_simulate().get("skipped") == 1
    assert Visit.objects.count() == result["visits"]
