"""On a 360x740 phone in Debian's Chromium: a province officer assigns a hamlet of a split
commune and gives a citizen without a hamlet one; nothing is wider than the screen."""

from __future__ import annotations

import datetime as dt

import pytest

from chiendich.accounts.roles import Role
from chiendich.conftest import SCREENSHOTS, require_chromium
from chiendich.units.models import Lineage
from chiendich.vneid.models import Citizen

from .conftest import GAO_GIONG

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "mat-khau-tinh-82"


def test_assign_and_place_on_a_phone(browser, live_server, split, make_user) -> None:
    officer = make_user(Role.PROVINCE_ADMIN, "82.2025", password=PASSWORD)
    citizen = Citizen.objects.create(
        id_number="087090123456",
        full_name="Nguyễn Văn Lạc",
        birth_date=dt.date(1985, 3, 4),
        sex="M",
        phone="0912345678",
        commune=split.gao_giong,
        unit=split.gao_giong,
    )
    first = split.hamlet("Ấp 1")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/don-vi/chia-tach/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "split-list-phone.png"), full_page=True)

    row = page.locator(f"#ap-{first.code}")
    row.locator("select[name=xa_moi]").select_option(split.phu_cuong.code)
    with page.expect_navigation():
        row.locator("button").click()
    assert page.locator(f"#ap-{first.code}").get_attribute("data-assigned-to") == (
        split.phu_cuong.code
    )
    assert Lineage.objects.get(predecessor=first).successor == split.phu_cuong

    page.goto(f"{live_server.url}/don-vi/chia-tach/{GAO_GIONG}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SCREENSHOTS / "split-commune-phone.png"), full_page=True)
    person = page.locator(f"#c{citizen.pk}")
    assert "087******456" in person.text_content()
    person.locator("select[name=ap]").select_option(first.code)
    with page.expect_navigation():
        person.locator("button").click()
    citizen.refresh_from_db()
    assert citizen.unit == first
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.close()
