"""Under the Content-Security-Policy, in Debian's Chromium: the dashboard draws its ECharts
trends and bars, its tooltip shows, the day and language selects submit, and the browser
reports no violation anywhere."""

from __future__ import annotations

import pytest

from chiendich.accounts.roles import Role
from chiendich.conftest import require_chromium

from .test_browser import sign_in

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Registered before any page script runs: every violation the browser reports.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def test_dashboard_and_echarts_run_under_the_policy(
    browser, live_server, small_campaign, make_user
) -> None:
    chairman = make_user(Role.PROVINCE_VIEWER, "82", password="mat-khau-tinh-82")
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server, chairman, "mat-khau-tinh-82")

    response = page.goto(f"{live_server.url}/don-vi/82/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    page.wait_for_selector(".chart canvas")  # ECharts drew the trends
    assert page.locator(".chart canvas").count() >= 3
    # The bars take their width from classes, not inline styles.
    widths = page.eval_on_selector_all(
        ".ind .bar span", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert widths and any(w > 0 for w in widths)

    # The tooltip (drawn on the canvas) on hover over the first trend.
    chart = page.locator(".chart").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    page.wait_for_timeout(300)

    # The day input's script (day_input.js, no inline handler) runs under the policy: a
    # day outside the data's days is refused before the form is sent; a day inside is sent.
    page.fill("#ngay", "01/01/2020")
    assert page.evaluate("document.querySelector('#ngay').validity.valid") is False
    page.fill("#ngay", "03/09/2023")
    assert page.evaluate("document.querySelector('#ngay').validity.valid") is True
    with page.expect_navigation():
        page.press("#ngay", "Enter")
    assert "ngay=03%2F09%2F2023" in page.url
    page.wait_for_selector(".chart canvas")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.evaluate("document.documentElement.lang") == "en"

    for path in ("/", "/bao-cao/", "/nhap/", "/ket-qua/", "/thuc-dia/", "/don-vi/chia-tach/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")

    violations = page.evaluate("window.__csp")
    assert violations == []
    assert not [m for m in console if "Content Security Policy" in m]
    page.close()
