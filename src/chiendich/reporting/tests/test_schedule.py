"""Expected reports follow the plan's schedule (Plan 383 VII.1, VII.2)."""

from __future__ import annotations

import datetime as dt

import pytest

from chiendich.reporting.models import Report
from chiendich.reporting.schedule import reports_expect
from chiendich.units.models import Kind, Level, Unit
from chiendich.units.services import unit_upsert

pytestmark = pytest.mark.django_db


def counts(plan) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in Report.objects.filter(plan=plan).values_list("schedule__key", flat=True):
        out[key] = out.get(key, 0) + 1
    return out


def test_expected_reports_match_the_schedule(plan_383) -> None:
    province = plan_383.province
    for code, unit_type in (
        ("82-STTTT", "so_ban_nganh"),
        ("82-DTN", "doan_the"),
        ("82-CA", "cong_an"),
    ):
        unit_upsert(
            code=code,
            name=code,
            unit_type=unit_type,
            level=Level.PROVINCE,
            parent=province,
            kind=Kind.ORGANIZATION,
        )
    reports_expect(plan_383)
    districts = Unit.objects.filter(level=Level.DISTRICT, kind=Kind.TERRITORIAL).count()
    communes = Unit.objects.filter(level=Level.COMMUNE, kind=Kind.TERRITORIAL).count()
    vneid = plan_383.periods.get(key="vneid")
    days = (vneid.end - vneid.start).days + 1
    mondays = sum((vneid.start + dt.timedelta(days=i)).weekday() == 0 for i in range(days))
    n = counts(plan_383)
    assert (districts, communes, days, mondays) == (11, 164, 60, 9)
    assert n["vneid_daily"] == districts * days == 660  # each district, every day of the peak
    assert n["vneid_weekly"] == mondays  # the province, every Monday
    assert n["vneid_final"] == 1 + districts + communes
    # Departments and mass organizations plus the districts; police is not in VII.1's list.
    assert n["unit_implementation_plan"] == 2 + districts
    for batch in range(1, 5):
        assert n[f"tthc_batch_{batch}"] == 2 + districts
    # Daily reports go to the district itself ("cùng cấp"), the rest to the province.
    daily = Report.objects.filter(schedule__key="vneid_daily").select_related(
        "unit", "recipient_unit"
    )
    assert all(r.recipient_unit == r.unit for r in daily)
    assert set(
        Report.objects.exclude(schedule__key="vneid_daily").values_list(
            "recipient_unit__code", flat=True
        )
    ) == {"82"}
    batch_2 = Report.objects.filter(schedule__key="tthc_batch_2").first()
    assert (batch_2.data_from, batch_2.data_to, batch_2.deadline) == (
        dt.date(2023, 9, 16),
        dt.date(2023, 9, 30),
        dt.date(2023, 10, 3),
    )
    first_daily = Report.objects.filter(schedule__key="vneid_daily").order_by("deadline").first()
    assert first_daily.deadline == first_daily.data_to == vneid.start
    # Idempotent: a second run adds nothing.
    assert reports_expect(plan_383) == 0


def test_a_unit_dissolved_before_the_deadline_owes_nothing(plan_383) -> None:
    commune = Unit.objects.get(code="28249")
    commune.valid_to = dt.date(2023, 9, 30)
    commune.save()
    reports_expect(plan_383)
    assert not Report.objects.filter(schedule__key="vneid_final", unit=commune).exists()
    assert Report.objects.filter(schedule__key="vneid_final").count() == 1 + 11 + 163
