"""`chiendich kpi`: the JSON for the province and one commune of each type, on a small
simulated dataset, with the keys KPI_JSON.md documents."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chiendich.procedures.indicators import INDICATORS
from chiendich.procedures.selectors import unit_kpi
from chiendich.procedures.simulate import dossiers_simulate
from chiendich.units.models import Unit

from .conftest import PHUONG, THI_TRAN, XA

pytestmark = pytest.mark.django_db

TOP_KEYS = {"unit", "from", "to", "plan", "indicators"}
INDICATOR_KEYS = {
    "key", "name", "variant", "from", "to", "levels", "numerator", "denominator", "rate",
    "target", "target_key", "stretch", "met", "threshold", "pmax", "score", "forms", "area",
    "breakdown",
}  # fmt: skip
BREAKDOWN_KEYS = {"level", "unit_type", "numerator", "denominator", "rate", "target", "met"}


def kpi_json(code: str) -> dict[str, Any]:
    out = StringIO()
    call_command(
        "kpi", "--unit", code, "--from", "2023-09-01", "--to", "2023-10-30", "--format", "json",
        stdout=out,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


@pytest.mark.parametrize(
    ("code", "online_target", "payment_target"),
    [("82", 70, 40), (XA, 25, 30), (PHUONG, 55, 30), (THI_TRAN, 45, 30)],
)
def test_kpi_json_for_the_province_and_each_commune_type(
    demo_province: Unit, code: str, online_target: int, payment_target: int
) -> None:
    dossiers_simulate(scale=0.01)
    data = kpi_json(code)
    assert set(data) == TOP_KEYS
    assert data["unit"]["code"] == code and data["plan"] == "tien-giang-383-2023"
    assert [i["key"] for i in data["indicators"]] == [i.key for i in INDICATORS]
    expected = unit_kpi(Unit.objects.get(code=code), dt.date(2023, 9, 1), dt.date(2023, 10, 30))
    for item, result in zip(data["indicators"], expected.indicators, strict=True):
        assert set(item) == INDICATOR_KEYS
        assert all(set(b) == BREAKDOWN_KEYS for b in item["breakdown"])
        assert (item["numerator"], item["denominator"]) == (result.numerator, result.denominator)
        if item["denominator"]:
            rate = Decimal(item["numerator"] * 100) / item["denominator"]
            assert item["rate"] == float(rate.quantize(Decimal("0.01")))
        else:
            assert item["rate"] is None and item["met"] is None
        if item["target"] is not None and item["rate"] is not None:
            assert item["met"] == (item["rate"] >= item["target"])
    by_key = {i["key"]: i for i in data["indicators"]}
    assert by_key["online_dossier_rate"]["target"] == online_target
    assert by_key["online_payment_rate"]["target"] == payment_target
    assert by_key["online_dossier_rate"]["denominator"] > 0
    coverage = by_key["result_reuse_rate"]
    assert (coverage["from"], coverage["target"], coverage["stretch"]) == ("2023-09-01", 100, False)


def test_kpi_table_and_errors(demo_province: Unit, tmp_path: Path) -> None:
    dossiers_simulate(scale=0.01)
    out = StringIO()
    call_command("kpi", "--unit", XA, "--from", "2023-09-01", "--to", "2023-10-30", stdout=out)
    text = out.getvalue()
    assert "Tỷ lệ hồ sơ trực tuyến" in text and "Chỉ tiêu %" in text
    with pytest.raises(CommandError, match="Không có đơn vị"):
        call_command("kpi", "--unit", "00000", "--from", "2023-09-01", "--to", "2023-10-30")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("kpi", "--unit", XA, "--from", "01/09/2023", "--to", "2023-10-30")
