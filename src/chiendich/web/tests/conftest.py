"""Fixtures of the page tests: a small counted campaign, and an empty cache for every
test (the dashboard caches by data version, and ids restart in every test database)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from chiendich.plans.allocation import targets_allocate
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Source
from chiendich.vneid.progress import vneid_target
from chiendich.vneid.services import citizen_state_record

COMMUNE = "28597"  # Xã Trung Hòa, Huyện Chợ Gạo (822)
SIBLING = "28600"  # Xã Hòa Tịnh, same district
START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)
SERIAL = itertools.count(1)  # 12-digit ID numbers, unique across a test run


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def hamlet(commune: str, number: int) -> Unit:
    unit, _ = unit_upsert(
        code=f"{commune}-0{number}",
        name=f"Ấp {number}",
        unit_type="ap",
        level=Level.HAMLET,
        parent=Unit.objects.get(code=commune),
    )
    return unit


def citizens(unit: Unit, count: int, activated: list[dt.date]) -> None:
    for i in range(count):
        c = Citizen.objects.create(
            id_number=f"082090{next(SERIAL):06d}",
            full_name=f"Người {i}",
            birth_date=dt.date(1980, 5, 5),
            sex="F",
            commune=unit.parent,
            unit=unit,
        )
        if i < len(activated):
            citizen_state_record(
                c, state=AccountState.ACTIVATED_L1, date=activated[i], source=Source.POLICE_LIST
            )


@pytest.fixture
def small_campaign(plan_383):
    # Trung Hòa: 6 citizens, 2 activated by 03/9, 4 by 10/9, 5 by 05/10; Hòa Tịnh: 1 of 5.
    first, second = hamlet(COMMUNE, 1), hamlet(COMMUNE, 2)
    citizens(first, 3, [dt.date(2023, 9, 1), dt.date(2023, 9, 2), dt.date(2023, 9, 10)])
    citizens(second, 3, [dt.date(2023, 9, 5), dt.date(2023, 10, 5)])
    citizens(hamlet(SIBLING, 1), 5, [dt.date(2023, 9, 1)])
    counts_rebuild(START, END)
    # Every commune and district gets the same share: 903.203 split by 1 each.
    targets_allocate(vneid_target(plan_383), lambda u: 1)
    return plan_383


# The crawler's demo (test_crawl, test_crawl_browser): a small demo whose ids start at 1000.
from chiendich.web.tests.crawling import demo_from_1000  # noqa: E402, F401
