"""Emulation (thi đua, R10): rank units of one level, bonus points, lagging units, forecasts.

Plan 383 V.1.g (bonus for exceeding the peak's targets; strict handling of units that
are late or miss their targets), V.2.d (criticise units that lag), V.2.đ and VII.3
(rewards). The plan gives principles only; the weights, the bonus points and the
lagging threshold are the system's defaults written in the plan file's `emulation:`
section, and read from there.

Per indicator a unit's achievement is its value as a share of its own target. The
combined score is sum(weight x min(achievement, cap)) / sum(weights of the indicators
the unit has a target for) x 100, so a unit without a TTHC target is scored on VNeID
alone instead of getting zero. Bonus: `points_per_target_exceeded` for every target
exceeded (V.1.g). Ranks are competition ranks ("1, 2, 2, 4") on score + bonus.

Lagging (V.2.d): a unit lags on an indicator exactly when its status is "behind" in
the one status model (chiendich.core.status), the rule the dashboard's lights use:
its forecast for the end of the period misses the target (with fewer than two days
of data: it is below `pace_share` of the steady pace, which for a count runs from
the unit's own value on the period's first day). `indicator_statuses` computes
those statuses from the same stored figures and windows as the dashboard, so the
dashboard, the ranking and the report never disagree about a unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from chiendich.core.status import (
    BEHIND,
    count_status,
    kpi_forecast,
    kpi_status,
    tthc_earlier_day,
    window_start,
)
from chiendich.plans.models import Period, Plan
from chiendich.procedures.selectors import UnitKpi, indicator_settings, units_kpi
from chiendich.units.models import Level, Unit
from chiendich.units.selectors import in_territory
from chiendich.vneid.models import DailyCount
from chiendich.vneid.progress import (
    VNEID_INDICATOR,
    Progress,
    progress_for,
    rollup,
    vneid_target,
)

HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Rules:
    """The plan file's emulation section, with the system defaults it documents."""

    weights: dict[str, Decimal]
    cap: Decimal
    bonus_per_target: int
    pace_share: Decimal

    @classmethod
    def of(cls, plan: Plan) -> Rules:
        rules = plan.emulation or {}
        score = rules.get("score") or {}
        return cls(
            weights={k: Decimal(str(v)) for k, v in (score.get("weights") or {}).items()},
            cap=Decimal(str(score.get("achievement_cap", 1))),
            bonus_per_target=int((rules.get("bonus") or {}).get("points_per_target_exceeded", 0)),
            pace_share=pace_share(plan),
        )


def pace_share(plan: Plan | None) -> Decimal:
    """The plan's `lagging.pace_share` (1 when the plan sets none): the share of the
    steady pace a unit must reach while there is no forecast yet."""
    lagging = ((plan.emulation or {}).get("lagging") or {}) if plan else {}
    share = lagging.get("pace_share")
    return Decimal(str(share)) if share is not None else Decimal(1)


@dataclass(frozen=True)
class IndicatorStatus:
    """One indicator of one unit on a day in the one status model: what the status
    compares (the forecast for the period's end with the target, or without a
    forecast the value with the plan's share of the steady pace) and the status."""

    measure: str  # "count" (VNeID accounts) or "percent" (a rate)
    value: Decimal | None
    target: Decimal | None
    forecast_end: Decimal | None  # None: fewer than two days of data
    expected: Decimal | None  # the steady pace by the day (a rate's: its target)
    status: str | None  # core.status: met, on_pace, behind
    share: Decimal = Decimal(1)  # the plan's pace_share (used while there is no forecast)

    @property
    def forecast_miss(self) -> bool:
        """Not met, and the forecast for the period's end falls short of the target."""
        return (
            self.status == BEHIND
            and self.forecast_end is not None
            and self.target is not None
            and self.forecast_end < self.target
        )


def tthc_period(plan: Plan) -> Period | None:
    """The TTHC indicators' period: the earliest period a TTHC target is set for (the
    dashboard's)."""
    keys = {s.indicator.key for s in indicator_settings(plan)}
    periods = [
        t.period
        for t in plan.targets.filter(indicator__in=keys, is_context=False).select_related("period")
        if t.period
    ]
    return min(periods, key=lambda p: p.start) if periods else None


def stored_days(scope: Unit, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days from `start` to `end` with VNeID counts in `scope`'s territory."""
    rows = in_territory(DailyCount.objects.filter(date__gte=start, date__lte=end), scope)
    return list(rows.order_by("date").values_list("date", flat=True).distinct())


def indicator_statuses(
    units: Sequence[Unit],
    plan: Plan,
    *,
    day: dt.date,
    scope: Unit,
    progress: dict[str, Progress] | None = None,
    kpis: dict[str, UnitKpi] | None = None,
) -> dict[str, dict[str, IndicatorStatus]]:
    """The status of every indicator with a target of each of `units` (units inside
    `scope`'s territory) on `day`, by unit code then indicator key, as the dashboard
    computes it:

    - VNeID accounts: the value and target of `progress` (progress_for on `day`), the
      forecast from the last week of stored days in `scope` (window_start), the steady
      pace from the unit's value on the period's first stored day (count_status);
    - TTHC rates: units_kpi from the TTHC period's start to `day` (`kpis` when already
      read over that window) against the same a week earlier (kpi_forecast); none
      before the period starts, none for hamlets (they receive no dossiers).
    """
    share = pace_share(plan)
    units = list(units)
    codes = {u.code for u in units}
    out: dict[str, dict[str, IndicatorStatus]] = {u.code: {} for u in units}
    target = vneid_target(plan)
    period = target.period if target else None
    if period is not None and units:
        if progress is None:
            progress = {p.code: p for p in progress_for(units, day, plan)}
        days = stored_days(scope, period.start, min(day, period.end))
        first = rollup(days[0], codes=codes) if days else {}
        earlier_day = window_start(days, day)
        earlier = rollup(earlier_day, codes=codes) if earlier_day else {}
        for u in units:
            p = progress[u.code]
            if p.target is None:
                continue
            cs = count_status(
                p.activated,
                p.target,
                base=first[u.code].activated if u.code in first else 0,
                earlier=earlier[u.code].activated if u.code in earlier else 0,
                earlier_day=earlier_day,
                day=day,
                start=period.start,
                end=period.end,
                share=share,
            )
            out[u.code][VNEID_INDICATOR] = IndicatorStatus(
                "count",
                Decimal(p.activated),
                Decimal(p.target),
                cs.forecast_end,
                cs.expected,
                cs.light,
                share,
            )
    tthc = tthc_period(plan)
    receiving = [u for u in units if u.level != Level.HAMLET]
    if tthc is None or day < tthc.start or not receiving:
        return out
    end = min(day, tthc.end)
    if kpis is None or any(
        u.code not in kpis or (kpis[u.code].date_from, kpis[u.code].date_to) != (tthc.start, end)
        for u in receiving
    ):
        kpis = {k.unit.code: k for k in units_kpi(receiving, tthc.start, end, plan=plan)}
    earlier_tthc = tthc_earlier_day(tthc.start, end)
    before = (
        {k.unit.code: k for k in units_kpi(receiving, tthc.start, earlier_tthc, plan=plan)}
        if earlier_tthc
        else {}
    )
    for u in receiving:
        for result in kpis[u.code].indicators:
            if result.target is None:
                continue
            forecast = kpi_forecast(result, before.get(u.code), earlier_tthc, tthc.end)
            out[u.code][result.key] = IndicatorStatus(
                "percent",
                result.rate,
                result.target,
                forecast,
                result.target,
                kpi_status(result, forecast, share),
                share,
            )
    return out


@dataclass
class Achievement:
    """One indicator of one unit against the unit's own target."""

    indicator: str
    value: Decimal | None
    target: Decimal | None
    percent: Decimal | None  # value / target x 100
    status: IndicatorStatus | None  # the one status model's, on the ranking's day
    exceeded: bool

    @property
    def lagging(self) -> bool:
        return self.status is not None and self.status.status == BEHIND


@dataclass
class Standing:
    """A unit's place among its peers."""

    unit: Unit
    achievements: dict[str, Achievement]
    score: Decimal
    bonus: int
    forecast_miss: bool
    rank: int = 0
    lagging: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.score + self.bonus


def _percent(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    if value is None or not target:
        return None
    return (value * HUNDRED / target).quantize(TWO_PLACES, ROUND_HALF_UP)


def _achievement(
    key: str, value: Decimal | None, target: Decimal | None, state: IndicatorStatus | None
) -> Achievement:
    percent = _percent(value, target)
    return Achievement(
        indicator=key,
        value=value,
        target=target,
        percent=percent,
        status=state,
        exceeded=percent is not None and percent > HUNDRED,
    )


def standings(
    units: Sequence[Unit],
    plan: Plan,
    *,
    progress: dict[str, Progress],
    kpis: dict[str, UnitKpi],
    statuses: dict[str, dict[str, IndicatorStatus]],
) -> list[Standing]:
    """Rank `units` (peers of one level) on the plan's weighted indicators.

    `progress` (VNeID) and `kpis` (TTHC over the TTHC window up to `day`) are keyed
    by unit code; an indicator missing for a unit is left out of its score.
    `statuses` (indicator_statuses) decide which indicators a unit lags on: those
    whose status is behind.
    """
    rules = Rules.of(plan)
    out: list[Standing] = []
    for unit in units:
        achievements: dict[str, Achievement] = {}
        states = statuses.get(unit.code, {})
        p = progress.get(unit.code)
        if VNEID_INDICATOR in rules.weights and p is not None and p.target:
            achievements[VNEID_INDICATOR] = _achievement(
                VNEID_INDICATOR,
                Decimal(p.activated),
                Decimal(p.target),
                states.get(VNEID_INDICATOR),
            )
        kpi = kpis.get(unit.code)
        if kpi is not None:
            for result in kpi.indicators:
                if result.key in rules.weights and result.target is not None:
                    achievements[result.key] = _achievement(
                        result.key, result.rate, result.target, states.get(result.key)
                    )
        scored = {k: a for k, a in achievements.items() if a.percent is not None}
        weight = sum((rules.weights[k] for k in scored), Decimal(0))
        score = (
            sum(
                (rules.weights[k] * min(a.percent / HUNDRED, rules.cap) for k, a in scored.items()),  # type: ignore[operator]
                Decimal(0),
            )
            / weight
            * HUNDRED
            if weight
            else Decimal(0)
        ).quantize(TWO_PLACES, ROUND_HALF_UP)
        out.append(
            Standing(
                unit=unit,
                achievements=achievements,
                score=score,
                bonus=rules.bonus_per_target * sum(a.exceeded for a in achievements.values()),
                forecast_miss=VNEID_INDICATOR in states and states[VNEID_INDICATOR].forecast_miss,
                lagging=[k for k, a in achievements.items() if a.lagging],
            )
        )
    out.sort(key=lambda s: (-s.total, s.unit.path))
    for i, s in enumerate(out):
        s.rank = out[i - 1].rank if i and out[i - 1].total == s.total else i + 1
    return out
