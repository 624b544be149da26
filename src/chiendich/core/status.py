"""The status of every indicator of every unit on a day: met, on pace or behind.

One rule, used by the dashboard's cards, the table of units below, the history
pages, the exports, the home page's "units behind pace" and the reports' lagging
list (a unit lags on an indicator exactly when its status is behind). It lives in
core, below every app, so that reporting and web read the same functions:

- met: the value has reached the target;
- on pace: not yet, but the forecast for the end of the indicator's period
  reaches the target. So an indicator whose forecast misses its target is never
  on pace. When there is no forecast yet (fewer than two days of data), the
  value must be at least the plan's share (`pace_share`, 0.8 in Plan 383) of the
  steady pace by that day;
- behind: otherwise.

The forecast extrapolates the last seven days (`FORECAST_WINDOW`; fewer at the
start of a period) to the period's end:
- a count (activated accounts) gains its recent daily gain every day left, and a
  cumulative count never falls, so its forecast is never below its value;
- a rate is forecast from its numerator and denominator, each extrapolated the
  same way (dossiers and accounts only add up; a stock such as the eligible
  citizens may shrink), so it moves from today's rate toward the recent days'
  rate, and stays between 0 and 100. It can be lower than today's rate only when
  the recent days did worse than the period so far.
Forecasts are rounded down (a count to a whole number, a rate to 0,01), and the
status compares the rounded figure the page shows, so the forecast a reader sees
and the status always agree.

The steady pace of a count starts from the unit's value on the first day of the
period and reaches the target on its last day, in equal daily steps (a unit that
already had 560.000 accounts when the campaign began is not "ahead" for them);
the steady pace of a rate is the target itself, expected from the first day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy

MET, ON_PACE, BEHIND = "met", "on_pace", "behind"
FORECAST_WINDOW = 7  # days of recent pace a forecast extrapolates
HUNDRED = Decimal(100)
STATUS_LABELS = {
    MET: gettext_lazy("met"),
    ON_PACE: gettext_lazy("on pace"),
    BEHIND: gettext_lazy("behind"),
}
RULE_TEXT = gettext_lazy(
    "Met: the target is reached. On pace: not yet, but the forecast for the end of "
    "the period reaches the target (without a forecast yet: at least the plan's share "
    "of the steady pace by this day). Behind: otherwise. The forecast carries the last "
    "7 days' pace to the end of the period; a count's forecast is never below its "
    "value. The steady pace runs from the unit's value on the first day of the period "
    "to the target on its last day."
)

Number = Decimal | int | Fraction


def status(
    value: Number | None,
    target: Number | None,
    *,
    forecast_end: Number | None = None,
    expected: Number | None = None,
    share: Decimal = Decimal(1),
) -> str | None:
    """met / on_pace / behind as the module docstring defines them; None without a
    value or a target. `forecast_end` None means no forecast is known yet."""
    if value is None or target is None:
        return None
    if value >= target:
        return MET
    if forecast_end is not None:
        return ON_PACE if forecast_end >= target else BEHIND
    if expected is not None and Fraction(Decimal(str(value))) >= Fraction(share) * Fraction(
        Decimal(str(expected))
    ):
        return ON_PACE
    return BEHIND


def steady_pace(
    target: Number,
    measure: str,
    start: dt.date,
    end: dt.date,
    day: dt.date,
    base: Number = 0,
) -> Decimal:
    """What a steady pace reaches by `day`: for a count, a straight line from `base`
    (the unit's value on the period's first day) on `start` to `target` on `end`,
    equal steps each day; for a rate, the target itself."""
    target = Decimal(str(target))
    if measure != "count":
        return target
    base = Decimal(str(base))
    steps = (end - start).days
    if steps <= 0:
        return target
    elapsed = min(max((day - start).days, 0), steps)
    return base + (target - base) * elapsed / steps


def _floor(value: Fraction, places: str) -> Decimal:
    quantum = Decimal(places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(quantum, rounding=ROUND_FLOOR)


def grown(
    now: int, earlier: int, days_between: int, days_left: int, *, cumulative: bool
) -> Fraction:
    """`now` plus its recent daily change over `days_left` more days (exact); a
    cumulative count never falls, a stock never goes below 0."""
    change = Fraction(now - earlier, days_between)
    if cumulative:
        change = max(change, Fraction(0))
    return max(now + change * days_left, Fraction(0))


def count_forecast(now: int, earlier: int, days_between: int, days_left: int) -> Decimal | None:
    """A cumulative count at the period's end (whole number, rounded down), None
    without two days of data."""
    if days_between <= 0:
        return None
    return _floor(grown(now, earlier, days_between, max(days_left, 0), cumulative=True), "1")


def count_forecast_date(
    now: int, earlier: int, days_between: int, target: int, day: dt.date
) -> dt.date | None:
    """The day the recent pace reaches `target` (None if it never does, or only after the
    last day a date can hold); it falls on or before the period's end exactly when
    `count_forecast` reaches the target."""
    if now >= target:
        return day
    if days_between <= 0 or now <= earlier:
        return None
    pace = Fraction(now - earlier, days_between)
    days = math.ceil(Fraction(target - now) / pace)
    if days > (dt.date.max - day).days:
        return None  # a pace so slow it never arrives in the calendar (one account a week)
    return day + dt.timedelta(days=days)


def rate_forecast(
    now: tuple[int, int],
    earlier: tuple[int, int],
    days_between: int,
    days_left: int,
    *,
    denominator_cumulative: bool = True,
) -> Decimal | None:
    """A rate (numerator / denominator x 100) at the period's end, from its numerator
    and denominator each carried forward (0,01, rounded down, 0 to 100); None without
    two days of data or without a denominator at the end."""
    if days_between <= 0:
        return None
    left = max(days_left, 0)
    numerator = grown(now[0], earlier[0], days_between, left, cumulative=True)
    denominator = grown(now[1], earlier[1], days_between, left, cumulative=denominator_cumulative)
    if denominator <= 0:
        return None
    return min(_floor(numerator * 100 / denominator, "0.01"), HUNDRED)


def window_start(points: list[dt.date], day: dt.date) -> dt.date | None:
    """The day a forecast compares `day` with: the last of `points` at least
    FORECAST_WINDOW days before it, else the first of `points` (None if that is `day`)."""
    known = sorted(d for d in points if d <= day)
    if not known:
        return None
    earlier = [d for d in known if d <= day - dt.timedelta(days=FORECAST_WINDOW)]
    first = earlier[-1] if earlier else known[0]
    return None if first >= day else first


@dataclass
class CountStatus:
    """A count indicator's forecast and status on a day (the rule above)."""

    expected: Decimal | None  # the steady pace by the day, from the unit's own start
    forecast_end: Decimal | None
    forecast_date: dt.date | None  # set only when the recent pace reaches the target in time
    forecast_note: str  # "reached", "on_pace", "not_before_deadline" or "" (no forecast yet)
    light: str | None


def count_status(
    value: int,
    target: int | None,
    *,
    base: int,
    earlier: int,
    earlier_day: dt.date | None,
    day: dt.date,
    start: dt.date,
    end: dt.date,
    share: Decimal,
) -> CountStatus:
    """The forecast and status of an activated-accounts count: `base` is the unit's
    value on the period's first day, `earlier` its value on `earlier_day` (window_start)."""
    between = (day - earlier_day).days if earlier_day else 0
    left = max((end - day).days, 0)
    forecast = count_forecast(value, earlier, between, left)
    if target is None:
        return CountStatus(None, forecast, None, "", None)
    expected = steady_pace(target, "count", start, end, day, base)
    light = status(value, target, forecast_end=forecast, expected=expected, share=share)
    when = count_forecast_date(value, earlier, between, target, day) if between else None
    if value >= target:
        note = "reached"
    elif forecast is None:
        note = ""
    elif forecast >= target:
        note = "on_pace"
    else:
        note, when = "not_before_deadline", None
    return CountStatus(expected, forecast, when if note == "on_pace" else None, note, light)


def kpi_forecast(
    result: Any,
    before: Any,
    earlier_day: dt.date | None,
    period_end: dt.date | None,
) -> Decimal | None:
    """A TTHC rate at `period_end` from `result` (an IndicatorResult over the window up
    to its `date_to`) and the same unit's figures `before` (its UnitKpi up to
    `earlier_day`), by rate_forecast."""
    if before is None or earlier_day is None or period_end is None:
        return None
    old = before.indicator(result.key)
    return rate_forecast(
        (result.numerator, result.denominator),
        (old.numerator, old.denominator),
        (result.date_to - earlier_day).days,
        (period_end - result.date_to).days,
    )


def kpi_status(result: Any, forecast: Decimal | None, share: Decimal) -> str | None:
    """A TTHC rate's status: its target is both the goal and the steady pace (a rate is
    not accumulated day by day)."""
    return status(
        result.rate, result.target, forecast_end=forecast, expected=result.target, share=share
    )


def tthc_earlier_day(start: dt.date, end: dt.date) -> dt.date | None:
    """The day a TTHC forecast compares `end` with (window_start over the window)."""
    return window_start([start, max(start, end - dt.timedelta(days=FORECAST_WINDOW))], end)
