"""The status model checked over a whole campaign: for every territorial unit (down
to communes) and every indicator it has a target for, on a day, the status, the
forecast and the target agree, and the reports' lagging list says the same as the
dashboard's light.

One function (`check_statuses`) serves the test suite (web/tests/test_status.py, on
a demo) and the command line (`chiendich check_status [--date D]`, on any database).
It reads only; what it finds is a list of sentences, empty when all agree.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chiendich.core.status import BEHIND, MET, ON_PACE
from chiendich.plans.models import Plan
from chiendich.reporting.emulation import indicator_statuses, pace_share
from chiendich.units.models import Kind, Level, Unit

from .dashboard import VNEID_COUNT, VNEID_RATE, unit_dashboard


@dataclass
class StatusCheck:
    """What a check looked at and what disagreed."""

    day: dt.date
    units: int = 0
    checked: int = 0  # (unit, indicator) figures checked, cards and rows below together
    compared: int = 0  # statuses compared between the dashboard and the reports
    behind: int = 0  # of those, behind (the reports' lagging list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def _agrees(
    value: Any,
    target: Any,
    light: str | None,
    forecast: Any,
    expected: Any,
    share: Decimal,
    where: str,
    problems: list[str],
) -> None:
    """The rule (core.status) read back from a figure: met exactly when the value
    reaches the target; on pace only with a forecast reaching it (or, without a
    forecast, the value at the plan's share of the steady pace); behind with a
    forecast short of it."""
    if target is None or value is None:
        if light is not None:
            problems.append(f"{where}: status {light} without a value or a target")
        return
    if (light == MET) != (value >= target):
        problems.append(f"{where}: status {light}, value {value}, target {target}")
    if light == ON_PACE:
        if forecast is not None and forecast < target:
            problems.append(f"{where}: on pace, forecast {forecast} < target {target}")
        if forecast is None and expected is not None and value < share * Decimal(expected):
            problems.append(f"{where}: on pace, {value} < {share} x steady pace {expected}")
    if light == BEHIND and forecast is not None and forecast >= target:
        problems.append(f"{where}: behind, forecast {forecast} >= target {target}")


def check_statuses(day: dt.date, province: Unit, plan: Plan) -> StatusCheck:
    """Check every territorial unit of `province` above the hamlets on `day`:

    - every dashboard card, row below and TTHC cell: status, forecast and target agree
      (`_agrees`); a count's forecast is never below its value; the steady-pace line
      runs from the value on the period's first day to the target; a forecast date
      is given exactly when on pace;
    - the reports' statuses (reporting.emulation.indicator_statuses, read per level
      over the whole province as the province's report does) equal the dashboard's
      light for the same unit and indicator, both on the unit's own page and in its
      parent's table of units below: a unit is in the lagging list exactly when the
      dashboard shows it behind.
    """
    began = time.perf_counter()
    out = StatusCheck(day)
    problems = out.problems
    share = pace_share(plan)
    units = list(
        Unit.objects.subtree(province)
        .filter(kind=Kind.TERRITORIAL)
        .exclude(level=Level.HAMLET)
        .order_by("path")
    )
    units = [u for u in units if u.is_valid_on(day)]
    out.units = len(units)
    lights: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for unit in units:
        children = [
            c
            for c in Unit.objects.filter(parent=unit, kind=Kind.TERRITORIAL).order_by("path")
            if c.is_valid_on(day)
        ]
        board = unit_dashboard(unit, day, plan, children)
        for card in board.cards:
            where = f"{unit.code} {card.key} {day}"
            _agrees(
                card.value,
                card.target,
                card.light,
                card.forecast_end,
                card.expected,
                share,
                where,
                problems,
            )
            if card.key == VNEID_COUNT:
                if card.forecast_end is not None and card.forecast_end < card.value:  # type: ignore[operator]
                    problems.append(f"{where}: forecast {card.forecast_end} < {card.value}")
                pace, actual = card.chart["pace"], card.chart["actual"]
                if pace[0] != actual[0] or pace[-1] != card.target:
                    problems.append(f"{where}: steady pace {pace[0]}..{pace[-1]}")
                if (card.forecast_date is not None) != (card.forecast_note == "on_pace"):
                    problems.append(f"{where}: forecast date {card.forecast_date}")
            lights.setdefault((unit.code, card.key), []).append(("page", card.light))
            out.checked += 1
        for row in board.children:
            where = f"{row.unit.code} below {unit.code} {day}"
            if row.target is not None:
                _agrees(
                    row.activated,
                    row.target,
                    row.light,
                    row.forecast_end,
                    None,
                    share,
                    where,
                    problems,
                )
                if row.forecast_end is not None and row.forecast_end < row.activated:
                    problems.append(f"{where}: forecast {row.forecast_end} < {row.activated}")
                lights.setdefault((row.unit.code, VNEID_COUNT), []).append(
                    (f"below {unit.code}", row.light)
                )
                out.checked += 1
            for key, c in row.cells.items():
                _agrees(
                    c.value,
                    c.target,
                    c.light,
                    c.forecast_end,
                    c.target,
                    share,
                    f"{where} {key}",
                    problems,
                )
                lights.setdefault((row.unit.code, key), []).append((f"below {unit.code}", c.light))
                out.checked += 1
    # The reports' statuses, one level at a time as a report's table reads them.
    levels: dict[str, list[Unit]] = {}
    for unit in units:
        levels.setdefault(unit.level, []).append(unit)
    reported: set[tuple[str, str]] = set()
    for peers in levels.values():
        statuses = indicator_statuses(peers, plan, day=day, scope=province)
        for unit in peers:
            for key, state in statuses[unit.code].items():
                reported.add((unit.code, key))
                seen = lights.get((unit.code, key))
                if not seen:
                    problems.append(f"{unit.code} {key} {day}: in the reports, not on a dashboard")
                    continue
                for place, light in seen:
                    out.compared += 1
                    if light != state.status:
                        problems.append(
                            f"{unit.code} {key} {day}: report {state.status}, dashboard "
                            f"({place}) {light}"
                        )
                out.behind += state.status == BEHIND
    codes = {u.code for u in units}
    for (code, key), seen in lights.items():
        # The activation rate is shown, not ranked: the reports carry no status for it.
        shown = any(light is not None for _, light in seen)
        if shown and code in codes and key != VNEID_RATE and (code, key) not in reported:
            problems.append(f"{code} {key} {day}: on a dashboard, not in the reports")
    out.seconds = time.perf_counter() - began
    return out
