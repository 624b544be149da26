"""The campaign a demo simulates, read from a loaded plan and its province's tree.

Nothing here knows a year: the peak is the period of the plan's VNeID count
target, the TTHC window the period of its online-dossier target, the people
its population basis (`population.aged_14_plus`), the shape of the activation
curve its floor. The demo's day is the campaign's today (core.clock: the real
date, or CHIENDICH_TODAY), held inside the VNeID peak: a plan whose peak is
over is replayed as of its last day (Plan 383: 18/10/2023), a plan in progress
as of today, a plan not started yet as of its first day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from chiendich.core import clock
from chiendich.core.text import fold
from chiendich.plans.models import Period, Plan
from chiendich.units.models import Unit
from chiendich.vneid.progress import vneid_target

from .population import Peak

ONLINE_INDICATOR = "online_dossier_rate"
RATE_INDICATOR = "vneid_activation_rate"


class CampaignError(ValueError):
    """A plan the demo cannot simulate as it stands (say, no population basis)."""


@dataclass(frozen=True)
class Campaign:
    """What the demo simulates for one plan."""

    plan: Plan
    province: Unit
    vneid: Period  # the VNeID peak: the simulated people's days
    tthc: Period  # the TTHC peak: dossiers' shares rise in it
    today: dt.date  # the last simulated day
    population: int  # citizens aged 14+ at scale 1.0
    target: int | None  # the province's floor of activated accounts

    @property
    def peak(self) -> Peak:
        return Peak.for_target(
            self.vneid.start, self.vneid.end, self.today, self.population, self.target
        )

    @property
    def dossier_year(self) -> tuple[dt.date, dt.date]:
        """The calendar year of the TTHC peak, up to the campaign's real today: a year of
        dossiers to compare the peak with, and none received in the future."""
        year = self.tthc.start.year
        return dt.date(year, 1, 1), min(dt.date(year, 12, 31), max(clock.today(), self.today))


def _period(plan: Plan, *indicators: str) -> Period | None:
    for indicator in indicators:
        target = (
            plan.targets.filter(indicator=indicator, is_context=False, period__isnull=False)
            .select_related("period")
            .order_by("position")
            .first()
        )
        if target is not None:
            return target.period
    return None


def campaign_of(plan: Plan, today: dt.date | None = None) -> Campaign:
    """The campaign of `plan` as of `today` (default: the campaign's today)."""
    basis = (plan.document.get("population") or {}).get("aged_14_plus")
    if not basis:
        raise CampaignError(
            f"Kế hoạch {plan.number} ({plan.code}) không có mục population.aged_14_plus "
            "(số người từ 14 tuổi trở lên): bản demo cần số này để mô phỏng."
        )
    first = plan.periods.order_by("start").first()
    if first is None:  # the schema requires a period; a hand-made row might lack one
        raise CampaignError(f"Kế hoạch {plan.code} không có đợt nào.")
    count = vneid_target(plan)
    vneid = (count.period if count else None) or _period(plan, RATE_INDICATOR) or first
    tthc = _period(plan, ONLINE_INDICATOR) or first
    day = today or clock.today()
    return Campaign(
        plan=plan,
        province=plan.province,
        vneid=vneid,
        tthc=tthc,
        today=min(max(day, vneid.start), vneid.end),
        population=int(basis),
        target=int(count.value) if count is not None else None,
    )


def demo_password(place: str, number: str) -> str:
    """The demo users' shared password, from the plan's place and number: "tiengiang-383"
    for Plan 383/KH-UBND of Tiền Giang, "dongthap-412" for a Đồng Tháp plan 412/KH-UBND."""
    digits = re.match(r"\s*(\d+)", number)
    return f"{fold(place).replace(' ', '')}-{digits.group(1) if digits else 'demo'}"
