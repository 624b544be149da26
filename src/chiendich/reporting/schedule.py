"""Which reports are due: every report of the plan's schedule, unit by unit, day by day.

Plan 383 VII.1 and VII.2 (R9): each unit's implementation plan by 20/8/2023; the
district police's daily statistics per commune through the VNeID peak; the
provincial police's Monday statistics per district; the final report by 25/10;
four TTHC batch reports with their data windows and deadlines. Everything here is
read from the plan's `reports:` list, so another province's schedule needs no code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from chiendich.plans.models import Plan, ReportKind, ReportSchedule
from chiendich.units.models import TERRITORIAL_TYPES, Kind, Unit

from .models import Report


@dataclass(frozen=True)
class Expected:
    """One report some unit owes: the data it covers and its deadline."""

    schedule: ReportSchedule
    unit: Unit
    recipient: Unit
    data_from: dt.date | None
    data_to: dt.date | None
    deadline: dt.date


def _valid(units: list[Unit], day: dt.date) -> list[Unit]:
    return [u for u in units if u.is_valid_on(day)]


def responsible_units(schedule: ReportSchedule, province: Unit) -> list[Unit]:
    """The units that owe `schedule`, inside the plan's province.

    Territorial units of the responsible levels report (filtered by type when the plan
    names territorial types: "huyện, thành, thị" leaves the province itself out).
    Organizations (departments, mass organizations) report too when the plan names their
    type, except for reports about a territory (`reports_on_level`): the district police's
    daily statistics are the district's, whichever office sends them.
    """
    levels = list(schedule.responsible_levels)
    types = set(schedule.responsible_unit_types)
    inside = Unit.objects.filter(path__startswith=province.path, level__in=levels)
    territorial_types = types & {str(t) for t in TERRITORIAL_TYPES}
    query = Q(kind=Kind.TERRITORIAL)
    if territorial_types:
        query &= Q(type__in=territorial_types)
    organization_types = types - territorial_types
    if organization_types and not schedule.reports_on_level:
        query |= Q(kind=Kind.ORGANIZATION, type__in=organization_types)
    return list(inside.filter(query).order_by("path"))


def _recipient(schedule: ReportSchedule, unit: Unit, by_code: dict[str, Unit]) -> Unit:
    """The unit that receives and approves: the responsible unit's own ancestor at the
    plan's `recipient_level` ("cùng cấp"), or else the province."""
    chain = [*unit.ancestor_codes, unit.code]
    if schedule.recipient_level:
        for code in chain:
            ancestor = by_code.get(code)
            if ancestor is not None and ancestor.level == schedule.recipient_level:
                return ancestor
    return by_code[chain[0]]


def _windows(schedule: ReportSchedule) -> list[tuple[dt.date | None, dt.date | None, dt.date]]:
    """(data from, data to, deadline) for each instance of one schedule entry."""
    period = schedule.period
    if schedule.kind == ReportKind.DAILY and period is not None:
        days = (period.end - period.start).days + 1
        return [
            (day, day, day) for day in (period.start + dt.timedelta(days=i) for i in range(days))
        ]
    if schedule.kind == ReportKind.WEEKLY and period is not None:
        weekday = schedule.weekday or 0
        first = period.start + dt.timedelta(days=(weekday - period.start.weekday()) % 7)
        mondays: list[tuple[dt.date | None, dt.date | None, dt.date]] = []
        day = first
        while day <= period.end:
            mondays.append((period.start, day, day))
            day += dt.timedelta(days=7)
        return mondays
    if schedule.deadline is None:
        return []
    if schedule.kind == ReportKind.BATCH:
        return [(schedule.data_from, schedule.data_to, schedule.deadline)]
    # once: over its period if it has one (the final report), else a document (VII.1).
    if period is not None:
        return [(period.start, min(period.end, schedule.deadline), schedule.deadline)]
    return [(None, None, schedule.deadline)]


def expected_reports(plan: Plan) -> list[Expected]:
    """Every report the plan makes due, whatever its date."""
    province = plan.province
    by_code = {u.code: u for u in Unit.objects.filter(path__startswith=province.path)}
    out: list[Expected] = []
    for schedule in plan.reports.select_related("period").order_by("position"):
        units = responsible_units(schedule, province)
        for data_from, data_to, deadline in _windows(schedule):
            for unit in _valid(units, deadline):
                recipient = _recipient(schedule, unit, by_code)
                out.append(Expected(schedule, unit, recipient, data_from, data_to, deadline))
    return out


@transaction.atomic
def reports_expect(plan: Plan) -> int:
    """Create the plan's expected reports that do not exist yet; returns how many were new.

    Idempotent: a report already there (in whatever state) is left as it is.
    """
    existing = set(
        Report.objects.filter(plan=plan).values_list("schedule_id", "unit_id", "deadline")
    )
    new = [
        Report(
            plan=plan,
            schedule=e.schedule,
            unit=e.unit,
            recipient_unit=e.recipient,
            data_from=e.data_from,
            data_to=e.data_to,
            deadline=e.deadline,
        )
        for e in expected_reports(plan)
        if (e.schedule.pk, e.unit.pk, e.deadline) not in existing
    ]
    Report.objects.bulk_create(new, batch_size=1000)
    return len(new)
