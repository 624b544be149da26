"""The dashboard of one unit on one day: every indicator the plan sets for it, with
its value, target, traffic light, trend, forecast and rank among its peers, and
the same figures for each unit below it.

Figures come from stored counts only (vneid DailyCount summed up the tree,
procedures DossierCount through `units_kpi`), never from citizens or dossiers,
and the whole result is cached per (unit, day) under the data version (see
stored.py), so a province overview is a few index reads once warm.

Traffic light: met / on pace / behind, one rule for every indicator and unit,
written once in status.py (and shown on the page under the cards).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils.functional import Promise

from chiendich.core.caching import process_cache
from chiendich.core.status import (  # CountStatus ... tthc_earlier_day re-exported here
    BEHIND,
    FORECAST_WINDOW,
    MET,
    ON_PACE,
    STATUS_LABELS,
    CountStatus,
    count_status,
    kpi_forecast,
    kpi_status,
    rate_forecast,
    status,
    steady_pace,
    tthc_earlier_day,
    window_start,
)
from chiendich.plans.models import Plan, Target, TargetAllocation
from chiendich.plans.selectors import targets_for_unit
from chiendich.procedures.indicators import FormCounts, Sums
from chiendich.procedures.models import FORM_FIELDS
from chiendich.procedures.selectors import IndicatorResult, indicator_settings, select_forms
from chiendich.procedures.selectors import units_kpi as tthc_units_kpi
from chiendich.reporting.emulation import pace_share
from chiendich.units.models import Kind, Level, Unit, path_codes
from chiendich.vneid.progress import (
    Counts,
    Progress,
    progress_rows,
    rate,
    rollup,
    vneid_target,
)

from . import stored
from .selectors import peer_ranks

__all__ = [
    "BEHIND",
    "MET",
    "ON_PACE",
    "CountStatus",
    "count_status",
    "kpi_forecast",
    "tthc_earlier_day",
]
VNEID_COUNT = "vneid_activated_accounts"
VNEID_RATE = "vneid_activation_rate"
HUNDRED = Decimal(100)


def light_label(light: str | None) -> str | Promise:
    return STATUS_LABELS.get(light or "", "—")


def expected_by(
    target: Decimal, measure: str, start: dt.date, end: dt.date, day: dt.date, base: Any = 0
) -> Decimal:
    """What a steady pace reaches by `day` (status.steady_pace): from `base`, the unit's
    value on the period's first day, to a count target; the target itself for a rate."""
    return steady_pace(target, measure, start, end, day, base)


def traffic_light(
    value: Decimal | int | None,
    target: Decimal | int | None,
    expected: Decimal | None,
    share: Decimal,
    forecast_reaches: bool | None = None,
) -> str | None:
    """status.status when only whether the forecast reaches the target is known
    (None: no forecast yet, the steady pace decides)."""
    if forecast_reaches is None or value is None or target is None:
        return status(value, target, expected=expected, share=share)
    return status(value, target, forecast_end=target if forecast_reaches else -1, share=share)


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
    forecast_end: Decimal | None = None


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
    forecast_end: Decimal | None = None


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


def _base(counts: Counts | None) -> int:
    """A unit's activated accounts on the period's first day (the steady pace's start)."""
    return counts.activated if counts else 0


def _rate_status_forecast(
    points: dict[dt.date, tuple[int, int]],
    day: dt.date,
    end: dt.date,
    *,
    denominator_cumulative: bool = True,
) -> Decimal | None:
    """The rate at `end` from its numerator and denominator on `day` and on the day
    a week earlier (status.rate_forecast); None without two days of data."""
    if day not in points:
        return None
    earlier_day = window_start(list(points), day)
    if earlier_day is None:
        return None
    return rate_forecast(
        points[day],
        points[earlier_day],
        (day - earlier_day).days,
        (end - day).days,
        denominator_cumulative=denominator_cumulative,
    )


def _chart(
    measure: str,
    start: dt.date,
    end: dt.date,
    day: dt.date,
    actual: dict[dt.date, Any],
    target: Decimal | int | None,
    forecast_end: Decimal | None,
    base: int = 0,
) -> dict[str, Any]:
    """ECharts-ready series over the whole period: actual up to the day, a dashed
    forecast from the day to the period end, the target and (counts) the steady pace
    from `base`, the unit's value on the period's first day."""
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
            _json_number(steady_pace(target, "count", start, end, d, base).quantize(Decimal(1)))
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
    series: list[stored.VneidDay] | None = None,
) -> list[Card]:
    cards: list[Card] = []
    own = progress[unit.code]
    rate_target = next((t for t in targets if t.indicator == VNEID_RATE), None)
    period = (count_target or rate_target).period if (count_target or rate_target) else None  # type: ignore[union-attr]
    if period is None:
        return cards
    start, end = period.start, period.end
    if series is None:
        series = stored.vneid_series(unit, start, min(day, end))
    by_day = {p.day: p for p in series}
    names = {i.get("key"): i.get("name") for i in plan.document.get("indicators", []) if i}
    if own.target is not None:
        base = series[0].activated if series else 0
        earlier_day = window_start(list(by_day), day)
        earlier = by_day[earlier_day].activated if earlier_day else own.activated
        cs = count_status(
            own.activated,
            own.target,
            base=base,
            earlier=earlier,
            earlier_day=earlier_day,
            day=day,
            start=start,
            end=end,
            share=share,
        )
        ranks = peer_ranks({s.code: progress[s.code].percent_of_target for s in siblings})
        cards.append(
            Card(
                key=VNEID_COUNT,
                name=names.get(VNEID_COUNT) or VNEID_COUNT,
                measure="count",
                value=own.activated,
                target=own.target,
                percent_of_target=own.percent_of_target,
                light=cs.light,
                start=start,
                end=end,
                expected=cs.expected.quantize(Decimal(1)) if cs.expected is not None else None,
                forecast_end=cs.forecast_end,
                forecast_date=cs.forecast_date,
                forecast_note=cs.forecast_note,
                rank=_rank(ranks, unit.code, len(siblings)),
                extra={
                    "activated_l1": own.counts.activated_l1,
                    "activated_l2": own.counts.activated_l2,
                    "new": own.counts.new_activations,
                    "needed": own.needed_daily_pace,
                    "recent_pace": own.recent_daily_pace,
                    "base": base,
                },
                chart=_chart(
                    "count",
                    start,
                    end,
                    day,
                    {p.day: p.activated for p in series},
                    own.target,
                    cs.forecast_end,
                    base,
                ),
            )
        )
    if rate_target is not None:
        points = [(p.day, rate(p.activated, p.eligible)) for p in series]
        value = own.rate_of_eligible
        forecast_end_rate = _rate_status_forecast(
            {p.day: (p.activated, p.eligible) for p in series},
            min(day, end),
            end,
            denominator_cumulative=False,
        )
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
                light=status(
                    value,
                    rate_target.value,
                    forecast_end=forecast_end_rate,
                    expected=rate_target.value,
                    share=share,
                ),
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


def tthc_fractions(
    unit: Unit,
    result: IndicatorResult,
    plan: Plan | None,
    daily: dict[dt.date, stored.TthcDay] | None = None,
) -> dict[dt.date, tuple[int, int]]:
    """The indicator's numerator and denominator over `result`'s window as they stood
    at the end of each day: the same formula and variant as units_kpi, on the counts
    summed from the window's first day to that day, plus the aggregate forms whose
    batch lies inside by then. The last point is the card's. `daily`
    (stored.tthc_daily of the unit) may cover a longer window than the result's; it
    is read when not given."""
    setting = next(s for s in indicator_settings(plan) if s.indicator.key == result.key)
    start, end = result.date_from, result.date_to
    if daily is None:
        daily = stored.tthc_daily(unit, start, end)
    forms: dict[int, list[Any]] = {}
    for form in stored.forms_under(unit, start, end):
        if form.unit.level in result.levels:
            forms.setdefault(form.unit_id, []).append(form)
    running: dict[Any, Any] = {}
    out: dict[dt.date, tuple[int, int]] = {}
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
        fraction = setting.indicator.formula(sums, setting.variant)
        out[d] = (fraction.numerator, fraction.denominator)
    return out


# Stored results are counted over a window by results.coverage, not per day.
NO_DAILY_SERIES = frozenset({"result_store_coverage"})


def tthc_trend(
    unit: Unit,
    result: IndicatorResult,
    plan: Plan | None,
    daily: dict[dt.date, stored.TthcDay] | None = None,
) -> dict[dt.date, Decimal | None]:
    """The indicator's rate at the end of each day of `result`'s window (tthc_fractions).

    An indicator whose numerator the daily counts do not hold (NO_DAILY_SERIES) has
    one known point, the card's own: a line drawn from the counts would read 0 every
    day and tell a reader the store was empty."""
    if result.key in NO_DAILY_SERIES:
        return {result.date_to: result.rate}
    return {d: rate(n, m) for d, (n, m) in tthc_fractions(unit, result, plan, daily).items()}


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
    kpis = {k.unit.code: k for k in units_kpi(units, period.start, end, plan)}
    earlier_day = tthc_earlier_day(period.start, end)
    earlier = (
        {k.unit.code: k for k in units_kpi([unit, *receiving], period.start, earlier_day, plan)}
        if earlier_day
        else {}
    )
    cards = []
    daily = stored.tthc_daily(unit, period.start, end)  # one read serves every indicator
    for result in kpis[unit.code].indicators:
        if result.target is None:
            continue
        trend = tthc_trend(unit, result, plan, daily)
        # From the window's figures (as the table's cells), which also hold what
        # the daily counts do not (the results store's coverage).
        forecast_end = kpi_forecast(result, earlier.get(unit.code), earlier_day, period.end)
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
                light=status(
                    result.rate,
                    result.target,
                    forecast_end=forecast_end,
                    expected=result.target,
                    share=share,
                ),
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
    cells, columns = tthc_cells(
        receiving,
        kpis,
        plan,
        share,
        earlier=earlier,
        earlier_day=earlier_day,
        period_end=period.end,
    )
    return cards, cells, columns


def units_kpi(units: list[Unit], start: dt.date, end: dt.date, plan: Plan) -> list[Any]:
    """procedures.selectors.units_kpi of `units`, each unit's figures cached apart under
    the TTHC data version in this process's memory: the pages of a province's hundred
    communes each rank their
    commune among the same siblings, whose figures are then computed once, not once
    per page (the import's refresh, web/warm.py). A unit's figures do not depend on
    the others asked with it."""
    version = stored.data_version(stored.TTHC)
    keys = {u.code: f"web:kpi:{u.code}:{start}:{end}:{plan.pk}:{version}" for u in units}
    memory = process_cache()
    found = memory.get_many(list(keys.values()))
    missing = list({u.code: u for u in units if keys[u.code] not in found}.values())
    fresh = tthc_units_kpi(missing, start, end, plan=plan) if missing else []
    if fresh:
        memory.set_many({keys[k.unit.code]: k for k in fresh}, stored.CACHE_SECONDS)
    by_code = {code: found[key] for code, key in keys.items() if key in found}
    by_code.update((k.unit.code, k) for k in fresh)
    return [by_code[u.code] for u in units]


def tthc_cells(
    units: list[Unit],
    kpis: dict[str, Any],
    plan: Plan,
    share: Decimal,
    *,
    earlier: dict[str, Any] | None = None,
    earlier_day: dt.date | None = None,
    period_end: dt.date | None = None,
) -> tuple[dict[str, dict[str, Cell]], list[tuple[str, str]]]:
    """The table of units by TTHC indicator: each unit's rate against its own target,
    with its status (forecast from `earlier`, the same units' figures on `earlier_day`),
    and the indicator columns any unit has a target for, in the plan's order."""
    cells: dict[str, dict[str, Cell]] = {}
    columns: dict[str, str] = {}
    for unit in units:
        row = cells.setdefault(unit.code, {})
        before = (earlier or {}).get(unit.code)
        for result in kpis[unit.code].indicators:
            if result.target is None:
                continue
            columns.setdefault(result.key, result.name)
            forecast = kpi_forecast(result, before, earlier_day, period_end)
            row[result.key] = Cell(
                result.rate,
                result.target,
                kpi_status(result, forecast, share),
                forecast,
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


@dataclass
class VneidInputs:
    """The stored VNeID counts the VNeID half of one page is computed from: the sums
    of the unit's territory by day over the period (stored.vneid_series), and the
    counts of the units it shows on the days it compares (vneid.progress.rollup), as
    they stood at `applied`, the highest in-place change (DailyCountChange) included.

    A door-to-door outcome changes one hamlet's rows in place and logs what it added
    (vneid.counts._run_add); `catch_up` adds those differences to these sums instead
    of reading every count of the province again. The sums are exact: the stored rows
    moved by exactly the logged amounts. Anything else (a recount, an import, a new
    row) moves the VNeID counts' own version and the inputs are read again."""

    path: str
    whole: bool  # the unit's territory is every unit (units.selectors.covers_everything)
    applied: int
    series: list[list[Any]]  # [day, activated, eligible, new activations]
    rollups: dict[dt.date, dict[str, Counts]]  # day -> unit code -> counts
    wanted: dict[dt.date, set[str]]  # the codes each rollup day keeps

    def catch_up(self, changes: list[stored.InPlaceChange]) -> None:
        for change in changes:
            if change.id <= self.applied:
                continue
            self.applied = change.id
            d = change.delta
            if (
                self.whole
                or change.path.startswith(self.path)
                or (change.successor_path.startswith(self.path))
            ):
                for point in self.series:
                    if change.first <= point[0] <= change.last:
                        point[1] += d["activated_l1"] + d["activated_l2"]
                        point[2] += d["eligible"]
                        point[3] += d["new_activations"]
            codes = path_codes(change.path, change.successor_path)
            for day, wanted in self.wanted.items():
                if not change.first <= day <= change.last:
                    continue
                totals = self.rollups[day]
                for code in codes:  # as rollup() adds a row, repeated codes included
                    if code in wanted:
                        counts = totals.get(code)
                        if counts is None:
                            counts = totals[code] = Counts()
                        for name, value in d.items():
                            setattr(counts, name, getattr(counts, name) + value)

    def series_days(self) -> list[stored.VneidDay]:
        return [stored.VneidDay(*point) for point in self.series]


_NOTHING = object()


def plan_memo[T](key: str, compute: Callable[[], T]) -> T:
    """`compute()` kept in this process's memory under the version of the change-logged
    rows and the unit trees (plans, targets, allocations, units: stored.Snapshot): what
    a page reads of its plan and units again each time its counts move."""
    snap = stored.snapshot()
    full = f"web:memo:{key}:{snap.changes}:{snap.trees}"
    memory = process_cache()
    found = memory.get(full, _NOTHING)
    if found is _NOTHING:
        found = compute()
        memory.set(full, found, stored.CACHE_SECONDS)
    return found  # type: ignore[return-value]


def _targets(plan: Plan, unit: Unit) -> list[Target]:
    return plan_memo(f"targets:{plan.pk}:{unit.code}", lambda: targets_for_unit(plan, unit))


def _vneid_target(plan: Plan) -> Target | None:
    return plan_memo(f"vneid-target:{plan.pk}", lambda: vneid_target(plan))


def _siblings_of(unit: Unit) -> list[Unit]:
    return plan_memo(f"siblings:{unit.code}", lambda: _siblings(unit))


def _vneid_period(plan: Plan, targets: list[Target]) -> Any:
    count_target = _vneid_target(plan)
    rate_target = next((t for t in targets if t.indicator == VNEID_RATE), None)
    return (count_target.period if count_target else None) or (
        rate_target.period if rate_target else None
    )


def vneid_inputs_read(
    unit: Unit, day: dt.date, plan: Plan, everyone: list[Unit], children: list[Unit]
) -> VneidInputs:
    """VneidInputs read from the stored counts (call inside stored.read_snapshot(), with
    `applied` set by the caller from the same snapshot)."""
    from chiendich.units.selectors import covers_everything

    period = _vneid_period(plan, _targets(plan, unit))
    series = (
        [
            [p.day, p.activated, p.eligible, p.new_activations]
            for p in stored.vneid_series(unit, period.start, min(day, period.end))
        ]
        if period
        else []
    )
    codes = {u.code for u in everyone}
    wanted: dict[dt.date, set[str]] = {day: set(codes)}
    wanted.setdefault(day - dt.timedelta(days=FORECAST_WINDOW), set()).update(codes)
    if period and children and series:  # count_statuses' days
        below = {c.code for c in children}
        days: list[dt.date] = [p[0] for p in series]  # type: ignore[misc]
        wanted.setdefault(days[0], set()).update(below)
        earlier_day = window_start(days, day)
        if earlier_day:
            wanted.setdefault(earlier_day, set()).update(below)
    return VneidInputs(
        path=unit.path,
        whole=covers_everything(unit),
        applied=0,
        series=series,
        rollups={d: rollup(d, codes=c) for d, c in wanted.items()},
        wanted=wanted,
    )


def vneid_inputs(
    key: str, unit: Unit, day: dt.date, plan: Plan, everyone: list[Unit], children: list[Unit]
) -> VneidInputs:
    """The VneidInputs of a page, up to date: from the cache, caught up on the in-place
    changes logged since they were read, or read whole when the VNeID counts' own
    version (recounts, imports), the plan or the units moved."""
    base = stored.snapshot().version(stored.VNEID, in_place=False)
    full = f"web:vneid-in:{key}:{base}"
    found: VneidInputs | None = cache.get(full)
    if found is not None and found.applied >= (stored.snapshot().in_place or 0):
        return found
    with stored.read_snapshot():  # the log and the counts as of one moment
        now = stored.snapshot_now()
        current = now.version(stored.VNEID, in_place=False) == base
        if found is not None and current:
            found.catch_up(stored.in_place_changes(found.applied))
            inputs = found
        else:
            inputs = vneid_inputs_read(unit, day, plan, everyone, children)
            inputs.applied = now.in_place or 0
    # Under the version the rows were read at (a recount since is another key).
    cache.set(
        f"web:vneid-in:{key}:{now.version(stored.VNEID, in_place=False)}",
        inputs,
        stored.CACHE_SECONDS,
    )
    return inputs


def _progress(units: list[Unit], day: dt.date, plan: Plan, inputs: VneidInputs) -> list[Progress]:
    """vneid.progress.progress_for of `units` on `day`, from the inputs' counts."""
    target = _vneid_target(plan)
    codes = hashlib.sha1(",".join(u.code for u in units).encode(), usedforsecurity=False)
    allocations: dict[int, int] = (
        plan_memo(
            f"allocations:{target.pk}:{codes.hexdigest()}",
            lambda: dict(
                TargetAllocation.objects.filter(target=target, unit__in=units).values_list(
                    "unit_id", "value"
                )
            ),
        )
        if target
        else {}
    )
    period_end = target.period.end if target and target.period else None
    week_ago = inputs.rollups[day - dt.timedelta(days=FORECAST_WINDOW)]
    return progress_rows(units, day, inputs.rollups[day], week_ago, allocations, period_end)


def _vneid_part(
    unit: Unit,
    day: dt.date,
    plan: Plan,
    children: list[Unit],
    inputs: VneidInputs | None = None,
) -> tuple[list[Card], list[ChildRow]]:
    """The VNeID cards of `unit` and the VNeID figures of each unit below it, from
    `inputs` (read now when not given)."""
    targets = _targets(plan, unit)
    share = pace_share(plan)
    siblings = _siblings_of(unit)
    count_target = _vneid_target(plan)
    period = _vneid_period(plan, targets)
    everyone = list({u.code: u for u in [unit, *siblings, *children]}.values())
    if inputs is None:
        with stored.read_snapshot():
            inputs = vneid_inputs_read(unit, day, plan, everyone, children)
    progress = {p.code: p for p in _progress(everyone, day, plan, inputs)}
    series = inputs.series_days()
    cards = _vneid_cards(unit, day, plan, targets, siblings, progress, share, count_target, series)
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
    statuses = (
        count_statuses(
            [progress[c.code] for c in children],
            unit,
            day,
            period.start,
            period.end,
            share,
            series=series,
            rollups=inputs.rollups,
        )
        if period
        else {}
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
                light=statuses[child.code].light if child.code in statuses else None,
                rank=_rank(child_ranks, child.code, len(children)),
                cells={},
                forecast_end=statuses[child.code].forecast_end if child.code in statuses else None,
            )
        )
    return cards, rows


def count_statuses(
    progress: list[Progress],
    unit: Unit,
    day: dt.date,
    start: dt.date,
    end: dt.date,
    share: Decimal,
    *,
    series: list[stored.VneidDay] | None = None,
    rollups: dict[dt.date, dict[str, Counts]] | None = None,
) -> dict[str, CountStatus]:
    """The activated-accounts status of each of `progress` (units under or formed into
    `unit`): their value on the period's first day, a week before `day` and on `day`.
    `series` and `rollups` (VneidInputs) spare reading the stored counts again."""
    if not progress:
        return {}
    if series is None:
        series = stored.vneid_series(unit, start, min(day, end))
    days = [p.day for p in series]
    codes = {p.code for p in progress}

    def counts_on(d: dt.date) -> dict[str, Counts]:
        if rollups is not None and d in rollups:
            return rollups[d]
        return rollup(d, codes=codes)

    first = counts_on(days[0]) if days else {}
    earlier_day = window_start(days, day)
    earlier = counts_on(earlier_day) if earlier_day else {}
    return {
        p.code: count_status(
            p.activated,
            p.target,
            base=_base(first.get(p.code)),
            earlier=earlier[p.code].activated if p.code in earlier else 0,
            earlier_day=earlier_day,
            day=day,
            start=start,
            end=end,
            share=share,
        )
        for p in progress
    }


def unit_dashboard(unit: Unit, day: dt.date, plan: Plan | None, children: list[Unit]) -> Dashboard:
    """The dashboard of `unit` on `day`; `children` are the units below it the reader
    may see (in scope, whole subtrees are visible, so the cache is shared by readers).

    The VNeID and the TTHC halves are cached apart, each under the version of its
    own counts: a citizens' import leaves the TTHC figures cached, and the reverse."""
    if plan is None:
        return Dashboard(day, [], [], [])
    who = hashlib.sha1(",".join(c.code for c in children).encode(), usedforsecurity=False)
    key = f"{unit.code}:{day.isoformat()}:{plan.pk}:{who.hexdigest()[:12]}"

    def vneid() -> tuple[list[Card], list[ChildRow]]:
        everyone = list({u.code: u for u in [unit, *_siblings_of(unit), *children]}.values())
        inputs = vneid_inputs(key, unit, day, plan, everyone, children)
        return _vneid_part(unit, day, plan, children, inputs)

    vneid_cards, rows = stored.cached(f"vneid:{key}", vneid, stored.VNEID)
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
