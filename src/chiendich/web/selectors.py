"""What the pages show, assembled from the units and plans selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chiendich.accounts.models import User
from chiendich.plans.models import Period, Plan, ReportSchedule, Target
from chiendich.plans.selectors import plan_for_unit, targets_for_unit
from chiendich.units.models import Unit


@dataclass
class PeriodStatus:
    """A peak period and where a given day stands in it."""

    period: Period
    days: int
    day_number: int | None  # 1-based day of the period, None outside it
    state: str  # "upcoming", "running" or "ended"


def period_statuses(plan: Plan, today: dt.date) -> list[PeriodStatus]:
    rows = []
    for period in Period.objects.filter(plan=plan).order_by("start", "key"):
        days = (period.end - period.start).days + 1
        if today < period.start:
            rows.append(PeriodStatus(period, days, None, "upcoming"))
        elif today > period.end:
            rows.append(PeriodStatus(period, days, None, "ended"))
        else:
            rows.append(PeriodStatus(period, days, (today - period.start).days + 1, "running"))
    return rows


@dataclass
class UnitTargets:
    unit: Unit
    targets: list[Target]


def campaign_overview(user: User, today: dt.date) -> dict[str, Any]:
    """The plan that covers the user's units, its periods, and each unit's own targets."""
    units = (
        list(user.units.order_by("path"))
        if not user.is_superuser
        else list(Unit.objects.filter(parent__isnull=True))
    )
    plan = next((p for p in (plan_for_unit(u) for u in units) if p is not None), None)
    if plan is None:
        return {"plan": None, "units": units}
    return {
        "plan": plan,
        "units": units,
        "periods": period_statuses(plan, today),
        "unit_targets": [UnitTargets(u, targets_for_unit(plan, u)) for u in units],
        "reports": list(ReportSchedule.objects.filter(plan=plan).order_by("deadline", "key")),
    }


def breadcrumbs(unit: Unit, visible: Any) -> list[tuple[Unit, bool]]:
    """Ancestors of `unit` from the root, each with whether the user may open it."""
    codes = unit.ancestor_codes
    ancestors = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    openable = set(visible.filter(code__in=codes).values_list("code", flat=True))
    return [(ancestors[c], c in openable) for c in codes if c in ancestors]
