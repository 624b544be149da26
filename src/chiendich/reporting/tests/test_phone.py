"""The report pages at 360 px (Debian's Chromium): nothing scrolls sideways; a wide
table scrolls inside its own box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import SCREENSHOTS, require_chromium
from chiendich.reporting.models import Report

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
PASSWORD = "mat-khau-tinh-82"


def test_report_pages_do_not_scroll_sideways_at_360(browser, live_server, campaign, make_user):
    user = make_user(Role.PROVINCE_ADMIN, "82", password=PASSWORD)
    final = Report.objects.get(schedule__key="vneid_final", unit__code="82")
    daily = Report.objects.filter(schedule__key="vneid_daily", unit__code="815").first()
    pages = {
        "list": reverse("reporting:report-list"),
        "report-final": reverse("reporting:report-detail", args=[final.slug]),
        "report-daily": reverse("reporting:report-detail", args=[daily.slug]),
        "who-sent": reverse("reporting:completeness-below") + "?ngay=26/10/2023",
        "completeness": reverse("reporting:completeness"),
        "signers": reverse("reporting:signers"),
        "activities": reverse("reporting:activities"),
    }
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    widths = {}
    for name, path in pages.items():
        answer = page.goto(f"{live_server.url}{path}")
        assert answer is not None and answer.status == 200, name
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(SCREENSHOTS / f"reporting-{name}-360.png"), full_page=True)
    page.close()
    assert all(w <= 360 for w in widths.values()), widths
