"""The overview right after door-to-door outcomes (issue 15 item 3): an outcome changes
a hamlet's stored counts in place, and the next view shows it at once, from the cached
figures caught up on the logged differences (web/dashboard.VneidInputs), equal to a
cold compute after any sequence of outcomes, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.field.models import Outcome
from chiendich.field.services import visit_record
from chiendich.plans.selectors import plan_for_unit
from chiendich.units.models import Level, Unit
from chiendich.units.selectors import children_of
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import Citizen, DailyCountChange, NotEligibleReason
from chiendich.web import dashboard, stored

from .conftest import COMMUNE, END, START

pytestmark = pytest.mark.django_db
DISTRICT = "822"
PAGES = ("82", DISTRICT, COMMUNE)
READ = dashboard.vneid_inputs_read  # the cold read, kept from the tests' spies


def page(code: str, day: dt.date = END) -> str:
    return reverse("web:unit-detail", args=[code]) + f"?ngay={day.isoformat()}"


def main(response: Any) -> str:
    assert response.status_code == 200
    return str(response.content.decode().split("<main>")[1].split("</main>")[0])


def vneid_half(code: str, day: dt.date) -> tuple[Any, Any]:
    """The VNeID cards and rows the page of `code` shows on `day`, through the cache."""
    unit = Unit.objects.get(code=code)
    children = children_of(unit, Unit.objects.all())["territorial"]
    with stored.one_snapshot():
        board = dashboard.unit_dashboard(unit, day, plan_for_unit(unit), children)
    return board.cards, [(r.unit.code, r) for r in board.children]


def vneid_cold(code: str, day: dt.date) -> tuple[Any, Any]:
    """The same, computed from the stored counts, no cache involved."""
    unit = Unit.objects.get(code=code)
    plan = plan_for_unit(unit)
    assert plan is not None
    children = children_of(unit, Unit.objects.all())["territorial"]
    everyone = list({u.code: u for u in [unit, *dashboard._siblings(unit), *children]}.values())
    inputs = READ(unit, day, plan, everyone, children)
    cards, rows = dashboard._vneid_part(unit, day, plan, children, inputs)
    board = dashboard.unit_dashboard(unit, day, plan, children)  # the TTHC half, as shown
    tthc = [c for c in board.cards if c.key not in {dashboard.VNEID_COUNT, dashboard.VNEID_RATE}]
    for row in rows:
        row.cells = next(r.cells for r in board.children if r.unit.code == row.unit.code)
    return cards + tthc, [(r.unit.code, r) for r in rows]


def outcome(rng: random.Random, day: dt.date) -> None:
    # In id order: the seeded choices are the same on every database and run.
    citizen = rng.choice(list(Citizen.objects.filter(unit__level=Level.HAMLET).order_by("id")))
    chosen = rng.choice(list(Outcome))
    reason = rng.choice(NotEligibleReason.values) if chosen == Outcome.NOT_ELIGIBLE else ""
    visit_record(citizen, outcome=chosen, day=day, acting_user=None, reason=reason)


def activate_one() -> None:
    """A door-to-door outcome that changes the counts: a citizen of Trung Hòa's second
    hamlet not activated yet is recorded as activated at level 1 on the last day."""
    waiting = (
        Citizen.objects.filter(unit__code=f"{COMMUNE}-02")
        .exclude(state__in=["activated_l1", "activated_l2"])
        .order_by("id")
        .first()
    )
    assert waiting is not None
    visit_record(waiting, outcome=Outcome.ACTIVATED_L1, day=END, acting_user=None)


def test_an_outcome_shows_on_the_next_view(small_campaign: Any, make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(Role.PROVINCE_VIEWER, "82"))
    before = {code: main(client.get(page(code))) for code in PAGES}
    hamlet = Unit.objects.get(code=f"{COMMUNE}-02")
    waiting = Citizen.objects.filter(unit=hamlet).exclude(state="activated_l1").first()
    assert waiting is not None
    visit_record(waiting, outcome=Outcome.ACTIVATED_L1, day=END, acting_user=None)
    assert DailyCountChange.objects.filter(unit=hamlet, first=END, last=END).exists()

    after = {code: main(client.get(page(code))) for code in PAGES}
    for code in PAGES:  # every page above the hamlet moved
        assert after[code] != before[code], code
    # 5 of 6 activated in Trung Hòa before the outcome, 6 of 6 now.
    cards, _rows = vneid_half(COMMUNE, END)
    count = next(c for c in cards if c.key == dashboard.VNEID_COUNT)
    assert count.value == 6
    # What the cached page shows is what a view with the cache emptied shows.
    cache.clear()
    assert {code: main(client.get(page(code))) for code in PAGES} == after


def test_cached_figures_equal_a_cold_compute_after_random_outcomes(
    small_campaign: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [END, END - dt.timedelta(days=3)]  # the last day, and a day the outcomes reach
    for code in PAGES:
        for day in days:
            vneid_half(code, day)  # cached before the outcomes
    reads: list[str] = []
    real = dashboard.vneid_inputs_read
    monkeypatch.setattr(
        dashboard, "vneid_inputs_read", lambda *a, **k: reads.append(a[0].code) or real(*a, **k)
    )
    rng = random.Random(15)  # noqa: S311 - a fixed sequence, not a secret
    for step in range(12):
        outcome(rng, END - dt.timedelta(days=rng.randrange(0, 6)))
        for code in PAGES:
            for day in days:
                assert vneid_half(code, day) == vneid_cold(code, day), (step, code, day)
    # Every view caught up on the logged differences: none read the counts again.
    assert reads == []
    assert DailyCountChange.objects.count() > 0


def test_a_recount_after_outcomes_reads_the_counts_again(small_campaign: Any) -> None:
    rng = random.Random(7)  # noqa: S311 - a fixed sequence, not a secret
    vneid_half(COMMUNE, END)
    outcome(rng, END)  # seeded, in id order: one that changes a count on every database
    assert vneid_half(COMMUNE, END) == vneid_cold(COMMUNE, END)
    assert DailyCountChange.objects.exists()
    counts_rebuild(START, END)  # the same numbers, new rows: the counts' own version moves
    # Nothing cached from now on needs the in-place log written before: it is emptied,
    # so it does not grow with every outcome of the campaign.
    assert not DailyCountChange.objects.exists()
    assert vneid_half(COMMUNE, END) == vneid_cold(COMMUNE, END)
    for _ in range(3):  # logged again after the rebuild, and caught up on
        outcome(rng, END - dt.timedelta(days=rng.randrange(0, 3)))
        assert vneid_half(COMMUNE, END) == vneid_cold(COMMUNE, END)
    # An outcome that surely changes a count (a random one may change none) is logged.
    activate_one()
    assert DailyCountChange.objects.exists()
    assert vneid_half(COMMUNE, END) == vneid_cold(COMMUNE, END)


def test_a_recount_that_writes_no_row_keeps_the_log(small_campaign: Any) -> None:
    """A recount of days with nothing to count writes no row, so the counts' version
    does not move: pages cached before still catch up on the log, which must stay."""
    vneid_half(COMMUNE, END)
    activate_one()
    logged = DailyCountChange.objects.count()
    assert logged > 0
    empty = Unit.objects.get(code="82")  # the province: counts are kept for lowest units
    assert counts_rebuild(START, END, unit_ids=[empty.pk]) == 0
    assert DailyCountChange.objects.count() == logged
    assert vneid_half(COMMUNE, END) == vneid_cold(COMMUNE, END)
