"""The phone's copy kept up to date with what the volunteer did (issue 13).

An outcome the server answers 202 "received, being written" (its database busy: the
field inbox, issue 16) shows at once on a 360x740 phone in Debian's Chromium as what the
volunteer recorded, marked "being written", counted in the household's and the hamlet's
progress, online and offline, on the hamlet's page and on the home page, until the
server has written it and the hamlet's data shows it. And the home page keeps every
hamlet of the volunteer on the phone, so one never opened works offline too."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from chiendich.conftest import SCREENSHOTS, require_chromium
from chiendich.field import inbox
from chiendich.field.inbox import inbox_waiting
from chiendich.field.models import Outcome, Visit
from chiendich.field.services import DatabaseBusyError
from chiendich.vneid.models import AccountState

from .conftest import HAMLET_A
from .test_inbox import _busy
from .test_offline_browser import PHONE, kept_pages, open_hamlet, sign_in, wait_unsent

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _locked(patch: pytest.MonkeyPatch) -> None:
    """The database stays locked past CHIENDICH_FIELD_WAIT_SECONDS (test_inbox._busy: as
    SQLite or PostgreSQL say it), for the drains too: every outcome is answered 202 and
    waits in the inbox until the lock is released."""
    _busy(patch)

    def busy(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseBusyError("database is locked")

    patch.setattr(inbox, "visits_record_batch", busy)


def progress(done: int, left: int) -> str:
    with translation.override("vi"):
        return translation.gettext("%(done)s/%(total)s households done · %(left)s people left") % {
            "done": done,
            "total": 5,
            "left": left,
        }


def writing(outcome: str) -> str:
    with translation.override("vi"):
        return translation.gettext("%(outcome)s · being written") % {
            "outcome": translation.gettext(Outcome(outcome).label)
        }


def wait_writing(page: Any, n: int) -> None:
    page.wait_for_selector(f"#sync-status[data-writing='{n}']", state="attached")


def outbox_states(page: Any) -> list[str]:
    return sorted(page.evaluate("async () => (await FieldOutbox.all('outbox')).map(i => i.state)"))


def test_an_outcome_being_written_shows_at_once_and_counts_in_the_progress(
    browser, live_server, field, monkeypatch
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p = field.people
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    page = sign_in(context, live_server, field.volunteer.username)
    open_hamlet(page, live_server)
    # Household D is done; N, P, H and X are not: 5 people left.
    assert page.text_content("#progress").startswith(progress(1, 5))  # type: ignore[union-attr]

    with monkeypatch.context() as patch:
        _locked(patch)
        # Online, the database busy: the server answers 202 and keeps the outcome.
        page.click('#households a[href="?ho=N"]')
        page.click(f"#c{p['not_registered'].pk} button[data-outcome=activated_l1]")
        wait_unsent(page, 0)
        wait_writing(page, 1)
        assert inbox_waiting() == 1 and Visit.objects.count() == 0
        person = page.locator(f"#c{p['not_registered'].pk}")
        assert writing("activated_l1") in (person.text_content() or "")
        assert "done" in (person.get_attribute("class") or "")
        with translation.override("vi"):
            assert translation.gettext("received, being written: %(n)s") % {"n": 1} in (
                page.text_content("#sync-status") or ""
            )
        page.screenshot(path=str(SCREENSHOTS / "field-being-written.png"), full_page=True)
        page.click("#household-view nav.crumbs a")
        # The household shows done (and waiting), the hamlet counts it.
        assert page.get_attribute('#households a[href="?ho=N"]', "href") == "?ho=N"
        tile = page.locator('#households li:has(a[href="?ho=N"])')
        assert "hh-done" in (tile.get_attribute("class") or "")
        assert "⏳" in (tile.text_content() or "")
        assert page.text_content("#progress").startswith(progress(2, 4))  # type: ignore[union-attr]

        # Offline: one more outcome, queued on the phone; both count.
        context.set_offline(True)
        page.click('#households a[href="?ho=X"]')
        page.click(f"#c{p['absent'].pk} button[data-outcome=activated_l1]")
        wait_unsent(page, 1)
        page.click("#household-view nav.crumbs a")
        assert page.text_content("#progress").startswith(progress(3, 3))  # type: ignore[union-attr]
        # A reload offline keeps both: one not sent, one being written.
        page.reload()
        page.wait_for_selector("#field-app[data-ready='1']")
        wait_unsent(page, 1)
        wait_writing(page, 1)
        assert page.text_content("#progress").startswith(progress(3, 3))  # type: ignore[union-attr]

        # The network returns while the database is still busy: both are being written.
        context.set_offline(False)
        wait_unsent(page, 0)
        wait_writing(page, 2)
        assert inbox_waiting() == 2 and Visit.objects.count() == 0
        assert page.text_content("#progress").startswith(progress(3, 3))  # type: ignore[union-attr]

        # The home page: the server's figure does not have them yet, the phone's does.
        page.goto(f"{live_server.url}/thuc-dia/")
        figure = page.locator(f"li[data-hamlet='{HAMLET_A}'] [data-progress][data-phone='1']")
        figure.wait_for()
        assert (figure.text_content() or "").startswith(progress(3, 3))
        wait_writing(page, 2)
        page.screenshot(path=str(SCREENSHOTS / "field-home-being-written.png"), full_page=True)

    # The lock is released: the phone asks again (same ids), the server writes them,
    # and the phone drops them once the hamlet's data shows them.
    page.goto(f"{live_server.url}/thuc-dia/ap/{HAMLET_A}/")
    wait_writing(page, 0)
    page.wait_for_function("async () => (await FieldOutbox.all('outbox')).length === 0")
    page.wait_for_selector("#field-app[data-fresh='1']")
    assert inbox_waiting() == 0
    visits = Visit.objects.filter(recorded_by=field.volunteer)
    assert visits.count() == 2
    assert visits.exclude(client_id=None).values("client_id").distinct().count() == 2
    p["absent"].refresh_from_db()
    assert p["absent"].state == AccountState.ACTIVATED_L1
    assert page.text_content("#progress").startswith(progress(3, 3))  # type: ignore[union-attr]
    assert outbox_states(page) == []
    context.close()


def test_the_home_page_keeps_every_hamlet_of_the_volunteer_for_offline_use(
    browser, live_server, field
) -> None:
    """The volunteer's hamlets are kept on the phone from the home page: one never opened
    opens with no network, with its list drawn from the data kept (masked)."""
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    page = sign_in(context, live_server, field.volunteer.username)  # lands on /thuc-dia/
    page.wait_for_selector("html[data-hamlets-kept='1']", state="attached")
    page.wait_for_selector("html[data-offline-ready='1']", state="attached")
    kept = page.evaluate(
        "async (code) => JSON.stringify(await FieldOutbox.get('hamlets', code))", HAMLET_A
    )
    assert "Phạm Thị Duyệt" in kept
    for person in field.people.values():
        assert person.id_number not in kept and person.phone not in kept
    context.set_offline(True)
    page.goto(f"{live_server.url}/thuc-dia/ap/{HAMLET_A}/")  # never opened before
    page.wait_for_selector("#field-app[data-ready='1']")
    assert "Phạm Thị Duyệt" in (page.text_content("#households") or "")
    assert page.text_content("#progress").startswith(progress(1, 5))  # type: ignore[union-attr]
    page.click('#households a[href="?ho=N"]')
    page.click(f"#c{field.people['not_registered'].pk} button[data-outcome=guided]")
    wait_unsent(page, 1)
    page.screenshot(path=str(SCREENSHOTS / "field-kept-from-home.png"), full_page=True)
    context.set_offline(False)
    wait_unsent(page, 0)
    assert (
        Visit.objects.filter(citizen=field.people["not_registered"], outcome="guided").count() == 1
    )
    context.close()


def test_the_home_page_removes_a_hamlet_taken_away_without_opening_it(
    browser, live_server, field
) -> None:
    """Only the volunteer's own hamlets stay on the phone: a hamlet kept there that the
    commune took away goes (its masked list and its page) as soon as the home page is
    seen with a network, without the volunteer opening that hamlet again."""
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    page = sign_in(context, live_server, field.volunteer.username)
    open_hamlet(page, live_server)
    path = f"/thuc-dia/ap/{HAMLET_A}/"
    assert kept_pages(page, path) != []
    field.team.hamlets.set([])  # the commune takes the hamlet away from the team
    page.goto(f"{live_server.url}/thuc-dia/")
    page.wait_for_selector("html[data-hamlets-kept='1']", state="attached")
    assert page.evaluate("(code) => FieldOutbox.get('hamlets', code)", HAMLET_A) is None
    assert kept_pages(page, path) == []
    context.close()
