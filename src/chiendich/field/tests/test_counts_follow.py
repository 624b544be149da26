"""An outcome moves the stored daily counts by the citizen's difference, never by a
recount: after any sequence of outcomes, on any days, the stored rows equal what a
full recount would store."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection

from chiendich.field.models import Outcome
from chiendich.field.services import visit_record
from chiendich.vneid.counts import FIELDS, compute_counts, counts_rebuild
from chiendich.vneid.models import DailyCount, NotEligibleReason

from .conftest import make_citizen

pytestmark = pytest.mark.django_db

COLUMNS = (*FIELDS, "not_eligible", "not_registered")


def stored() -> dict[tuple[int, dt.date], tuple[int, ...]]:
    return {
        (row[0], row[1]): tuple(row[2:])
        for row in DailyCount.objects.values_list("unit_id", "date", *COLUMNS)
    }


def recounted(start: dt.date, end: dt.date) -> dict[tuple[int, dt.date], tuple[int, ...]]:
    """What counts_rebuild would store for the days, without storing it."""
    days = (end - start).days + 1
    out = {}
    for unit, fields in compute_counts(start, end).items():
        for k in range(days):
            values = {f: fields.get(f, [0] * days)[k] for f in FIELDS}
            if not any(values.values()):
                continue
            states = sum(values[f] for f in ("pending", "approved", "activated_l1"))
            states += values["activated_l2"]
            values["not_eligible"] = values["citizens"] - values["eligible"]
            values["not_registered"] = values["eligible"] - states
            out[(unit, start + dt.timedelta(days=k))] = tuple(values[c] for c in COLUMNS)
    return out


def test_outcomes_on_any_day_keep_the_counts_equal_to_a_recount(field) -> None:
    start = field.today - dt.timedelta(days=10)
    # Someone who turns 14 in the middle of the counted days, and their household.
    teen = make_citizen(field.hamlet_a, field.people["pending"].household, "Cao Văn Trẻ", None)
    teen.birth_date = (field.today - dt.timedelta(days=4)).replace(year=field.today.year - 14)
    teen.save(update_fields=["birth_date"])
    counts_rebuild(start, field.today)
    assert stored() == recounted(start, field.today)

    rng = random.Random(16)  # noqa: S311 - a fixed sequence, not a secret
    people = [*field.people.values(), teen]
    outcomes = list(Outcome)
    for step in range(60):
        citizen = rng.choice(people)
        outcome = rng.choice(outcomes)
        # Past days too: an outcome can land before the citizen's later events and flags.
        day = field.today - dt.timedelta(days=rng.randrange(11))
        reason = rng.choice(NotEligibleReason.values) if outcome == Outcome.NOT_ELIGIBLE else ""
        visit_record(citizen, outcome=outcome, day=day, acting_user=None, reason=reason)
        if step % 10 == 9:
            assert stored() == recounted(start, field.today), f"after step {step}"
    assert stored() == recounted(start, field.today)


def test_an_outcome_reads_only_the_citizens_rows(field, django_assert_max_num_queries) -> None:
    """A handful of indexed statements, however many citizens the province has: the
    old recount of the hamlet read every event of the province inside the write."""
    with django_assert_max_num_queries(40):
        visit_record(
            field.people["approved"],
            outcome=Outcome.ACTIVATED_L1,
            day=field.today,
            acting_user=field.volunteer,
        )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN QUERY PLAN SELECT citizen_id, unit_id, state, date, until"
                " FROM vneid_accountevent WHERE citizen_id = 1"
            )
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan
    assert stored() == recounted(field.today - dt.timedelta(days=10), field.today)
