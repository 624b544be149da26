"""API writes naming a unit by code with both trees loaded (issue 12, item 4): an
aggregate form's code is read as of its batch's data window, a communication
activity's as of its day (28249: Phường 5 until 30/6/2025, Phường Đạo Thạnh since)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from chiendich.accounts.roles import Role
from chiendich.conftest import REPO_DIR
from chiendich.plans.services import plan_load
from chiendich.procedures.models import AggregateForm
from chiendich.reporting.models import CommunicationActivity
from chiendich.units.loading import units_load

from .conftest import token_client
from .test_scope import FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_trees(plan_383: Any, settings: Any) -> None:
    """Plan 383 on the 2023 tree, today's tree beside it, and today 1/6/2026."""
    settings.CAMPAIGN_TODAY = "2026-06-01"
    units_load(82, dt.date(2026, 1, 1))


def test_a_forms_code_is_read_as_of_its_batch_window(
    both_trees: None, make_user: Callable[..., Any]
) -> None:
    client = token_client(make_user(Role.PROVINCE_ADMIN, "82.2025"))
    # Only Plan 383 has a batch tthc_batch_1: its window (2023) is Phường 5's.
    created = client.post(
        "/api/forms/", {**FORM, "unit": "28249", "report_key": "tthc_batch_1"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["unit"] == "28249"
    assert AggregateForm.objects.get().unit.name == "Phường 5"

    # With today's plan loaded, the same code and key name today's Phường Đạo Thạnh.
    plan_load(REPO_DIR / "plans" / "dong-thap-2026.yaml")
    again = client.post(
        "/api/forms/", {**FORM, "unit": "28249", "report_key": "tthc_batch_1"}, format="json"
    )
    assert again.status_code == 201, again.json()
    assert again.json()["unit"] == "28249.2025"


def test_an_activitys_code_is_read_as_of_its_day(
    both_trees: None, make_user: Callable[..., Any]
) -> None:
    client = token_client(make_user(Role.PROVINCE_ADMIN, "82.2025"))
    entry = {"unit": "28249", "sessions": 2, "people_reached": 40}
    old = client.post("/api/activities/", {**entry, "date": "2023-09-04"}, format="json")
    new = client.post("/api/activities/", {**entry, "date": "2026-03-01"}, format="json")
    assert (old.status_code, new.status_code) == (201, 201), (old.json(), new.json())
    assert (old.json()["unit"], new.json()["unit"]) == ("28249", "28249.2025")
    assert set(CommunicationActivity.objects.values_list("unit__name", flat=True)) == {
        "Phường 5",
        "Phường Đạo Thạnh",
    }
    # Xã Đạo Thạnh ended on 30/6/2025: no activity of 2026 is entered for it.
    gone = client.post(
        "/api/activities/", {**entry, "unit": "28282", "date": "2026-03-01"}, format="json"
    )
    assert gone.status_code == 400 and set(gone.json()) == {"unit"}
