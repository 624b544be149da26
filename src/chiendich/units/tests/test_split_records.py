"""Records of a split commune that have no hamlet are listed for an officer, never
guessed: citizens and households on the commune itself, its desk's dossiers and forms.
A citizen is given a hamlet from the page (vneid.services.citizen_place)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from chiendich.accounts.models import AuditEvent
from chiendich.procedures.models import AggregateForm, Channel, Dossier, DossierStatus, Procedure
from chiendich.units.lineage import hamlet_assign
from chiendich.units.models import Unit
from chiendich.vneid.models import AccountState, Citizen, Household, Source
from chiendich.vneid.services import citizen_state_record

from .conftest import GAO_GIONG, PHU_THUAN_B, client_for

pytestmark = pytest.mark.django_db

DETAIL = reverse("units:split-detail", args=[GAO_GIONG])
PLACE = DETAIL  # its forms post to the page, `viec=dat-ap` to place a citizen
ID_NUMBER, PHONE = "087090123456", "0912345678"


@pytest.fixture
def loose(split):
    """What Gáo Giồng holds on itself: two citizens (one with a household), a household,
    two dossiers of its desk and an aggregate form; and one citizen already in a hamlet."""
    commune = split.gao_giong
    household = Household.objects.create(code="HO-GG-1", commune=commune, unit=commune)
    first = Citizen.objects.create(
        id_number=ID_NUMBER,
        full_name="Nguyễn Văn Lạc",
        birth_date=dt.date(1985, 3, 4),
        sex="M",
        phone=PHONE,
        commune=commune,
        unit=commune,
        household=household,
    )
    for day, state in [(1, AccountState.APPROVED), (5, AccountState.ACTIVATED_L1)]:
        citizen_state_record(
            first, state=state, date=dt.date(2023, 9, day), source=Source.POLICE_LIST
        )
    Citizen.objects.create(
        id_number="087090654321",
        full_name="Trần Thị Vắng",
        birth_date=dt.date(1990, 1, 1),
        sex="F",
        commune=commune,
        unit=commune,
    )
    Citizen.objects.create(
        id_number="087090111111",
        full_name="Lê Văn Có Ấp",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
        commune=commune,
        unit=split.hamlet("Ấp 1"),
    )
    procedure = Procedure.objects.create(code="T.1", name="Thủ tục", levels=["commune"])
    for i, day in enumerate([dt.date(2023, 9, 4), dt.date(2023, 9, 20)]):
        Dossier.objects.create(
            code=f"GG-{i}",
            procedure=procedure,
            unit=commune,
            channel=Channel.ONLINE,
            received_on=day,
            status=DossierStatus.PROCESSING,
        )
    AggregateForm.objects.create(
        unit=commune,
        report_key="tthc_batch_1",
        data_from=dt.date(2023, 9, 1),
        data_to=dt.date(2023, 9, 15),
        received=12,
        received_online=3,
        digitized=2,
        fee_bearing=1,
        paid_online=0,
        resolved=10,
        resolved_e_result=4,
        reused=1,
    )
    return first


def count(text: str, element: str) -> int:
    found = re.search(rf'id="{element}" data-count="(\d+)"', text)
    assert found, element
    return int(found[1])


def test_records_without_a_hamlet_are_listed_with_numbers_masked(split, users, loose) -> None:
    text = client_for(users["admin"]).get(DETAIL).content.decode()
    section = text[text.index('id="khong-ap"') :]
    assert count(section, "citizens") == 2
    assert "Nguyễn Văn Lạc" in section and "Trần Thị Vắng" in section
    assert "Lê Văn Có Ấp" not in section  # has a hamlet
    assert f'id="c{loose.pk}" data-events="2"' in section
    assert ID_NUMBER not in text and PHONE not in text
    assert "087******456" in section and "09*****678" in section
    assert "04/03/1985" in section  # dd/mm/yyyy
    assert count(section, "households") == 1 and "HO-GG-1" in section
    assert count(section, "dossiers") == 2 and "04/09/2023 – 20/09/2023" in section
    assert count(section, "forms") == 1 and "tthc_batch_1" in section
    # The list page counts them on the commune's card.
    listing = client_for(users["admin"]).get(reverse("units:split-list")).content.decode()
    assert f'href="{DETAIL}#khong-ap"' in listing


def test_a_commune_officer_does_not_see_the_records_of_the_old_commune(split, users, loose) -> None:
    """The old commune's own rows count for the province, not for Phú Cường."""
    text = client_for(users["phu_cuong"]).get(DETAIL).content.decode()
    section = text[text.index('id="khong-ap"') :]
    assert 'id="citizens"' not in section and "Nguyễn Văn Lạc" not in text
    response = client_for(users["phu_cuong"]).post(
        PLACE, {"viec": "dat-ap", "cong_dan": loose.pk, "ap": split.hamlet("Ấp 1").code}
    )
    assert response.status_code == 404


def test_an_officer_gives_a_citizen_a_hamlet(split, users, loose) -> None:
    first = split.hamlet("Ấp 1")
    client = client_for(users["admin"])
    text = client.get(DETAIL).content.decode()
    assert f'name="cong_dan" value="{loose.pk}"' in text
    response = client.post(
        PLACE, {"viec": "dat-ap", "cong_dan": loose.pk, "ap": first.code, "tiep": DETAIL}
    )
    assert response.status_code == 302 and response["Location"] == f"{DETAIL}#khong-ap"
    loose.refresh_from_db()
    assert loose.unit == first
    assert Household.objects.get(code="HO-GG-1").unit == first
    event = AuditEvent.objects.get(type=AuditEvent.Type.RECORD_PLACED)
    assert event.user == users["admin"] and event.detail["after"] == first.code

    text = client.get(DETAIL).content.decode()
    assert count(text, "citizens") == 1 and count(text, "households") == 0
    # Once its hamlet is assigned, the citizen is Phú Cường's: its officer sees them.
    hamlet_assign(first, split.phu_cuong, acting_user=users["admin"])
    visible = Citizen.objects.restrict(users["phu_cuong"])
    assert list(visible.values_list("full_name", flat=True).order_by("full_name")) == [
        "Lê Văn Có Ấp",
        "Nguyễn Văn Lạc",
    ]


def test_placing_needs_a_writer_and_a_hamlet_of_that_commune(split, users, loose) -> None:
    first = split.hamlet("Ấp 1")
    viewer = client_for(users["viewer"])
    assert 'name="cong_dan"' not in viewer.get(DETAIL).content.decode()
    assert (
        viewer.post(PLACE, {"viec": "dat-ap", "cong_dan": loose.pk, "ap": first.code}).status_code
        == 403
    )
    other = client_for(users["lai_chau"])
    assert (
        other.post(PLACE, {"viec": "dat-ap", "cong_dan": loose.pk, "ap": first.code}).status_code
        == 404
    )
    admin = client_for(users["admin"])
    elsewhere = split.hamlet("Ấp Một", commune=Unit.objects.get(code=PHU_THUAN_B))
    assert (
        admin.post(
            PLACE, {"viec": "dat-ap", "cong_dan": loose.pk, "ap": elsewhere.code}
        ).status_code
        == 404
    )
    placed = Citizen.objects.get(full_name="Lê Văn Có Ấp")
    assert (
        admin.post(PLACE, {"viec": "dat-ap", "cong_dan": placed.pk, "ap": first.code}).status_code
        == 404
    )
    loose.refresh_from_db()
    assert loose.unit == split.gao_giong
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.RECORD_PLACED).exists()
