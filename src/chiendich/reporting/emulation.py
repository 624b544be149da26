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

Lagging (V.2.d): below `pace_share` x the expected share of target. For a count
(VNeID accounts) the expected share grows with the days of the period elapsed; for a
rate it is the whole target (a rate is not accumulated day by day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from chiendich.plans.models import Plan
from chiendich.procedures.selectors import UnitKpi
from chiendich.units.models import Unit
from chiendich.vneid.progress import VNEID_INDICATOR, Progress

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
            pace_share=Decimal(str((rules.get("lagging") or {}).get("pace_share", 0))),
        )


@dataclass
class Achievement:
    """One indicator of one unit against the unit's own target."""

    indicator: str
    value: Decimal | None
    target: Decimal | None
    percent: Decimal | None  # value / target x 100
    expected_percent: Decimal  # where a unit on pace would be now
    lagging: bool
    exceeded: bool


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


def elapsed_share(day: dt.date, start: dt.date, end: dt.date) -> Decimal:
    """Share of a period's days gone by at the end of `day` (0 before, 1 after)."""
    total = (end - start).days + 1
    gone = min(max((day - start).days + 1, 0), total)
    return Decimal(gone) / Decimal(total)


def _achievement(
    key: str, value: Decimal | None, target: Decimal | None, expected: Decimal, rules: Rules
) -> Achievement:
    percent = _percent(value, target)
    return Achievement(
        indicator=key,
        value=value,
        target=target,
        percent=percent,
        expected_percent=(expected * HUNDRED).quantize(TWO_PLACES, ROUND_HALF_UP),
        lagging=percent is not None and percent < rules.pace_share * expected * HUNDRED,
        exceeded=percent is not None and percent > HUNDRED,
    )


def standings(
    units: Sequence[Unit],
    plan: Plan,
    *,
    day: dt.date,
    progress: dict[str, Progress],
    kpis: dict[str, UnitKpi],
    vneid_period: tuple[dt.date, dt.date] | None,
) -> list[Standing]:
    """Rank `units` (peers of one level) on the plan's weighted indicators as of `day`.

    `progress` (VNeID) and `kpis` (TTHC over the TTHC window up to `day`) are keyed
    by unit code; an indicator missing for a unit is left out of its score.
    """
    rules = Rules.of(plan)
    vneid_expected = elapsed_share(day, *vneid_period) if vneid_period is not None else Decimal(1)
    out: list[Standing] = []
    for unit in units:
        achievements: dict[str, Achievement] = {}
        p = progress.get(unit.code)
        if VNEID_INDICATOR in rules.weights and p is not None and p.target:
            achievements[VNEID_INDICATOR] = _achievement(
                VNEID_INDICATOR, Decimal(p.activated), Decimal(p.target), vneid_expected, rules
            )
        kpi = kpis.get(unit.code)
        if kpi is not None:
            for result in kpi.indicators:
                if result.key in rules.weights and result.target is not None:
                    achievements[result.key] = _achievement(
                        result.key, result.rate, result.target, Decimal(1), rules
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
                forecast_miss=p is not None and p.forecast_note == "not_before_deadline",
                lagging=[k for k, a in achievements.items() if a.lagging],
            )
        )
    out.sort(key=lambda s: (-s.total, s.unit.path))
    for i, s in enumerate(out):
        s.rank = out[i - 1].rank if i and out[i - 1].total == s.total else i + 1
    return out
