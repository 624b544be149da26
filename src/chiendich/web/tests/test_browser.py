"""In a real browser (Debian's Chromium through Playwright): sign in, read, drill down, switch language."""

from __future__ import annotations

import pytest

from chiendich.accounts.roles import Role
from chiendich.conftest import REPO_DIR, SCREENSHOTS, require_chromium
from chiendich.plans.services import plan_load

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def campaign(tien_giang, make_user):
    plan_load(REPO_DIR / "plans" / "tien-giang-383-2023.yaml")
    return make_user(Role.DISTRICT_OFFICER, "822", password="mat-khau-huyen-822")


def sign_in(page, live_server, user, password: str) -> None:
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 900, "desktop"), (390, 844, "phone")])
def test_sign_in_and_drill_down(browser, live_server, campaign, width, height, name) -> None:
    page = browser.new_page(viewport={"width": width, "height": height}, locale="en-US")
    sign_in(page, live_server, campaign, "mat-khau-huyen-822")
    page.click("a[href='/ke-hoach/'] >> nth=0")  # the plan's text: one click from the home page
    body = page.text_content("main")
    # Vietnamese although the browser asks for English.
    assert "Mục tiêu cho đơn vị của bạn" in body and "Huyện Chợ Gạo" in body and "60%" in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"home-{name}.png"), full_page=True)

    page.click("text=Huyện Chợ Gạo")
    page.click("text=Thị trấn Chợ Gạo")
    assert "45%" in page.text_content("main")
    assert page.url.endswith("/don-vi/28594/")
    page.close()


def test_language_switch(browser, live_server, campaign) -> None:
    page = browser.new_page()
    sign_in(page, live_server, campaign, "mat-khau-huyen-822")
    page.click("a[href='/ke-hoach/'] >> nth=0")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Targets for your units" in page.text_content("main")
    page.close()


def test_wrong_password_is_refused(browser, live_server, campaign) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", campaign.username)
    page.fill("#id_password", "sai-mat-khau")
    page.click("button.primary")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.text_content("main")
    page.close()


# --- the dashboard -----------------------------------------------------------------------------


def rate_shown(page) -> str:  # type: ignore[no-untyped-def]
    return page.text_content("#ind-vneid_activation_rate .value").strip()


def test_dashboard_drill_down_and_as_of_day(
    browser, live_server, small_campaign, make_user
) -> None:
    chairman = make_user(Role.PROVINCE_VIEWER, "82", password="mat-khau-tinh-82")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height, name in [(1366, 768, "desktop"), (360, 740, "phone")]:
        page = browser.new_page(viewport={"width": width, "height": height})
        sign_in(page, live_server, chairman, "mat-khau-tinh-82")
        page.goto(f"{live_server.url}/don-vi/82/")
        page.wait_for_selector(".chart canvas")  # ECharts drew the trends
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SCREENSHOTS / f"overview-{name}.png"), full_page=True)
        page.close()

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    sign_in(page, live_server, chairman, "mat-khau-tinh-82")
    page.goto(f"{live_server.url}/don-vi/82/")
    # Province -> district -> commune -> hamlet, through the tables of units below.
    for name, code in [("Huyện Chợ Gạo", "822"), ("Xã Trung Hòa", "28597"), ("Ấp 1", "28597-01")]:
        with page.expect_navigation():
            page.click(f"#children >> text={name}")
        assert f"/don-vi/{code}/" in page.url
        assert page.text_content("h1") == name
    with page.expect_navigation():
        page.click("nav.crumbs >> text=Xã Trung Hòa")
    assert rate_shown(page) == "83,33%"  # 5 of 6 as of 18/10/2023, the data's last day
    page.fill("#ngay", "03/09/2023")  # the one day input: dd/mm/yyyy, typed
    with page.expect_navigation():
        page.click("#asof button[type=submit]")
    assert rate_shown(page) == "33,33%"  # 2 of 6 on 03/09/2023
    assert "03/09/2023" in page.text_content("#as-of-day")
    page.close()
