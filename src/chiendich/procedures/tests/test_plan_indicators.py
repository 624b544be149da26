"""The plan file's `indicators` section: formula variants the code offers, national-index
scoring, each refused with a message at its place when wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chiendich.plans.schema import PlanFileError, load_plan_file
from chiendich.plans.tests.conftest import PLAN_383, item
from chiendich.procedures.indicators import INDICATORS
from chiendich.procedures.selectors import indicator_settings


def test_plan_383_declares_every_tthc_indicator_with_its_variant_and_scoring() -> None:
    plan = load_plan_file(PLAN_383)
    declared = {i.key: i for i in plan.indicators}
    for indicator in INDICATORS:
        spec = declared[indicator.key]
        assert spec.scoring is not None, indicator.key
        if len(indicator.variants) > 1:
            assert spec.variant == indicator.variants[0], indicator.key


def _problems(write: Callable[..., Path], change: Callable[[dict[str, Any]], None]) -> list[str]:
    with pytest.raises(PlanFileError) as exc:
        load_plan_file(write(change))
    return exc.value.lines


def test_an_unknown_variant_is_refused(write_variant: Callable[..., Path]) -> None:
    def change(data: dict[str, Any]) -> None:
        item(data, "indicators", "online_payment_rate")["variant"] = "cash"
        item(data, "indicators", "electronic_result_rate")["variant"] = "received"

    lines = _problems(write_variant, change)
    assert any(
        "indicators[" in line
        and ".variant: không có biến thể “cash”; dùng một trong: any_gateway, national_portal"
        in line
        for line in lines
    ), lines
    assert any("không có biến thể công thức nào" in line for line in lines), lines


def test_scoring_needs_a_threshold_it_can_find(write_variant: Callable[..., Path]) -> None:
    def change(data: dict[str, Any]) -> None:
        item(data, "indicators", "on_time_rate")["scoring"] = {"pmax": 20, "threshold": "target"}
        item(data, "indicators", "vneid_activated_accounts")["scoring"] = {"pmax": 5}

    lines = "\n".join(_problems(write_variant, change))
    assert "scoring.threshold: không có chỉ tiêu nào" in lines
    assert "chỉ tính điểm cho chỉ số đo bằng tỷ lệ" in lines


def test_scoring_values_are_checked(write_variant: Callable[..., Path]) -> None:
    def change(data: dict[str, Any]) -> None:
        item(data, "indicators", "data_reuse_rate")["scoring"] = {"pmax": 0, "threshold": 120}

    lines = "\n".join(_problems(write_variant, change))
    assert "scoring.pmax: phải lớn hơn 0" in lines
    assert "scoring.threshold: ngưỡng phải là “target”" in lines


@pytest.mark.django_db
def test_settings_fall_back_to_the_code_defaults_without_a_plan() -> None:
    settings = indicator_settings(None)
    assert [s.indicator.key for s in settings] == [i.key for i in INDICATORS]
    assert all(s.pmax is None and s.threshold is None for s in settings)
    assert settings[0].variant == "received"
