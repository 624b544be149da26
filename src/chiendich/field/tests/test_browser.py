"""On a 360x740 phone in Debian's Chromium: a volunteer records two outcomes."""

from __future__ import annotations

import pytest

from chiendich.conftest import SCREENSHOTS, require_chromium
from chiendich.field.models import Visit

from .conftest import HAMLET_A, PASSWORD

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def activated_count(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.text_content("#activated").replace(".", "").replace(",", ""))


def test_volunteer_records_outcomes_on_a_phone(browser, live_server, field) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/thuc-dia/")
    page.fill("#id_username", field.volunteer.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/thuc-dia/")
    page.click("text=Khu phố Một")
    page.wait_for_url(f"**/thuc-dia/ap/{HAMLET_A}/")
    before = activated_count(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert "Phạm Văn Duyệt" not in (page.text_content("#revisit") or "")

    # Household H: one tap activates the first person, one tap marks the other absent.
    # The page shows the household and sends each outcome without loading a page
    # (issue 13: it works offline too); wait for each to be sent before the next.
    page.screenshot(path=str(SCREENSHOTS / "field-hamlet-phone.png"), full_page=True)
    page.wait_for_selector("#field-app[data-ready='1']")
    page.click('#households a[href="?ho=H"]')
    page.wait_for_url("**?ho=H")
    approved, other = field.people["approved"], field.people["approved2"]
    page.click(f"#c{approved.pk} button[data-outcome=activated_l1]")
    page.wait_for_selector("#field-app[data-fresh='1']", state="attached")
    page.click(f"#c{other.pk} button[data-outcome=absent]")
    page.wait_for_selector("#field-app[data-fresh='1']", state="attached")
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator(f"#c{other.pk} button[data-outcome=absent]").bounding_box()
    assert box is not None and box["height"] >= 44
    page.screenshot(path=str(SCREENSHOTS / "field-household-phone.png"), full_page=True)

    page.click("nav.crumbs >> text=Khu phố Một")
    page.wait_for_url(f"**/thuc-dia/ap/{HAMLET_A}/")
    page.wait_for_selector("#field-app[data-fresh='1']", state="attached")
    assert activated_count(page) == before + 1
    assert "Phạm Văn Duyệt" in page.text_content("#revisit")
    assert Visit.objects.filter(recorded_by=field.volunteer).count() == 2
    page.close()
