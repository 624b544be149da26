"""The VNeID progress on unit pages, and reviewing and overriding targets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.plans.allocation import targets_allocate
from chiendich.plans.models import TargetAllocation
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.progress import vneid_target
from chiendich.vneid.services import citizen_state_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(plan_383):
    hamlet, _ = unit_upsert(
        code="28597-01",
        name="Ấp 1",
        unit_type="ap",
        level=Level.HAMLET,
        parent=Unit.objects.get(code="28597"),
    )
    for i in range(3):
        c = Citizen.objects.create(
            id_number=f"08209000100{i}",
            full_name=f"Người {i}",
            birth_date=dt.date(1980, 5, 5),
            sex="F",
            commune=hamlet.parent,
            unit=hamlet,
        )
        if i < 2:
            citizen_state_record(
                c,
                state=AccountState.ACTIVATED_L1,
                date=dt.date(2023, 9, 1 + i),
                source=Source.POLICE_LIST,
            )
    counts_rebuild(dt.date(2023, 8, 20), dt.date(2023, 10, 18))
    target = vneid_target(plan_383)
    targets_allocate(target, lambda u: 1)
    return target


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_unit_page_shows_progress_as_of_a_chosen_day(campaign, make_user) -> None:
    client = client_for(make_user(Role.COMMUNE_OFFICER, "28597"))
    url = reverse("web:unit-detail", args=["28597"])
    latest = client.get(url).content.decode()
    assert "18/10/2023" in latest  # defaults to the data's last day
    assert "66,67%" in latest  # 2 of 3 eligible activated
    early = client.get(url, {"ngay": "01/09/2023"}).content.decode()
    assert "33,33%" in early


def test_targets_page_lists_children_and_police_can_override(campaign, make_user) -> None:
    police = make_user(Role.POLICE_PROVINCE, "82")
    client = client_for(police)
    url = reverse("web:unit-targets", args=["82"])
    page = client.get(url).content.decode()
    assert "903.203" in page and "Huyện Chợ Gạo" in page and 'name="value"' in page

    response = client.post(url, {"unit": "822", "value": "90.000", "note": "đề nghị của huyện"})
    assert response.status_code == 302
    allocation = TargetAllocation.objects.get(target=campaign, unit__code="822")
    assert (allocation.value, allocation.is_override) == (90_000, True)
    districts = TargetAllocation.objects.filter(target=campaign, unit__level=Level.DISTRICT)
    assert sum(a.value for a in districts) == 903_203
    assert AuditEvent.objects.filter(type=AuditEvent.Type.TARGET_OVERRIDDEN, user=police).exists()

    too_big = client.post(url, {"unit": "822", "value": "2000000"}).content.decode()
    assert "vượt chỉ tiêu của Tỉnh Tiền Giang" in too_big
    assert TargetAllocation.objects.get(target=campaign, unit__code="822").value == 90_000
    assert "số nguyên" in client.post(url, {"unit": "822", "value": "abc"}).content.decode()


def test_viewers_cannot_override_and_other_units_are_404(campaign, make_user) -> None:
    chairman = client_for(make_user(Role.PROVINCE_VIEWER, "82"))
    url = reverse("web:unit-targets", args=["82"])
    assert 'name="value"' not in chairman.get(url).content.decode()
    assert chairman.post(url, {"unit": "822", "value": "1"}).status_code == 403

    district_police = client_for(make_user(Role.POLICE_DISTRICT, "822"))
    assert district_police.get(reverse("web:unit-targets", args=["815"])).status_code == 404
    assert district_police.get(reverse("web:unit-targets", args=["822"])).status_code == 200
