"""Giving a citizen recorded without a hamlet one of their commune's hamlets (citizen_place).

Xã Gáo Giồng (30079, old Đồng Tháp) was split between Xã Phú Cường and Xã Phong Mỹ:
a citizen on the commune itself counts only for the new province; placed in a
hamlet that an officer assigned to Phú Cường, they count for Phú Cường.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import TREE_2023
from chiendich.units.lineage import hamlet_assign
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit
from chiendich.units.selectors import territory_condition
from chiendich.units.services import hamlets_import
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import (
    AccountEvent,
    AccountState,
    Citizen,
    DailyCount,
    Flag,
    FlagKind,
    Household,
    Source,
)
from chiendich.vneid.services import (
    PlaceError,
    citizen_flag_set,
    citizen_place,
    citizen_state_record,
)

pytestmark = pytest.mark.django_db

START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)
GAO_GIONG = "30079"


@pytest.fixture
def gao_giong(write_file) -> Unit:
    units_load(82, dt.date(2026, 1, 1))
    hamlets_import(
        write_file("ap.csv", f"Mã xã,Tên ấp/khu phố\n{GAO_GIONG},Ấp 1\n{GAO_GIONG},Ấp 2\n"),
        on=TREE_2023,
    )
    return Unit.objects.get(code=GAO_GIONG)


def person(n: int, unit: Unit, commune: Unit, household: Household | None = None) -> Citizen:
    return Citizen.objects.create(
        id_number=f"087090{n:06d}",
        full_name=f"Người {n}",
        birth_date=dt.date(1980, 1, 1),
        sex="M",
        commune=commune,
        unit=unit,
        household=household,
    )


def totals(units) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Summed DailyCount of `units` on END, the fields the dashboard reads."""
    return DailyCount.objects.filter(unit__in=units, date=END).aggregate(
        citizens=Sum("citizens"), eligible=Sum("eligible"), activated=Sum("activated_l1")
    )


def test_placing_keeps_the_commune_totals_and_follows_the_hamlet(gao_giong, make_user) -> None:
    first = Unit.objects.get(parent=gao_giong, name="Ấp 1")
    household = Household.objects.create(code="HO-1", commune=gao_giong, unit=gao_giong)
    loose = person(1, gao_giong, gao_giong, household)
    citizen_state_record(
        loose, state=AccountState.ACTIVATED_L1, date=dt.date(2023, 9, 2), source=Source.POLICE_LIST
    )
    citizen_flag_set(loose, kind=FlagKind.ABSENT, date=dt.date(2023, 9, 1), source=Source.VISIT)
    settled = person(2, first, gao_giong)
    citizen_state_record(
        settled, state=AccountState.APPROVED, date=dt.date(2023, 9, 1), source=Source.POLICE_LIST
    )
    counts_rebuild(START, END)
    commune_units = Unit.objects.filter(path__startswith=gao_giong.path)
    before = totals(commune_units)
    assert before == {"citizens": 2, "eligible": 2, "activated": 1}
    assert totals([first]) == {"citizens": 1, "eligible": 1, "activated": 0}

    officer = make_user(Role.PROVINCE_ADMIN, "82.2025")
    citizen_place(loose, first, acting_user=officer)

    loose.refresh_from_db()
    household.refresh_from_db()
    assert loose.unit == first and household.unit == first
    assert set(AccountEvent.objects.filter(citizen=loose).values_list("unit", flat=True)) == {
        first.pk
    }
    assert set(Flag.objects.filter(citizen=loose).values_list("unit", flat=True)) == {first.pk}
    # The old commune's totals are where they were; the hamlet's grew by the citizen.
    assert totals(commune_units) == before
    assert totals([first]) == {"citizens": 2, "eligible": 2, "activated": 1}
    assert not DailyCount.objects.filter(unit=gao_giong, date=END).exists()
    event = AuditEvent.objects.get(type=AuditEvent.Type.RECORD_PLACED)
    assert (event.user, event.unit, event.object_id) == (officer, first, str(loose.pk))
    assert event.detail == {"before": GAO_GIONG, "after": first.code, "household": "HO-1"}

    # Unassigned, the hamlet counts only for the new province; assigned to Phú Cường,
    # the placed citizen and their activation count for Phú Cường.
    phu_cuong = Unit.objects.get(name="Xã Phú Cường", valid_from__isnull=False)
    in_phu_cuong = DailyCount.objects.filter(territory_condition(phu_cuong, "unit"), date=END)
    assert not in_phu_cuong.exists()
    hamlet_assign(first, phu_cuong, acting_user=officer)
    first.refresh_from_db()
    assert first.successor_path == phu_cuong.path
    assert in_phu_cuong.aggregate(n=Sum("citizens"), a=Sum("activated_l1")) == {"n": 2, "a": 1}


def test_a_citizen_goes_only_to_a_hamlet_of_their_own_commune(gao_giong, write_file) -> None:
    hamlets_import(write_file("khac.csv", "Mã xã,Tên ấp/khu phố\n29995,Ấp Một\n"), on=TREE_2023)
    other = Unit.objects.get(parent__code="29995", level=Level.HAMLET)
    first = Unit.objects.get(parent=gao_giong, name="Ấp 1")
    second = Unit.objects.get(parent=gao_giong, name="Ấp 2")
    loose = person(3, gao_giong, gao_giong)
    with pytest.raises(PlaceError, match="không phải ấp/khu phố của Xã Gáo Giồng"):
        citizen_place(loose, other, acting_user=None)
    with pytest.raises(PlaceError, match="không phải ấp/khu phố"):
        citizen_place(loose, gao_giong, acting_user=None)
    # A household already in a hamlet keeps its members together: no other hamlet.
    household = Household.objects.create(code="HO-2", commune=gao_giong, unit=second)
    member = person(4, gao_giong, gao_giong, household)
    with pytest.raises(PlaceError, match="hộ HO-2"):
        citizen_place(member, first, acting_user=None)
    citizen_place(member, second, acting_user=None)
    member.refresh_from_db()
    assert member.unit == second
    # Placed already: not again.
    with pytest.raises(PlaceError, match="đã ở Ấp 2"):
        citizen_place(member, first, acting_user=None)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RECORD_PLACED).count() == 1
