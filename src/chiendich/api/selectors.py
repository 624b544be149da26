"""Reads the API adds on top of the apps' selectors: default days and windows, and the
progress, indicators and targets of one unit assembled the way the pages show them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chiendich.core import clock
from chiendich.plans.models import Plan
from chiendich.plans.selectors import plan_for_unit, targets_for_unit
from chiendich.procedures.indicators import INDICATORS
from chiendich.procedures.selectors import unit_kpi
from chiendich.units.models import Unit, UnitQuerySet
from chiendich.vneid.models import DailyCount
from chiendich.web.selectors import allocation_rows, as_of_day, vneid_progress

TTHC_INDICATORS = frozenset(i.key for i in INDICATORS)


def default_day() -> dt.date:
    """The last day that has VNeID counts (a 2023 campaign is read as of its data), else today."""
    return as_of_day(None) or clock.today()


def default_window(plan: Plan | None) -> tuple[dt.date, dt.date]:
    """The period the plan sets its TTHC targets in (Plan 383: the 60-day peak,
    01/9–30/10/2023); without one, the calendar year up to today."""
    if plan is not None:
        target = (
            plan.targets.filter(indicator__in=TTHC_INDICATORS, period__isnull=False)
            .select_related("period")
            .order_by("position")
            .first()
        )
        if target is not None and target.period is not None:
            return target.period.start, target.period.end
    today = clock.today()
    return dt.date(today.year, 1, 1), today


def unit_ref(unit: Unit) -> dict[str, str]:
    return {
        "code": unit.gso_code or unit.code,
        "key": unit.code,
        "name": unit.name,
        "level": unit.level,
        "type": unit.type,
    }


def unit_progress(unit: Unit, visible: UnitQuerySet, day: dt.date) -> dict[str, Any]:
    """VNeID progress of `unit` and of its territorial children in `visible` on `day`,
    exactly as the unit's page shows it (web.selectors.vneid_progress)."""
    plan = plan_for_unit(unit, on=day)
    progress = vneid_progress(unit, visible, day, plan)
    return {
        "unit": unit_ref(unit),
        "date": day,
        "counted": DailyCount.objects.filter(date=day).exists(),
        "plan": plan.code if plan else None,
        "own": progress["own"],
        "children": progress["children"],
    }


def indicators_window(
    unit: Unit, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The window asked for, the plan's TTHC period filling a missing end."""
    start, end = default_window(plan_for_unit(unit))
    return date_from or start, date_to or end


def unit_indicators(unit: Unit, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Every TTHC indicator of `unit` over the window, keys as in KPI_JSON.md."""
    return unit_kpi(unit, date_from, date_to).as_dict()


def unit_targets(unit: Unit, visible: UnitQuerySet) -> dict[str, Any]:
    """The plan's targets set for `unit`, its share of the activated-accounts target and
    its children's shares in `visible`, as the unit's targets page shows them."""
    plan = plan_for_unit(unit)
    own, rows = allocation_rows(unit, visible, plan) if plan else (None, [])
    return {
        "unit": unit_ref(unit),
        "plan": plan.code if plan else None,
        "targets": targets_for_unit(plan, unit) if plan else [],
        "allocation": own,
        "children": rows,
    }
