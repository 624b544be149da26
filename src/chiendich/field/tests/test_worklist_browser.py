"""The worklist on a 360x740 phone in Debian's Chromium, with no network (issue 13, item
4): households show their head and address; search by name (with or without accents) or
household code, and the filter "cần đến / hẹn quay lại / đã xong", run on the phone and
count the outcomes tapped there."""

from __future__ import annotations

from typing import Any

import pytest

from chiendich.conftest import SCREENSHOTS, require_chromium

from .test_offline_browser import PHONE, open_hamlet, sign_in, wait_unsent

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def shown(page: Any) -> list[str]:
    """The household codes listed, in order."""
    return page.eval_on_selector_all(
        "#households a[href^='?ho=']",
        "links => links.map(a => new URLSearchParams(a.getAttribute('href')).get('ho'))",
    )


def test_search_and_filter_work_offline_on_the_phone(browser, live_server, field) -> None:
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    page = sign_in(context, live_server, field.volunteer.username)
    open_hamlet(page, live_server)
    context.set_offline(True)
    assert sorted(shown(page)) == ["D", "H", "N", "P", "X"]
    # Each tile: the head's name, the household code and the address.
    tile = page.text_content('#households li:has(a[href="?ho=H"])') or ""
    assert "Phạm Thị Duyệt" in tile and "H" in tile and "Khu phố Một" in tile

    # By name, without accents; by a member's name; by household code.
    page.fill("#search input[name=q]", "duyet")
    page.wait_for_function("() => document.querySelectorAll('#households a').length === 1")
    assert shown(page) == ["H"]
    page.fill("#search input[name=q]", "Chờ")
    page.wait_for_function("() => document.querySelectorAll('#households a').length === 1")
    assert shown(page) == ["P"]
    page.fill("#search input[name=q]", "")

    # The filter: to visit, to revisit (absent), done.
    page.select_option("#search select[name=loc]", "revisit")
    assert shown(page) == ["X"]
    page.select_option("#search select[name=loc]", "done")
    assert shown(page) == ["D"]
    page.select_option("#search select[name=loc]", "todo")
    assert sorted(shown(page)) == ["H", "N", "P"]

    # An outcome tapped here (not sent: no network) moves its household at once.
    page.select_option("#search select[name=loc]", "")
    page.click('#households a[href="?ho=N"]')
    page.click(f"#c{field.people['not_registered'].pk} button[data-outcome=activated_l1]")
    wait_unsent(page, 1)
    page.click("#household-view nav.crumbs a")
    page.select_option("#search select[name=loc]", "done")
    assert sorted(shown(page)) == ["D", "N"]
    page.screenshot(path=str(SCREENSHOTS / "field-worklist-filter.png"), full_page=True)
    context.close()
