"""The overview's figures refreshed right after an import commits, so the first reader
finds them cached (issue 15 item 3: the first view after a dossier import).

An import that changes counts moves their data version (web/stored.py): every cached
figure of that kind becomes unreachable, and the next reader of a unit's page would
compute it (a few hundred milliseconds for a province's TTHC indicators). Instead, the
import asks for `overview_refresh_after_commit()` inside its transaction; once the
transaction has committed, the process that imported (the web job's worker, or the
command line) computes the pages of the units readers open first, the provinces with
a plan and the units right below them, on the data's last day, in each language (the
provinces first, then the units below in Vietnamese, then in English: `refresh_order`),
and leaves them in the cache every process of the machine shares (core/caching.py).

After commit, not before: a rolled-back transaction can give its ids back (SQLite's
AUTOINCREMENT counter rolls back with it), and figures computed from rows that never
committed must never sit under a version a later import could reach again.

The refresh never fails the import: an error is logged, and the page computes its
figures on the first view as it always could.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import translation

from chiendich.units.models import Kind, Level, Unit

from . import stored

log = logging.getLogger(__name__)
# Past this, the remaining pages are left to their first reader: the import's job shows
# "done" only after its refresh, so the refresh stays short (the provinces come first).
BUDGET_SECONDS = 10.0


@dataclass
class Refreshed:
    """What a refresh did: pages computed (unit, language), seconds, and whether it
    stopped at the time budget."""

    pages: int
    seconds: float
    stopped: bool = False


def overview_units() -> list[Unit]:
    """The units whose pages readers open first: each province with a plan, then the
    territorial units right below it."""
    from chiendich.plans.models import Plan

    provinces = list(
        Unit.objects.filter(pk__in=Plan.objects.values("province_id")).order_by("path")
    )
    below = Unit.objects.filter(parent__in=provinces, kind=Kind.TERRITORIAL).order_by("path")
    return [*provinces, *below]


def refresh_order(units: list[Unit]) -> list[tuple[Unit, str]]:
    """(unit, language) in the order the refresh computes them: each province in every
    language, then the units below in the site's language (Vietnamese), then in the
    others. Where the budget runs out (a province of a hundred communes), the pages
    left are those fewest read: another language of a commune."""
    languages = [settings.LANGUAGE_CODE] + [
        code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
    ]
    provinces = [u for u in units if u.level == Level.PROVINCE]
    below = [u for u in units if u.level != Level.PROVINCE]
    return [(u, code) for u in provinces for code in languages] + [
        (u, code) for code in languages for u in below
    ]


def overview_refresh(budget: float = BUDGET_SECONDS) -> Refreshed:
    """Compute and cache the pages of `overview_units()` on the data's last day, in
    every language (`refresh_order`), under the current data version. Units already
    cached cost a cache read."""
    from .views import unit_body_html

    began = time.perf_counter()
    pages = 0
    everyone = Unit.objects.all()  # whole subtrees: the same body any reader in scope gets
    with stored.one_snapshot():
        day = stored.last_day()
        if day is None:
            return Refreshed(0, 0.0)
        for unit, language in refresh_order(overview_units()):
            if time.perf_counter() - began > budget:
                return Refreshed(pages, time.perf_counter() - began, stopped=True)
            with translation.override(language):
                unit_body_html(unit, everyone, day)
            pages += 1
    return Refreshed(pages, time.perf_counter() - began)


def _refresh_logged() -> None:
    try:
        done = overview_refresh()
    except Exception:  # the import has committed; its figures come on the first view
        log.exception("overview refresh after an import failed")
        return
    log.info("overview refreshed: %s pages in %.2f s", done.pages, done.seconds)


def overview_refresh_after_commit() -> None:
    """Refresh the overview once the current transaction commits (at once outside
    one); several calls in one transaction refresh once, a rollback not at all."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _refresh_logged()
        return
    if any(entry[1] is _refresh_logged for entry in connection.run_on_commit):
        return
    transaction.on_commit(_refresh_logged)
