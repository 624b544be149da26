"""The status model (core/status.py): its rule on
chosen cases, and the campaign-wide check (web/status_check.py) over every unit and
indicator: status, forecast and target agree, and the reports' lagging list is the
dashboard's "behind". On a small demo here; over the full demo (scale 1, Tiền Giang
2023) in test_status_full.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from chiendich.core.status import (
    BEHIND,
    MET,
    ON_PACE,
    count_forecast,
    count_forecast_date,
    rate_forecast,
    status,
    steady_pace,
    window_start,
)
from chiendich.plans.selectors import plan_for_unit
from chiendich.reporting.content import report_content
from chiendich.reporting.emulation import indicator_statuses
from chiendich.reporting.models import Report
from chiendich.units.models import Kind, Level, Unit
from chiendich.web.status_check import check_statuses

START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)

# --- the rule --------------------------------------------------------------------------------


def test_a_forecast_that_misses_the_target_is_never_on_pace() -> None:
    # The cases: 59,75% of 70% forecast at 60,09%; 73,81% of 90% at 74,26%.
    assert status(Decimal("59.75"), 70, forecast_end=Decimal("60.09"), expected=70) == BEHIND
    assert status(Decimal("73.81"), 90, forecast_end=Decimal("74.26"), expected=90) == BEHIND
    # Even at the plan's share of the steady pace: the forecast decides.
    share = Decimal("0.8")
    assert status(60, 70, forecast_end=Decimal("69.99"), expected=70, share=share) == BEHIND
    assert status(60, 70, forecast_end=Decimal("70.00"), expected=70, share=share) == ON_PACE
    assert status(70, 70, forecast_end=Decimal(1)) == MET
    # No forecast yet (one day of data): the steady pace decides.
    assert status(40, 100, expected=50, share=share) == ON_PACE
    assert status(39, 100, expected=50, share=share) == BEHIND
    assert status(None, 100) is None and status(5, None) is None


def test_a_count_forecast_is_never_below_its_value() -> None:
    assert count_forecast(1000, 1070, 7, 30) == 1000  # a fall is not carried forward
    assert count_forecast(1000, 930, 7, 30) == 1300
    assert count_forecast(1000, 930, 7, 0) == 1000
    assert count_forecast(1000, 900, 0, 30) is None  # one day of data: no forecast
    # Rounded down, so a forecast shown at the target means the target is reached.
    assert count_forecast(10, 0, 3, 1) == 13 and count_forecast(10, 0, 3, 2) == 16


def test_the_forecast_date_and_the_forecast_agree() -> None:
    day, end = dt.date(2023, 10, 1), dt.date(2023, 10, 18)
    for now, earlier, target in [(100, 30, 270), (100, 30, 271), (5, 0, 17), (0, 0, 3)]:
        when = count_forecast_date(now, earlier, 7, target, day)
        reaches = count_forecast(now, earlier, 7, (end - day).days)
        assert (when is not None and when <= end) == (reaches is not None and reaches >= target)
    # One account in a week toward 451.601: no day in the calendar, no error (it was a 500).
    assert count_forecast_date(1, 0, 7, 451_601, dt.date(2023, 9, 4)) is None
    assert count_forecast(1, 0, 7, 44) == 7


def test_a_rate_forecast_comes_from_its_numerator_and_denominator() -> None:
    # 1,06% so far, nothing stored in the last week: the rate drifts down, never to 0.
    forecast = rate_forecast((106, 10_000), (106, 9_300), 7, 70)
    assert forecast is not None and Decimal(0) < forecast < Decimal("1.06")
    # The recent days at 80% pull a 60% rate up, never above the recent rate.
    forecast = rate_forecast((600, 1000), (520, 900), 7, 70)
    assert forecast is not None and Decimal(60) < forecast < Decimal(80)
    assert rate_forecast((5, 5), (0, 0), 7, 100) == 100
    assert rate_forecast((5, 5), (5, 5), 0, 100) is None


def test_the_steady_pace_starts_from_the_value_on_the_first_day() -> None:
    assert steady_pace(903_203, "count", START, END, START, base=560_000) == 560_000
    assert steady_pace(903_203, "count", START, END, END, base=560_000) == 903_203
    half = steady_pace(1000, "count", START, END, START + dt.timedelta(days=59) / 2, base=500)
    assert 740 < half < 760
    assert steady_pace(70, "percent", START, END, START, base=12) == 70


def test_the_forecast_window_is_a_week_or_what_there_is() -> None:
    days = [START + dt.timedelta(days=k) for k in range(20)]
    assert window_start(days, days[19]) == days[12]
    assert window_start(days, days[3]) == days[0]
    assert window_start(days, days[0]) is None


# --- every unit and indicator of a small demo --------------------------------------------------


@pytest.mark.django_db
def test_status_forecast_and_target_agree_for_every_unit_and_indicator(
    settings, tmp_path, monkeypatch, make_user
) -> None:
    settings.DATA_DIR = tmp_path
    monkeypatch.setenv("CHIENDICH_DEMO_SCALE", "0.002")
    call_command("demo", "--no-serve", stdout=StringIO())
    if connection.vendor == "postgresql":
        # The demo was written inside this test's transaction, unseen by autovacuum:
        # without statistics the planner picks nested loops over every table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    province = Unit.objects.get(code="82")
    plan = plan_for_unit(province)
    assert plan is not None
    # The final VNeID reports (the reports with a ranking): the province's, by district
    # and by commune, and a district's, by commune.
    reports = list(
        Report.objects.filter(schedule__key="vneid_final", unit__code__in=["82", "815"])
        .select_related("unit")
        .order_by("unit__path")
    )
    assert [r.unit.code for r in reports] == ["82", "815"]
    report_day = reports[0].data_to or reports[0].deadline
    units = (
        Unit.objects.subtree(province)
        .filter(kind=Kind.TERRITORIAL)
        .exclude(level=Level.HAMLET)
        .count()
    )
    for day in sorted({dt.date(2023, 9, 12), report_day, dt.date(2023, 10, 18)}):
        result = check_statuses(day, province, plan)
        assert result.problems == [], result.problems[:10]
        assert result.units == units
        assert result.checked > units * 8, day  # cards, rows below and TTHC cells
        assert result.compared > units * 5, day  # every unit's ranked indicators, twice
        assert 0 < result.behind < result.compared, day
    # The reports themselves: each lagging list is exactly the units and ranked indicators
    # whose status is behind (which the check above found equal to the dashboard's lights).
    weights = set(plan.emulation["score"]["weights"])
    with_forecast = 0
    for report in reports:
        content = report_content(report)
        day = report.data_to or report.deadline
        lagging = [t for t in content.tables if t.kind == "lagging"]
        listed = {tuple(row["code"].split(".", 1)) for t in lagging for row in t.rows}
        behind = set()
        for table in lagging:
            peers = list(
                Unit.objects.subtree(report.unit).filter(kind=Kind.TERRITORIAL, level=table.level)
            )
            for code, states in indicator_statuses(peers, plan, day=day, scope=report.unit).items():
                behind |= {
                    (code, k) for k, st in states.items() if k in weights and st.status == BEHIND
                }
        assert behind and listed == behind, report.unit.code
        with_forecast += sum(r["forecast_end"] is not None for t in lagging for r in t.rows)
    assert with_forecast  # what the status compared (forecast and target) is on the rows
    # The same check from the command line.
    out = StringIO()
    call_command("check", "status", "--date", "18/10/2023", "--unit", "82", stdout=out)
    assert "0 sai lệch" in out.getvalue() and "18/10/2023" in out.getvalue()
    # The page shows the rule and the forecast it decides with.
    client = Client()
    client.force_login(make_user("province_viewer", "82"))
    page = client.get(reverse("web:unit-detail", args=["82"]), {"ngay": "2023-10-18"})
    text = page.content.decode()
    assert 'id="status-rule"' in text and "dự báo" in text.lower()


@pytest.mark.django_db
def test_check_keeps_the_system_check_and_adds_the_status_check() -> None:
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("check", stdout=out)  # Django's own system check, unchanged
    assert "no issues" in out.getvalue()
    with pytest.raises(CommandError, match="Chưa có số liệu"):
        call_command("check", "status", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("check", "status", "--date", "31/02/2023", stdout=StringIO())
