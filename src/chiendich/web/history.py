"""A unit of today's tree on a day before it existed: its history from its predecessors.

Phường Đạo Thạnh came into force on 1/7/2025; asked about 15/9/2023 its page shows
what the communes it was formed from (Phường 5, Phường 4, Xã Đạo Thạnh) reached
together, every figure summed from their records (rates from summed numerators
and denominators), against no target: targets were set for the old units, and
each of them is listed below with its own figures against its own target. A
commune split across several new ones is listed with the part that counts here
(its hamlets assigned to this unit), without a target.
"""

from __future__ import annotations

import datetime as dt

from chiendich.plans.models import Plan
from chiendich.plans.selectors import plan_for_unit
from chiendich.procedures.selectors import indicator_settings
from chiendich.procedures.selectors import units_kpi as tthc_units_kpi
from chiendich.units.lineage import split_successors
from chiendich.units.models import Level, Unit
from chiendich.units.selectors import predecessors_on
from chiendich.vneid.progress import progress_for, progress_of_predecessors, rate, vneid_target

from . import stored
from .dashboard import (
    VNEID_COUNT,
    VNEID_RATE,
    Card,
    Cell,
    ChildRow,
    Dashboard,
    _chart,
    _rate_status_forecast,
    count_statuses,
    kpi_forecast,
    pace_share,
    tthc_cells,
    tthc_earlier_day,
    tthc_trend,
)


def history_plan(unit: Unit, day: dt.date) -> Plan | None:
    """The plan that governed `unit`'s predecessors on `day` (the first that had one)."""
    for predecessor in predecessors_on(unit, day):
        plan = plan_for_unit(predecessor, on=day)
        if plan is not None:
            return plan
    return None


def history_dashboard(unit: Unit, day: dt.date, plan: Plan) -> Dashboard:
    """`unit`'s figures on `day` summed from its predecessors, and each predecessor's."""
    predecessors = predecessors_on(unit, day)
    key = f"history:{unit.code}:{day.isoformat()}:{plan.pk}"
    cards, rows = stored.cached(
        f"vneid:{key}", lambda: _vneid(unit, day, plan, predecessors), stored.VNEID
    )
    tthc_cards, cells, columns = stored.cached(
        f"tthc:{key}", lambda: _tthc(unit, day, plan, predecessors), stored.TTHC
    )
    for row in rows:
        row.cells = cells.get(row.unit.code, {})
    return Dashboard(day, cards + tthc_cards, rows, columns)


def _vneid(
    unit: Unit, day: dt.date, plan: Plan, predecessors: list[Unit]
) -> tuple[list[Card], list[ChildRow]]:
    count_target = vneid_target(plan)
    rate_target = plan.targets.filter(indicator=VNEID_RATE, is_context=False).first()
    period = (count_target.period if count_target else None) or (
        rate_target.period if rate_target else None
    )
    if period is None:
        return [], []
    start, end = period.start, period.end
    [own] = progress_for([unit], day, None)
    series = stored.vneid_series(unit, start, min(day, end))
    names = {i.get("key"): i.get("name") for i in plan.document.get("indicators", []) if i}
    [own_status] = count_statuses([own], unit, day, start, end, pace_share(plan)).values()
    forecast_end = own_status.forecast_end
    cards = [
        Card(
            key=VNEID_COUNT,
            name=names.get(VNEID_COUNT) or (count_target.name if count_target else VNEID_COUNT),
            measure="count",
            value=own.activated,
            target=None,
            percent_of_target=None,
            light=None,
            start=start,
            end=end,
            forecast_end=forecast_end,
            extra={
                "activated_l1": own.counts.activated_l1,
                "activated_l2": own.counts.activated_l2,
                "new": own.counts.new_activations,
                "recent_pace": own.recent_daily_pace,
            },
            chart=_chart(
                "count", start, end, day, {p.day: p.activated for p in series}, None, forecast_end
            ),
        )
    ]
    points = [(p.day, rate(p.activated, p.eligible)) for p in series]
    forecast_rate = _rate_status_forecast(
        {p.day: (p.activated, p.eligible) for p in series},
        min(day, end),
        end,
        denominator_cumulative=False,
    )
    cards.append(
        Card(
            key=VNEID_RATE,
            name=rate_target.name if rate_target else VNEID_RATE,
            measure="percent",
            value=own.rate_of_eligible,
            target=None,
            percent_of_target=None,
            light=None,
            start=start,
            end=end,
            forecast_end=forecast_rate,
            extra={"activated": own.activated, "eligible": own.counts.eligible},
            chart=_chart("percent", start, end, day, dict(points), None, forecast_rate),
        )
    )
    # Predecessors: whole ones with their own figures and targets; a split one with its part.
    whole = [p for p in predecessors if not split_successors(p)]
    mine = {p.code: p for p in progress_for(whole, day, plan)}
    parts = {p.code: p for p in progress_of_predecessors(unit, day)}
    share = pace_share(plan)
    shown = [mine.get(p.code) or parts[p.code] for p in predecessors]
    statuses = count_statuses(
        [p for p in shown if p.target is not None], unit, day, start, end, share
    )
    rows = []
    for predecessor, p in zip(predecessors, shown, strict=True):
        rows.append(
            ChildRow(
                unit=predecessor,
                eligible=p.counts.eligible,
                activated=p.activated,
                rate_of_eligible=p.rate_of_eligible,
                target=p.target,
                percent_of_target=p.percent_of_target,
                light=statuses[p.code].light if p.code in statuses else None,
                rank=None,
                cells={},
                forecast_end=statuses[p.code].forecast_end if p.code in statuses else None,
            )
        )
    return cards, rows


def _tthc(
    unit: Unit, day: dt.date, plan: Plan, predecessors: list[Unit]
) -> tuple[list[Card], dict[str, dict[str, Cell]], list[tuple[str, str]]]:
    settings = indicator_settings(plan)
    keys = {s.indicator.target_key for s in settings}
    targeted = {
        t.indicator: t.period
        for t in plan.targets.filter(indicator__in=keys, is_context=False).select_related("period")
        if t.period
    }
    if not targeted:
        return [], {}, []
    period = min(targeted.values(), key=lambda p: p.start)
    if day < period.start or unit.level == Level.HAMLET:
        return [], {}, []
    end = min(day, period.end)
    whole = [p for p in predecessors if not split_successors(p) and p.level != Level.HAMLET]
    kpis = {k.unit.code: k for k in tthc_units_kpi([unit, *whole], period.start, end, plan=plan)}
    daily = stored.tthc_daily(unit, period.start, end)
    earlier_day = tthc_earlier_day(period.start, end)
    earlier = (
        {
            k.unit.code: k
            for k in tthc_units_kpi([unit, *whole], period.start, earlier_day, plan=plan)
        }
        if earlier_day
        else {}
    )
    cards = []
    target_keys = {s.indicator.key: s.indicator.target_key for s in settings}
    for result in kpis[unit.code].indicators:
        if target_keys[result.key] not in targeted:
            continue  # an indicator the plan sets no target for anywhere
        trend = tthc_trend(unit, result, plan, daily)
        forecast_end = kpi_forecast(result, earlier.get(unit.code), earlier_day, period.end)
        cards.append(
            Card(
                key=result.key,
                name=result.name,
                measure="percent",
                value=result.rate,
                target=None,
                percent_of_target=None,
                light=None,
                start=result.date_from,
                end=period.end,
                forecast_end=forecast_end,
                extra={"numerator": result.numerator, "denominator": result.denominator},
                chart=_chart(
                    "percent", result.date_from, period.end, end, trend, None, forecast_end
                ),
            )
        )
    cells, columns = tthc_cells(
        whole,
        kpis,
        plan,
        pace_share(plan),
        earlier=earlier,
        earlier_day=earlier_day,
        period_end=period.end,
    )
    return cards, cells, columns
