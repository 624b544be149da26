"""The unit page's switch "Địa giới: năm 2023 | hiện nay", and a new unit's 2023 history."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit, UnitType
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.services import citizen_state_record

pytestmark = pytest.mark.django_db

START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)
DAY = "2023-09-15"


@pytest.fixture
def history(plan_383) -> None:
    """Citizens in the three communes that formed Phường Đạo Thạnh, then today's tree."""
    serial = 0
    for code, activated, pending in (("28249", 3, 1), ("28252", 2, 2), ("28282", 1, 4)):
        commune = Unit.objects.get(code=code)
        hamlet, _ = unit_upsert(
            code=f"{code}-01",
            name="Ấp 1",
            unit_type=UnitType.HAMLET,
            level=Level.HAMLET,
            parent=commune,
        )
        for i in range(activated + pending):
            serial += 1
            citizen = Citizen.objects.create(
                id_number=f"08209000{serial:04d}",
                full_name=f"Người {serial}",
                birth_date=dt.date(1990, 1, 1),
                sex="F",
                commune=commune,
                unit=hamlet,
            )
            citizen_state_record(
                citizen, state=AccountState.L1_PENDING, date=START, source=Source.POLICE_LIST
            )
            if i < activated:
                citizen_state_record(
                    citizen,
                    state=AccountState.ACTIVATED_L1,
                    date=dt.date(2023, 9, 1),
                    source=Source.POLICE_LIST,
                )
    counts_rebuild(START, END)
    units_load(82, dt.date(2026, 1, 1))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_old_unit_offers_todays_unit_for_the_same_day(history, make_user) -> None:
    admin = make_user(Role.PROVINCE_ADMIN, "82", "82.2025")
    page = client_for(admin).get(reverse("web:unit-detail", args=["28249"]) + f"?ngay={DAY}")
    html = page.content.decode()

    assert page.status_code == 200
    assert 'aria-current="page">as in 2023' in html or "năm 2023" in html
    link = reverse("web:unit-detail", args=["28249.2025"]) + f"?ngay={DAY}"
    assert f'href="{link}" id="tree-today"' in html


def test_a_new_unit_on_a_2023_day_shows_the_sum_of_its_predecessors(history, make_user) -> None:
    admin = make_user(Role.PROVINCE_ADMIN, "82", "82.2025")
    page = client_for(admin).get(reverse("web:unit-detail", args=["28249.2025"]) + f"?ngay={DAY}")
    html = page.content.decode()
    body = text(html)

    assert page.status_code == 200
    assert 'id="history-note"' in html
    # 6 activated of 13 eligible (3 + 2 + 1 of 4 + 4 + 5): 46,15%.
    assert re.search(r'id="ind-vneid_activated_accounts".*?class="value">6<', html, re.S)
    assert "46,15" in body
    # The predecessors are listed, each a link to its own page on the same day.
    for code in ("28249", "28252", "28282"):
        assert reverse("web:unit-detail", args=[code]) + f"?ngay={DAY}" in html
    assert "Phường 4" in body and "Xã Đạo Thạnh" in body
    # The switch goes back to the old units.
    assert "28282" in html

    export = client_for(admin).get(reverse("web:unit-xlsx", args=["28249.2025"]) + f"?ngay={DAY}")
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    names = [row[1] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert "Phường 4" in names and "Xã Đạo Thạnh" in names


def test_the_switch_offers_only_units_the_reader_may_open(history, make_user) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, "28249")  # still bound to old Phường 5
    page = client_for(officer).get(reverse("web:unit-detail", args=["28249"]) + f"?ngay={DAY}")
    assert page.status_code == 200
    assert reverse("web:unit-detail", args=["28249.2025"]) not in page.content.decode()
    # And never forward: today's unit answers 404 to them.
    assert (
        client_for(officer).get(reverse("web:unit-detail", args=["28249.2025"])).status_code == 404
    )
