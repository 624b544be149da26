"""Reports on today's tree: a province's report goes straight to its communes."""

from __future__ import annotations

import datetime as dt

import pytest

from chiendich.conftest import REPO_DIR
from chiendich.plans.services import plan_load
from chiendich.reporting.content import levels_below
from chiendich.units.loading import units_load
from chiendich.units.models import Unit

pytestmark = pytest.mark.django_db


def test_a_2026_province_report_has_no_district_level(plan_383) -> None:
    units_load(82, dt.date(2026, 10, 20))
    plan = plan_load(REPO_DIR / "plans" / "dong-thap-2026.yaml").plan
    province = Unit.objects.get(code="82.2025")
    assert plan.province == province
    final = plan.reports.get(key="vneid_final")
    assert levels_below(province, final) == ["commune"]
    # The 2023 plan's province report keeps its districts.
    old = plan_383.reports.get(key="vneid_final")
    assert levels_below(Unit.objects.get(code="82"), old) == ["district", "commune"]
