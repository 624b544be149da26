"""Emulation: weighted score from the plan file, bonus, competition ranks, lagging (the one
status model's "behind"), forecast to miss."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from chiendich.core.status import BEHIND, MET, ON_PACE, count_status, rate_forecast, status
from chiendich.reporting.content import _status_values
from chiendich.reporting.emulation import IndicatorStatus, standings
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


SHARE = Decimal("0.8")


def count_state(activated: int, target: int, week_ago: int, base: int = 0) -> IndicatorStatus:
    """The VNeID accounts' status as indicator_statuses computes it (count_status)."""
    cs = count_status(
        activated, target, base=base, earlier=week_ago, earlier_day=DAY - dt.timedelta(days=7),
        day=DAY, start=START, end=END, share=SHARE,
    )  # fmt: skip
    return IndicatorStatus(
        "count", Decimal(activated), Decimal(target), cs.forecast_end, cs.expected, cs.light, SHARE
    )


def rate_state(now: tuple[int, int], week_ago: tuple[int, int], target: str) -> IndicatorStatus:
    value = Decimal(now[0] * 100) / now[1]
    forecast = rate_forecast(now, week_ago, 7, (END - DAY).days)
    light = status(value, Decimal(target), forecast_end=forecast, expected=Decimal(target))
    return IndicatorStatus("percent", value, Decimal(target), forecast, Decimal(target), light)


def test_weighted_score_bonus_ranks_and_lagging() -> None:
    units = [unit("a"), unit("b"), unit("c"), unit("d")]
    progress_by = {
        "a": progress("a", 1100, 1000, 1000),  # 110% of target: capped at 100%, +1 bonus
        "b": progress("b", 500, 1000, 300),  # 50%: on pace for half the period
        "c": progress("c", 300, 1000, 290),  # 30% < 0.8 x 50%: lagging, too slow to make it
        "d": progress("d", 500, 1000, 300),
    }
    kpis = {"a": kpi("50", "50"), "b": kpi("25", "50"), "c": kpi("50", "50"), "d": kpi("25", "50")}
    statuses = {
        code: {"vneid_activated_accounts": count_state(p.activated, 1000, p.activated_week_ago)}
        for code, p in progress_by.items()
    }
    # b's rate: 25% of a 50% target; its last week at 30% cannot lift it to 50% by the end.
    statuses["b"]["online_dossier_rate"] = rate_state((250, 1000), (220, 900), "50")
    # d's rate: also 25%, but its last week ran at 90%: forecast to reach 50%.
    statuses["d"]["online_dossier_rate"] = rate_state((250, 1000), (10, 700), "50")
    statuses["a"]["online_dossier_rate"] = rate_state((50, 100), (40, 80), "50")
    statuses["c"]["online_dossier_rate"] = rate_state((50, 100), (40, 80), "50")
    ranked = standings(units, PLAN, progress=progress_by, kpis=kpis, statuses=statuses)  # type: ignore[arg-type]
    by = {s.unit.code: s for s in ranked}
    assert by["a"].score == Decimal("100.00") and by["a"].bonus == 1 and by["a"].rank == 1
    assert by["c"].score == Decimal("65.00")  # (0.5 x 0.3 + 0.5 x 1.0) x 100
    assert by["b"].score == by["d"].score == Decimal("50.00")
    assert [s.unit.code for s in ranked] == ["a", "c", "b", "d"]
    assert [s.rank for s in ranked] == [1, 2, 3, 3]  # tied units share a rank
    # Lagging is exactly the status model's "behind", whatever the share of the target.
    assert by["c"].lagging == ["vneid_activated_accounts"]  # 300 + 10/7 x 30 days < 1000
    assert by["b"].lagging == ["online_dossier_rate"]
    assert by["d"].lagging == []  # the same 25% rate, forecast to reach its target
    assert by["d"].achievements["online_dossier_rate"].status.status == ON_PACE  # type: ignore[union-attr]
    assert by["a"].achievements["vneid_activated_accounts"].status.status == MET  # type: ignore[union-attr]
    for s in ranked:
        for key in s.achievements:
            assert (key in s.lagging) == (statuses[s.unit.code][key].status == BEHIND)
    assert by["c"].forecast_miss and not by["b"].forecast_miss


def test_a_unit_without_a_tthc_target_is_scored_on_what_it_has() -> None:
    ranked = standings(
        [unit("a")], PLAN, progress={"a": progress("a", 800, 1000, 700)}, kpis={}, statuses={},
    )  # type: ignore[arg-type]  # fmt: skip
    assert ranked[0].score == Decimal("80.00")
    assert ranked[0].lagging == []  # no status known: not listed as lagging


def test_a_steady_line_from_zero_no_longer_makes_every_unit_look_ahead() -> None:
    # 560.000 accounts on the first day, 600.000 of 903.203 on day 30 of 60: on the old
    # line from 0 it was 66% of target against 50% expected, "ahead"; from its own start
    # the steady pace is ~728.700 by now (29 of 59 steps), and its last week misses the target.
    state = count_state(600_000, 903_203, 595_000, base=560_000)
    assert state.status == BEHIND and state.forecast_end is not None
    assert state.forecast_end < 903_203 and state.expected is not None
    assert 728_000 < state.expected < 729_000


def test_a_lagging_row_shows_what_the_status_compared() -> None:
    behind = count_state(300, 1000, 290)
    row = _status_values(behind)
    assert row["measure"] == "count" and row["value"] == 300 and row["target"] == 1000
    assert row["forecast_end"] == int(behind.forecast_end) < 1000  # type: ignore[arg-type]
    assert row["needed_now"] is None  # a forecast decided: the steady pace did not
    # No forecast yet (one day of data): the plan's share of the steady pace decides.
    early = IndicatorStatus(
        "count", Decimal(100), Decimal(1000), None, Decimal("200.4"), BEHIND, SHARE
    )
    assert _status_values(early)["needed_now"] == 161  # 0,8 x 200,4 = 160,32, rounded up
    rate = rate_state((250, 1000), (220, 900), "50")
    row = _status_values(rate)
    assert row["measure"] == "percent" and row["value"] == 25.0 and row["target"] == 50.0
    assert row["forecast_end"] is not None and row["forecast_end"] < 50
