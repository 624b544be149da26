"""Emulation: weighted score from the plan file, bonus, competition ranks, lagging, forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from chiendich.reporting.emulation import elapsed_share, standings
from chiendich.vneid.progress import Counts, Progress

START, END = dt.date(2023, 8, 20), dt.date(2023, 10, 18)
DAY = dt.date(2023, 9, 18)  # day 30 of 60: half the period gone


def unit(code: str) -> SimpleNamespace:
    return SimpleNamespace(code=code, path=f"82/{code}/")


def progress(code: str, activated: int, target: int, week_ago: int) -> Progress:
    return Progress(
        code=code, name=code, level="district", date=DAY,
        counts=Counts(eligible=10_000, activated_l1=activated), target=target,
        period_end=END, activated_week_ago=week_ago,
    )  # fmt: skip


def kpi(rate: str, target: str) -> SimpleNamespace:
    result = SimpleNamespace(key="online_dossier_rate", rate=Decimal(rate), target=Decimal(target))
    return SimpleNamespace(indicators=[result])


PLAN = SimpleNamespace(
    emulation={
        "score": {
            "achievement_cap": 1,
            "weights": {"vneid_activated_accounts": 0.5, "online_dossier_rate": 0.5},
        },
        "bonus": {"points_per_target_exceeded": 1},
        "lagging": {"pace_share": 0.8},
    }
)


def test_elapsed_share() -> None:
    assert elapsed_share(DAY, START, END) == Decimal(30) / 60
    assert elapsed_share(START - dt.timedelta(days=3), START, END) == 0
    assert elapsed_share(END + dt.timedelta(days=3), START, END) == 1


def test_weighted_score_bonus_ranks_and_lagging() -> None:
    units = [unit("a"), unit("b"), unit("c"), unit("d")]
    progress_by = {
        "a": progress("a", 1100, 1000, 1000),  # 110% of target: capped at 100%, +1 bonus
        "b": progress("b", 500, 1000, 300),  # 50%: on pace for half the period
        "c": progress("c", 300, 1000, 290),  # 30% < 0.8 x 50%: lagging, too slow to make it
        "d": progress("d", 500, 1000, 300),
    }
    kpis = {"a": kpi("50", "50"), "b": kpi("25", "50"), "c": kpi("50", "50"), "d": kpi("25", "50")}
    ranked = standings(
        units, PLAN, day=DAY, progress=progress_by, kpis=kpis, vneid_period=(START, END)
    )  # type: ignore[arg-type]
    by = {s.unit.code: s for s in ranked}
    assert by["a"].score == Decimal("100.00") and by["a"].bonus == 1 and by["a"].rank == 1
    assert by["c"].score == Decimal("65.00")  # (0.5 x 0.3 + 0.5 x 1.0) x 100
    assert by["b"].score == by["d"].score == Decimal("50.00")
    assert [s.unit.code for s in ranked] == ["a", "c", "b", "d"]
    assert [s.rank for s in ranked] == [1, 2, 3, 3]  # tied units share a rank
    assert by["c"].lagging == ["vneid_activated_accounts"]
    assert by["b"].lagging == ["online_dossier_rate"]  # 50% of a rate target < 80%
    assert by["c"].forecast_miss and not by["b"].forecast_miss
    assert by["a"].achievements["vneid_activated_accounts"].expected_percent == Decimal("50.00")


def test_a_unit_without_a_tthc_target_is_scored_on_what_it_has() -> None:
    ranked = standings(
        [unit("a")], PLAN, day=DAY, progress={"a": progress("a", 800, 1000, 700)}, kpis={},
        vneid_period=(START, END),
    )  # type: ignore[arg-type]  # fmt: skip
    assert ranked[0].score == Decimal("80.00")
