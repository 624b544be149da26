"""360 px everywhere (issue 14, item 5): the crawl of every demo role, one page per pattern,
opened in Chromium at 360x740; no page scrolls sideways (wide tables scroll in their box)."""

from __future__ import annotations

import pytest
from django.test import Client

from chiendich.conftest import SCREENSHOTS, require_chromium
from chiendich.web.tests.crawling import (
    client_get,
    crawl,
    pattern,
)

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DEMO_PASSWORD = "tiengiang-383"
# The pages issue 14 measured (/bao-cao/ 473 px, a report 596, /nhap/ 444, an import job 592,
# /ket-qua/ 767): each must be among those checked.
NAMED = (
    "/",
    "/bao-cao/",
    "/bao-cao/vneid_final.N.N/",
    "/nhap/",
    "/nhap/uuid/",
    "/ket-qua/",
    "/ket-qua/N/",
)
WIDTH, HEIGHT = 360, 740
# How wide the page is, and the widest element that sticks out (to name it in a failure).
MEASURE = """() => {
  const width = document.documentElement.scrollWidth;
  let worst = null;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && (!worst || r.right > worst.right)) {
      let p = el.parentElement, clipped = false;
      while (p) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; } p = p.parentElement; }
      if (!clipped) worst = {right: Math.round(r.right), tag: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')};
    }
  }
  return {width, worst};
}"""


def test_no_page_scrolls_sideways_at_360_px(browser, live_server, demo_from_1000) -> None:
    checked: set[str] = set()
    too_wide: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for user in demo_from_1000:
        client = Client()
        client.force_login(user)
        pages = crawl(client_get(client), max_pages=100, per_pattern=1).html_pages
        todo = {key: url for key, url in pages.items() if key not in checked}
        if not todo:
            continue
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        page = context.new_page()
        page.goto(f"{live_server.url}/dang-nhap/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{live_server.url}/")
        for key, url in sorted(todo.items()):
            checked.add(key)
            page.goto(f"{live_server.url}{url}")
            seen = page.evaluate(MEASURE)
            name = pattern(url).strip("/").replace("/", "_").replace("?", "-") or "home"
            if seen["width"] > WIDTH:
                too_wide.append(f"{url} ({user.username}): {seen['width']} px, {seen['worst']}")
                page.screenshot(path=str(SCREENSHOTS / f"wide-{name[:80]}.png"), full_page=True)
            elif key in NAMED:  # the pages the issue measured, kept for a look (CI artifacts)
                page.screenshot(path=str(SCREENSHOTS / f"phone-{name[:80]}.png"))
        context.close()
    assert not too_wide, "\n".join(too_wide)
    assert len(checked) >= 30, sorted(checked)
    for named in NAMED:
        assert any(k == named or k.startswith(f"{named}?") for k in checked), (named, checked)
