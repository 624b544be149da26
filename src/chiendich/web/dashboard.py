"""The dashboard of one unit on one day: every indicator the plan sets for it, with
its value, target, traffic light, trend, forecast and rank among its peers, and
the same figures for each unit below it.

Figures come from stored counts only (vneid DailyCount summed up the tree,
procedures DossierCount through `units_kpi`), never from citizens or dossiers,
and the whole result is cached per (unit, day) under the data version (see
stored.py), so a province overview is a few index reads once warm.

Traffic light (`traffic_light`), one rule for every indicator:
- met: the value has reached the target;
- on pace: not yet, but the value is at least `pace_share` of what a steady
  pace would have reached by the as-of day, or (count targets) the last seven
  days' pace reaches the target by the period's end. A steady pace means
  target x days elapsed / days of the period for a count (903.203 accounts
  over 60 days); for a rate it is the target itself, since a rate is expected
  at its level from the first day. `pace_share` is the plan's own threshold
  for lagging units (plan file `emulation.lagging.pace_share`, 0.8 in Plan
  383; 1 when a plan sets none);
- behind: otherwise, which is exactly the plan's "lagging" list (V.2.d).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from chiendich.plans.models import Plan, Target
from chiendich.plans.selectors import targets_for_unit
from chiendich.procedures.indicators import FormCounts, Sums
from chiendich.procedures.models import FORM_FIELDS
from chiendich.procedures.selectors import IndicatorResult, indicator_settings, select_forms
from chiendich.procedures.selectors import units_kpi as tthc_units_kpi
from chiendich.units.models import Kind, Level, Unit
from chiendich.vneid.progress import (
    FORECAST_WINDOW,
    Progress,
    progress_for,
    rate,
    vneid_target,
)

from . import stored
from .selectors import peer_ranks

MET, ON_PACE, BEHIND = "met", "on_pace", "behind"
VNEID_COUNT = "vneid_activated_accounts"
VNEID_RATE = "vneid_activation_rate"
HUNDRED = Decimal(100)
LIGHT_LABELS = {
    MET: gettext_lazy("met"),
    ON_PACE: gettext_lazy("on pace"),
    BEHIND: gettext_lazy("behind"),
}


def light_label(light: str | None) -> str | Promise:
    return LIGHT_LABELS.get(light or "", "—")


def pace_share(plan: Plan | None) -> Decimal:
    """The plan's lagging threshold: a unit below this share of the steady pace lags."""
    lagging = ((plan.emulation or {}).get("lagging") or {}) if plan else {}
    share = lagging.get("pace_share")
    return Decimal(str(share)) if share is not None else Decimal(1)


def expected_by(
    target: Decimal, measure: str, start: dt.date, end: dt.date, day: dt.date
) -> Decimal:
    """What a steady pace reaches by `day`: a share of a count target by days elapsed
    (both ends of the period included), the target itself for a rate."""
    if measure != "count":
        return target
    days = (end - start).days + 1
    elapsed = min(max((day - start).days + 1, 0), days)
    return target * elapsed / days


def traffic_light(
    value: Decimal | int | None,
    target: Decimal | int | None,
    expected: Decimal | None,
    share: Decimal,
    forecast_reaches: bool = False,
) -> str | None:
    """met / on_pace / behind as the module docstring defines them; None without a
    value or a target."""
    if value is None or target is None:
        return None
    if value >= target:
        return MET
    if forecast_reaches or (expected is not None and Decimal(value) >= share * expected):
        return ON_PACE
    return BEHIND


def _percent(value: Decimal | int | None, target: Decimal | int | None) -> Decimal | None:
    """Share of the target reached, two decimals; None without a value or a target."""
    if value is None or not target:
        return None
    return rate(value, target)  # type: ignore[arg-type]  # Decimal works as well as int


@dataclass
class Rank:
    """A unit's place among its peers (same parent, same level), best first."""

    position: int
    total: int


@dataclass
class Card:
    """One indicator of the unit on the day."""

    key: str
    name: str
    measure: str  # "count" or "percent"
    value: Decimal | int | None
    target: Decimal | int | None
    percent_of_target: Decimal | None
    light: str | None
    start: dt.date
    end: dt.date
    expected: Decimal | None = None
    forecast_end: Decimal | None = None  # value the recent pace reaches at the period end
    forecast_date: dt.date | None = None  # count targets: the day the recent pace reaches it
    forecast_note: str = ""
    rank: Rank | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # indicator-specific detail
    chart: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cell:
    """One indicator of a unit below, in the table."""

    value: Decimal | int | None
    target: Decimal | int | None
    light: str | None


@dataclass
class ChildRow:
    """A unit below, with the figures the table shows for it."""

    unit: Unit
    eligible: int
    activated: int
    rate_of_eligible: Decimal | None
    target: int | None
    percent_of_target: Decimal | None
    light: str | None
    rank: Rank | None
    cells: dict[str, Cell]


@dataclass
class Dashboard:
    """Everything count-derived that the unit page shows for one day."""

    day: dt.date
    cards: list[Card]
    children: list[ChildRow]
    columns: list[tuple[str, str]]  # TTHC indicators shown per unit below: (key, name)

    def charts(self) -> dict[str, Any]:
        return {c.key: c.chart for c in self.cards if c.chart}


# --- VNeID -----------------------------------------------------------------------------------


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


def _count_light(p: Progress, start: dt.date, end: dt.date, share: Decimal) -> str | None:
    if p.target is None:
        return None
    expected = expected_by(Decimal(p.target), "count", start, end, p.date)
    return traffic_light(p.activated, p.target, expected, share, p.forecast_note == "on_pace")


def _rate_forecast(
    points: list[tuple[dt.date, Decimal | None]], day: dt.date, end: dt.date
) -> Decimal | None:
    """The rate at `end` if it keeps changing as over the last seven days (0 to 100)."""
    known = [(d, v) for d, v in points if v is not None and d <= day]
    if len(known) < 2:
        return None
    last_day, last = known[-1]
    earlier = [(d, v) for d, v in known if d <= last_day - dt.timedelta(days=FORECAST_WINDOW)]
    first_day, first = earlier[-1] if earlier else known[0]
    if last_day == first_day:
        return None
    slope = (last - first) / (last_day - first_day).days  # type: ignore[operator]
    ahead = max((end - last_day).days, 0)
    return min(max(last + slope * ahead, Decimal(0)), HUNDRED).quantize(Decimal("0.01"))


def _chart(
    measure: str,
    start: dt.date,
    end: dt.date,
    day: dt.date,
    actual: dict[dt.date, Any],
    target: Decimal | int | None,
    forecast_end: Decimal | None,
) -> dict[str, Any]:
    """ECharts-ready series over the whole period: actual up to the day, a dashed
    forecast from the day to the period end, the target and (counts) the steady pace."""
    days = _days(start, end)
    last = min(day, end)
    values = [_json_number(actual.get(d)) if d <= last else None for d in days]
    forecast: list[Any] = [None] * len(days)
    if forecast_end is not None and start <= last < end and actual.get(last) is not None:
        i, n = days.index(last), len(days) - 1 - days.index(last)
        a, b = Decimal(actual[last]), Decimal(forecast_end)
        for k in range(n + 1):
            forecast[i + k] = _json_number((a + (b - a) * k / n).quantize(Decimal("0.01")))
    pace = None
    if measure == "count" and target is not None:
        pace = [
            _json_number(expected_by(Decimal(target), "count", start, end, d).quantize(Decimal(1)))
            for d in days
        ]
    return {
        "measure": measure,
        "days": [d.isoformat() for d in days],
        "actual": values,
        "forecast": forecast,
        "target": _json_number(target),
        "pace": pace,
    }


def _json_number(value: Any) -> int | float | None:
    if value is None:
        return None
    d = Decimal(value)
    return int(d) if d == d.to_integral_value() else float(d)


def _vneid_cards(
    unit: Unit,
    day: dt.date,
    plan: Plan,
    targets: list[Target],
    siblings: list[Unit],
    progress: dict[str, Progress],
    share: Decimal,
    count_target: Target | None,
) -> list[Card]:
    cards: list[Card] = []
    own = progress[unit.code]
    rate_target = next((t for t in targets if t.indicator == VNEID_RATE), None)
    period = (count_target or rate_target).period if (count_target or rate_target) else None  # type: ignore[union-attr]
    if period is None:
        return cards
    start, end = period.start, period.end
    series = stored.vneid_series(unit, start, min(day, end))
    names = {i.get("key"): i.get("name") for i in plan.document.get("indicators", []) if i}
    if own.target is not None:
        expected = expected_by(Decimal(own.target), "count", start, end, day)
        forecast_end = Decimal(own.activated) + own.recent_daily_pace * max((end - day).days, 0)
        ranks = peer_ranks({s.code: progress[s.code].percent_of_target for s in siblings})
        cards.append(
            Card(
                key=VNEID_COUNT,
                name=names.get(VNEID_COUNT) or VNEID_COUNT,
                measure="count",
                value=own.activated,
                target=own.target,
                percent_of_target=own.percent_of_target,
                light=_count_light(own, start, end, share),
                start=start,
                end=end,
                expected=expected.quantize(Decimal(1)),
                forecast_end=forecast_end.quantize(Decimal(1)),
                forecast_date=own.forecast_date,
                forecast_note=own.forecast_note,
                rank=_rank(ranks, unit.code, len(siblings)),
                extra={
                    "activated_l1": own.counts.activated_l1,
                    "activated_l2": own.counts.activated_l2,
                    "new": own.counts.new_activations,
                    "needed": own.needed_daily_pace,
                    "recent_pace": own.recent_daily_pace,
                },
                chart=_chart(
                    "count",
                    start,
                    end,
                    day,
                    {p.day: p.activated for p in series},
                    own.target,
                    forecast_end,
                ),
            )
        )
    if rate_target is not None:
        points = [(p.day, rate(p.activated, p.eligible)) for p in series]
        value = own.rate_of_eligible
        forecast_end_rate = _rate_forecast(points, day, end)
        ranks = peer_ranks(
            {
                s.code: _percent(progress[s.code].rate_of_eligible, rate_target.value)
                for s in siblings
            }
        )
        cards.append(
            Card(
                key=VNEID_RATE,
                name=rate_target.name,
                measure="percent",
                value=value,
                target=rate_target.value,
                percent_of_target=_percent(value, rate_target.value),
                light=traffic_light(value, rate_target.value, rate_target.value, share),
                start=start,
                end=end,
                expected=rate_target.value,
                forecast_end=forecast_end_rate,
                rank=_rank(ranks, unit.code, len(siblings)),
                extra={"activated": own.activated, "eligible": own.counts.eligible},
                chart=_chart(
                    "percent", start, end, day, dict(points), rate_target.value, forecast_end_rate
                ),
            )
        )
    return cards


def _rank(ranks: dict[str, int], code: str, total: int) -> Rank | None:
    if total < 2 or code not in ranks:
        return None
    return Rank(ranks[code], total)


# --- TTHC ------------------------------------------------------------------------------------


def _form_counts(forms: list[Any]) -> FormCounts:
    out = FormCounts()
    for form in forms:
        for name in FORM_FIELDS:
            setattr(out, name, getattr(out, name) + getattr(form, name))
        out.forms += 1
    return out


def tthc_trend(
    unit: Unit,
    result: IndicatorResult,
    plan: Plan | None,
    daily: dict[dt.date, stored.TthcDay] | None = None,
) -> dict[dt.date, Decimal | None]:
    """The indicator's rate over `result`'s window as it stood at the end of each day:
    the same formula and variant as units_kpi, on the counts summed from the window's
    first day to that day, plus the aggregate forms whose batch lies inside by then.
    The last point is the card's value. `daily` (stored.tthc_daily of the unit) may
    cover a longer window than the result's; it is read when not given."""
    setting = next(s for s in indicator_settings(plan) if s.indicator.key == result.key)
    start, end = result.date_from, result.date_to
    if daily is None:
        daily = stored.tthc_daily(unit, start, end)
    forms: dict[int, list[Any]] = {}
    for form in stored.forms_under(unit, start, end):
        if form.unit.level in result.levels:
            forms.setdefault(form.unit_id, []).append(form)
    running: dict[Any, Any] = {}
    out: dict[dt.date, Decimal | None] = {}
    for d in _days(start, end):
        for level, by_flags in daily.get(d, {}).items():
            if level not in result.levels:
                continue
            for flags, counts in by_flags.items():
                if flags in running:
                    running[flags].add(counts)
                else:
                    running[flags] = type(counts)(**vars(counts))
        chosen = [f for unit_forms in forms.values() for f in select_forms(unit_forms, start, d)]
        sums = Sums(records=running, forms=_form_counts(chosen))
        out[d] = setting.indicator.formula(sums, setting.variant).rate
    return out


def _tthc(
    unit: Unit,
    day: dt.date,
    plan: Plan,
    targets: list[Target],
    children: list[Unit],
    siblings: list[Unit],
    share: Decimal,
) -> tuple[list[Card], dict[str, dict[str, Cell]], list[tuple[str, str]]]:
    tthc_keys = {s.indicator.key for s in indicator_settings(plan)}
    periods = [
        t.period
        for t in plan.targets.filter(indicator__in=tthc_keys, is_context=False).select_related(
            "period"
        )
        if t.period
    ]
    if not periods:
        return [], {}, []
    period = min(periods, key=lambda p: p.start)
    if day < period.start or unit.level == Level.HAMLET:  # hamlets receive no dossiers
        return [], {}, []
    end = min(day, period.end)
    receiving = [c for c in children if c.level != Level.HAMLET]
    units = list({u.code: u for u in [unit, *siblings, *receiving]}.values())
    kpis = {k.unit.code: k for k in tthc_units_kpi(units, period.start, end, plan=plan)}
    cards = []
    daily = stored.tthc_daily(unit, period.start, end)  # one read serves every indicator
    for result in kpis[unit.code].indicators:
        if result.target is None:
            continue
        trend = tthc_trend(unit, result, plan, daily)
        forecast_end = _rate_forecast(sorted(trend.items()), end, period.end)
        ranks = peer_ranks(
            {
                s.code: _percent(
                    kpis[s.code].indicator(result.key).rate,
                    kpis[s.code].indicator(result.key).target,
                )
                for s in siblings
            }
        )
        cards.append(
            Card(
                key=result.key,
                name=result.name,
                measure="percent",
                value=result.rate,
                target=result.target,
                percent_of_target=_percent(result.rate, result.target),
                light=traffic_light(result.rate, result.target, result.target, share),
                start=result.date_from,
                end=period.end,
                expected=result.target,
                forecast_end=forecast_end,
                rank=_rank(ranks, unit.code, len(siblings)),
                extra={
                    "numerator": result.numerator,
                    "denominator": result.denominator,
                    "stretch": result.stretch,
                },
                chart=_chart(
                    "percent", result.date_from, period.end, end, trend, result.target, forecast_end
                ),
            )
        )
    cells, columns = tthc_cells(receiving, kpis, plan, share)
    return cards, cells, columns


def tthc_cells(
    units: list[Unit], kpis: dict[str, Any], plan: Plan, share: Decimal
) -> tuple[dict[str, dict[str, Cell]], list[tuple[str, str]]]:
    """The table of units by TTHC indicator: each unit's rate against its own target,
    and the indicator columns any unit has a target for, in the plan's order."""
    cells: dict[str, dict[str, Cell]] = {}
    columns: dict[str, str] = {}
    for unit in units:
        row = cells.setdefault(unit.code, {})
        for result in kpis[unit.code].indicators:
            if result.target is None:
                continue
            columns.setdefault(result.key, result.name)
            row[result.key] = Cell(
                result.rate,
                result.target,
                traffic_light(result.rate, result.target, result.target, share),
            )
    order = [s.indicator.key for s in indicator_settings(plan)]
    return cells, sorted(columns.items(), key=lambda kv: order.index(kv[0]))


# --- the page --------------------------------------------------------------------------------


def _siblings(unit: Unit) -> list[Unit]:
    if unit.parent_id is None or unit.kind != Kind.TERRITORIAL:
        return [unit]
    return list(
        Unit.objects.filter(parent_id=unit.parent_id, level=unit.level, kind=Kind.TERRITORIAL)
    )


def _vneid_part(
    unit: Unit, day: dt.date, plan: Plan, children: list[Unit]
) -> tuple[list[Card], list[ChildRow]]:
    """The VNeID cards of `unit` and the VNeID figures of each unit below it."""
    targets = targets_for_unit(plan, unit)
    share = pace_share(plan)
    siblings = _siblings(unit)
    count_target = vneid_target(plan)
    rate_target = next((t for t in targets if t.indicator == VNEID_RATE), None)
    period = (count_target.period if count_target else None) or (
        rate_target.period if rate_target else None
    )
    everyone = list({u.code: u for u in [unit, *siblings, *children]}.values())
    progress = {p.code: p for p in progress_for(everyone, day, plan)}
    cards = _vneid_cards(unit, day, plan, targets, siblings, progress, share, count_target)
    # Units below rank by % of their activated-accounts target, or by share of
    # eligible citizens where none is allocated (hamlets).
    child_ranks = peer_ranks(
        {
            c.code: progress[c.code].percent_of_target
            if progress[c.code].target is not None
            else progress[c.code].rate_of_eligible
            for c in children
        }
    )
    rows = []
    for child in children:
        p = progress[child.code]
        rows.append(
            ChildRow(
                unit=child,
                eligible=p.counts.eligible,
                activated=p.activated,
                rate_of_eligible=p.rate_of_eligible,
                target=p.target,
                percent_of_target=p.percent_of_target,
                light=_count_light(p, period.start, period.end, share) if period else None,
                rank=_rank(child_ranks, child.code, len(children)),
                cells={},
            )
        )
    return cards, rows


def unit_dashboard(unit: Unit, day: dt.date, plan: Plan | None, children: list[Unit]) -> Dashboard:
    """The dashboard of `unit` on `day`; `children` are the units below it the reader
    may see (in scope, whole subtrees are visible, so the cache is shared by readers).

    The VNeID and the TTHC halves are cached apart, each under the version of its
    own counts: a citizens' import leaves the TTHC figures cached, and the reverse."""
    if plan is None:
        return Dashboard(day, [], [], [])
    who = hashlib.sha1(",".join(c.code for c in children).encode(), usedforsecurity=False)
    key = f"{unit.code}:{day.isoformat()}:{plan.pk}:{who.hexdigest()[:12]}"
    vneid_cards, rows = stored.cached(
        f"vneid:{key}", lambda: _vneid_part(unit, day, plan, children), stored.VNEID
    )
    tthc_cards, cells, columns = stored.cached(
        f"tthc:{key}",
        lambda: _tthc(
            unit,
            day,
            plan,
            targets_for_unit(plan, unit),
            children,
            _siblings(unit),
            pace_share(plan),
        ),
        stored.TTHC,
    )
    for row in rows:
        row.cells = cells.get(row.unit.code, {})
    return Dashboard(day, vneid_cards + tthc_cards, rows, columns)
