"""DailyCount rebuilt from events equals a citizen-by-citizen recount, day by day."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import compute_counts, counts_rebuild, turns_eligible
from chiendich.vneid.models import (
    AccountEvent,
    AccountState,
    Citizen,
    DailyCount,
    Flag,
    FlagKind,
    Source,
)
from chiendich.vneid.services import events_relink

pytestmark = pytest.mark.django_db

START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)
STATES = list(AccountState)


def brute_force(day: dt.date) -> dict[int, Counter]:
    """The definition, citizen by citizen: eligible = 14 or older that day and not flagged."""
    out: dict[int, Counter] = defaultdict(Counter)
    events = defaultdict(list)
    for e in AccountEvent.objects.order_by("date", "id"):
        events[e.citizen_id].append(e)
    flags = defaultdict(list)
    for f in Flag.objects.all():
        flags[f.citizen_id].append(f)

    def flagged(c: Citizen, kind: str) -> bool:
        return any(
            f.kind == kind and f.date <= day and (f.until is None or day < f.until)
            for f in flags[c.pk]
        )

    for c in Citizen.objects.all():
        counts = out[c.unit_id]
        counts["citizens"] += 1
        # New activations count every first activation that day, as the police report them.
        first = next((e.date for e in events[c.pk] if e.state.startswith("activated")), None)
        counts["new_activations"] += first == day
        if turns_eligible(c.birth_date) > day or flagged(c, FlagKind.NOT_ELIGIBLE):
            continue
        counts["eligible"] += 1
        counts["absent"] += flagged(c, FlagKind.ABSENT)
        past = [e for e in events[c.pk] if e.date <= day]
        state = past[-1].state if past else AccountState.NOT_REGISTERED
        field = {
            AccountState.L1_PENDING: "pending",
            AccountState.L2_PENDING: "pending",
            AccountState.APPROVED: "approved",
            AccountState.ACTIVATED_L1: "activated_l1",
            AccountState.ACTIVATED_L2: "activated_l2",
        }.get(state)
        if field:
            counts[field] += 1
    return out


@pytest.fixture(params=[383, 2023, 7])
def population(request, tien_giang):
    """60 citizens in three hamlets with random histories, some turning 14 mid-campaign,
    some flagged not eligible or absent for part of it."""
    rng = random.Random(request.param)
    hamlets = []
    for commune in ("28249", "28597", "28363"):
        parent = Unit.objects.get(code=commune)
        hamlets.append(
            unit_upsert(
                code=f"{commune}-01", name="Ấp 1", unit_type="ap", level=Level.HAMLET, parent=parent
            )[0]
        )
    for i in range(60):
        hamlet = hamlets[i % 3]
        if i % 10 == 0:  # turns 14 during the campaign
            birth = dt.date(2009, 9, 1) + dt.timedelta(days=rng.randint(0, 40))
        else:
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000))
        c = Citizen.objects.create(
            id_number=f"082{i:09d}",
            full_name=f"Công dân {i}",
            birth_date=birth,
            sex="M",
            commune=hamlet.parent,
            unit=hamlet,
        )
        day = dt.date(2023, 8, 1) + dt.timedelta(days=rng.randint(0, 30))
        for state in rng.sample(STATES, rng.randint(0, 4)):
            AccountEvent.objects.create(
                citizen=c, state=state, date=day, source=Source.POLICE_LIST, unit=hamlet
            )
            day += dt.timedelta(days=rng.randint(0, 25))
        if i % 7 == 0:
            begin = dt.date(2023, 9, 1) + dt.timedelta(days=rng.randint(0, 30))
            until = None if i % 2 else begin + dt.timedelta(days=rng.randint(1, 20))
            Flag.objects.create(
                citizen=c,
                kind=FlagKind.NOT_ELIGIBLE,
                reason="deceased",
                date=begin,
                until=until,
                source=Source.VISIT,
                unit=hamlet,
            )
        if i % 9 == 0:
            Flag.objects.create(
                citizen=c,
                kind=FlagKind.ABSENT,
                date=dt.date(2023, 9, 10),
                until=dt.date(2023, 9, 20),
                source=Source.VISIT,
                unit=hamlet,
            )
    events_relink()
    return hamlets


def test_every_day_matches_the_definition(population) -> None:
    totals = compute_counts(START, END)
    for offset in range(0, (END - START).days + 1):
        day = START + dt.timedelta(days=offset)
        expected = brute_force(day)
        for unit, counts in expected.items():
            got = {f: totals[unit].get(f, [0] * 60)[offset] for f in counts}
            assert got == dict(counts), (day, unit)


def test_rebuild_stores_rows_and_a_unit_subset_leaves_others_alone(population) -> None:
    counts_rebuild(START, END)
    assert DailyCount.objects.filter(date=START).count() == 3
    row = DailyCount.objects.get(unit=population[0], date=dt.date(2023, 9, 15))
    expected = brute_force(dt.date(2023, 9, 15))[population[0].pk]
    assert row.eligible == expected["eligible"]
    assert (
        row.not_registered
        == row.eligible - row.pending - row.approved - row.activated_l1 - row.activated_l2
    )
    assert row.not_eligible == row.citizens - row.eligible

    other = DailyCount.objects.get(unit=population[1], date=START)
    other.citizens = 999
    other.save()
    counts_rebuild(START, END, unit_ids=[population[0].pk])
    assert DailyCount.objects.get(pk=other.pk).citizens == 999  # untouched
    assert DailyCount.objects.filter(unit=population[0]).count() == 60


def test_each_single_day_and_any_window_match_the_definition(population) -> None:
    """The one-day path (one grouped pass over the events in force) and windows that start
    inside, before or after the campaign (first-day pass, starts and ends inside) give the
    definition's numbers, for every unit and for a subset of units."""
    for offset in range(0, (END - START).days + 1, 3):
        day = START + dt.timedelta(days=offset)
        expected = brute_force(day)
        got = compute_counts(day, day)
        for unit, counts in expected.items():
            assert {f: got[unit].get(f, [0])[0] for f in counts} == dict(counts), (day, unit)

    full_start = START - dt.timedelta(days=40)
    full_end = END + dt.timedelta(days=10)
    full = compute_counts(full_start, full_end)
    rng = random.Random(15)
    windows = [(full_start, START), (END, full_end), (START + dt.timedelta(days=1), END)]
    for _ in range(8):
        first = full_start + dt.timedelta(days=rng.randint(0, 100))
        windows.append((first, first + dt.timedelta(days=rng.randint(0, 30))))
    for start, end in windows:
        days = (end - start).days + 1
        shift = (start - full_start).days
        for units in (None, [population[0].pk]):
            part = compute_counts(start, end, units)
            for unit in units or full:
                for field, values in full[unit].items():
                    assert (
                        part.get(unit, {}).get(field, [0] * days) == values[shift : shift + days]
                    ), (
                        start,
                        end,
                        unit,
                        field,
                    )
            assert units is None or set(part) <= set(units)


def test_one_day_shares_of_each_citizen_and_unit_add_up_to_the_whole(population) -> None:
    """On one day, the counts of each citizen alone (what a door-to-door outcome adjusts)
    and of each hamlet alone sum to the whole province's."""
    for day in (START, dt.date(2023, 9, 12), dt.date(2023, 9, 25), END):
        whole = compute_counts(day, day)
        by_citizen: dict[int, Counter] = defaultdict(Counter)
        for citizen in Citizen.objects.values_list("pk", flat=True):
            for unit, fields in compute_counts(day, day, citizen_id=citizen).items():
                by_citizen[unit].update({f: v[0] for f, v in fields.items()})
        for hamlet in population:
            alone = compute_counts(day, day, [hamlet.pk])
            assert set(alone) <= {hamlet.pk}
            for field, values in whole[hamlet.pk].items():
                assert alone[hamlet.pk].get(field, [0]) == values, (day, field)
                assert by_citizen[hamlet.pk][field] == values[0], (day, hamlet, field)


@pytest.fixture(params=[15, 16])
def crowd(request, tien_giang):
    """150 citizens in four hamlets with random histories where flags overlap: several
    not-eligible and absent flags per citizen, young ones among them."""
    rng = random.Random(request.param)
    hamlets = [
        unit_upsert(
            code=f"{commune}-0{n}", name=f"Ấp {n}", unit_type="ap", level=Level.HAMLET,
            parent=Unit.objects.get(code=commune),
        )[0]
        for commune in ("28249", "28597")
        for n in (1, 2)
    ]  # fmt: skip
    for i in range(150):
        hamlet = rng.choice(hamlets)
        young = rng.random() < 0.2
        birth = dt.date(2009, 8, 1) + dt.timedelta(days=rng.randint(0, 90)) if young else (
            dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000))
        )  # fmt: skip
        c = Citizen.objects.create(
            id_number=f"083{i:09d}", full_name=f"Công dân {i}", birth_date=birth, sex="F",
            commune=hamlet.parent, unit=hamlet,
        )  # fmt: skip
        day = dt.date(2023, 8, 1) + dt.timedelta(days=rng.randint(0, 60))
        for state in rng.sample(STATES, rng.randint(0, 5)):
            AccountEvent.objects.create(
                citizen=c, state=state, date=day, source=Source.POLICE_LIST, unit=hamlet
            )
            day += dt.timedelta(days=rng.randint(1, 20))
        for kind in (FlagKind.NOT_ELIGIBLE, FlagKind.ABSENT):
            for _ in range(rng.choice([0, 0, 1, 2])):
                begin = dt.date(2023, 8, 10) + dt.timedelta(days=rng.randint(0, 70))
                until = rng.choice([None, begin + dt.timedelta(days=rng.randint(1, 30))])
                Flag.objects.create(
                    citizen=c, kind=kind, reason="moved_away" if kind == FlagKind.NOT_ELIGIBLE else "",
                    date=begin, until=until, source=Source.VISIT, unit=hamlet,
                )  # fmt: skip
    events_relink()
    return hamlets


def test_overlapping_flags_every_day_and_the_whole_range_match_the_definition(crowd) -> None:
    """Single days (grouped in SQL) and the whole range (intervals cut in Python) agree
    with the definition where not-eligible and absent flags overlap, young or not."""
    whole = compute_counts(START, END)
    for offset in range(0, (END - START).days + 1):
        day = START + dt.timedelta(days=offset)
        expected = brute_force(day)
        one = compute_counts(day, day)
        for unit, counts in expected.items():
            assert {f: one[unit].get(f, [0])[0] for f in counts} == dict(counts), (day, unit)
            assert {f: whole[unit].get(f, [0] * 60)[offset] for f in counts} == dict(counts), (
                day,
                unit,
            )
