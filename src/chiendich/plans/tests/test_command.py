"""`chiendich plan load` and `chiendich plan show`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chiendich.plans.models import Plan
from chiendich.units.models import Unit

from .conftest import PLAN_383


def _run(*args: str) -> str:
    out = StringIO()
    call_command("plan", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_prints_what_changed_then_nothing(tien_giang: Unit) -> None:
    first = _run("load", str(PLAN_383))
    assert "Kế hoạch 383/KH-UBND (tien-giang-383-2023): thêm mới" in first
    assert "thêm mới chỉ tiêu online_dossier_xa" in first
    assert "không có gì thay đổi" in _run("load", str(PLAN_383))


@pytest.mark.django_db
def test_show_json_parses_with_iso_dates(plan_383: Plan) -> None:
    data = json.loads(_run("show", "--format", "json"))
    assert data["code"] == "tien-giang-383-2023"
    assert 903203 in [t["value"] for t in data["targets"]]
    assert data["periods"][1]["start"] == "2023-09-01"
    assert data["emulation"]["score"]["weights"]["vneid_activated_accounts"] == 0.35


@pytest.mark.django_db
def test_show_table_uses_vietnamese_numbers_and_dates(plan_383: Plan) -> None:
    text = _run("show", "--plan", "tien-giang-383-2023")
    assert "903.203" in text
    assert "903203" not in text
    assert "20/08/2023" in text and "10/11/2023" in text
    assert "2023-08-20" not in text
    for heading in ("Đợt cao điểm", "Chỉ tiêu", "Chế độ báo cáo", "Việc có hạn", "Thi đua"):
        assert heading in text


@pytest.mark.django_db
def test_show_without_plans_or_with_unknown_code(tien_giang: Unit) -> None:
    with pytest.raises(CommandError, match="Chưa nạp kế hoạch nào"):
        _run("show")
    with pytest.raises(CommandError, match="Không có kế hoạch mã “khong-co”"):
        _run("show", "--plan", "khong-co")
