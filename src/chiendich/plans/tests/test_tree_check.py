"""A plan is read on its own dates: "82" is Tiền Giang in 2023 and Đồng Tháp in 2026, and
a plan naming a level or unit type its tree does not have is refused with the key path."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from chiendich.plans.models import Plan
from chiendich.plans.schema import PlanFileError, load_plan_file
from chiendich.plans.selectors import targets_for_unit
from chiendich.plans.services import PlanLoadError, plan_load
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Unit, UnitType

from .conftest import PLAN_383, REPO_ROOT, index_of, plan_data, row_counts

PLAN_2026 = REPO_ROOT / "plans" / "dong-thap-2026.yaml"
TODAY_TREE = dt.date(2026, 1, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_trees(db: None) -> None:
    """Today's Đồng Tháp (82.2025) and the provinces that formed it (old 82 and 87)."""
    units_load(82, TODAY_TREE)


@pytest.fixture
def write_2026(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the 2026 plan file, edited by `change(data)`."""

    def write(change: Callable[[dict[str, Any]], Any], name: str = "variant.yaml") -> Path:
        data = copy.deepcopy(plan_data(PLAN_2026))
        change(data)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return write


def _in(section: str, key: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[section][index_of(data, section, key)][field] = value

    return change


def test_both_plans_load_each_on_the_province_of_its_own_dates(both_trees: None) -> None:
    tien_giang = plan_load(PLAN_383).plan
    dong_thap = plan_load(PLAN_2026).plan
    assert (tien_giang.province.code, tien_giang.province.name) == ("82", "Tỉnh Tiền Giang")
    assert (dong_thap.province.code, dong_thap.province.name) == ("82.2025", "Tỉnh Đồng Tháp")
    assert dong_thap.province.gso_code == "82"
    assert dong_thap.document["population"]["aged_14_plus"] == 2_700_000
    # Targets go from the province straight to communes: no district-level target.
    assert all(Level.DISTRICT not in t.levels for t in dong_thap.targets.all())
    # Every report is owed by communes or provincial bodies, to the province.
    for report in dong_thap.reports.all():
        assert set(report.responsible_levels) <= {Level.PROVINCE, Level.COMMUNE}
        assert report.recipient_level in ("", Level.PROVINCE)


def test_a_target_value_from_a_real_document_names_it_the_rest_are_examples() -> None:
    plan = load_plan_file(PLAN_2026)
    cited = [t for t in plan.targets if t.source]
    assert cited and all("20/KH-UBND ngày 16/7/2025" in t.source for t in cited)
    assert all(t.context and not t.example for t in cited)
    assert all(t.example for t in plan.targets if not t.source)
    assert plan.population is not None and plan.population.example


@pytest.mark.parametrize(
    ("section", "key", "field", "value", "where", "message"),
    [
        pytest.param(
            "targets", "online_dossier_xa", "levels", ["district"], "levels[0]",
            "cấp “district” không có trong địa giới của Tỉnh Đồng Tháp từ 01/07/2025",
            id="district-level",
        ),
        pytest.param(
            "targets", "online_dossier_xa", "unit_types", ["huyen"], "unit_types[0]",
            "loại đơn vị “huyen” không có trong hệ thống đơn vị hành chính từ 01/07/2025",
            id="huyen",
        ),
        pytest.param(
            "targets", "online_dossier_xa", "unit_types", ["xa", "thi_tran"], "unit_types[1]",
            "loại đơn vị “thi_tran” không có",
            id="thi-tran",
        ),
        pytest.param(
            "reports", "tthc_batch_1", "responsible_levels", ["province", "district"],
            "responsible_levels[1]", "cấp “district” không có",
            id="report-level",
        ),
        pytest.param(
            "reports", "vneid_weekly", "reports_on_level", "district", "reports_on_level",
            "cấp “district” không có",
            id="reports-on-level",
        ),
        pytest.param(
            "reports", "vneid_daily", "recipient_level", "district", "recipient_level",
            "cấp “district” không có",
            id="recipient-level",
        ),
    ],
)  # fmt: skip
def test_a_2026_plan_naming_a_level_or_type_gone_since_2025_is_refused(
    both_trees: None,
    write_2026: Callable[..., Path],
    section: str,
    key: str,
    field: str,
    value: Any,
    where: str,
    message: str,
) -> None:
    path = write_2026(_in(section, key, field, value))
    i = index_of(plan_data(PLAN_2026), section, key)
    before = row_counts()
    with pytest.raises(PlanFileError) as caught:
        plan_load(path)
    expected = f"{path}: {section}[{i}].{where}: {message}"
    assert any(line.startswith(expected) for line in caught.value.lines), caught.value.lines
    assert row_counts() == before


def test_the_command_prints_the_key_path_and_writes_nothing(
    both_trees: None, write_2026: Callable[..., Path]
) -> None:
    path = write_2026(_in("targets", "online_payment_commune", "levels", ["district", "commune"]))
    i = index_of(plan_data(PLAN_2026), "targets", "online_payment_commune")
    with pytest.raises(CommandError) as caught:
        call_command("plan", "load", str(path))
    text = str(caught.value)
    assert "Không ghi gì vào cơ sở dữ liệu; 1 lỗi" in text
    assert f"targets[{i}].levels[0]: cấp “district” không có" in text
    assert "[mục online_payment_commune]" in text
    assert not Plan.objects.exists()


def test_a_2023_plan_naming_a_special_zone_is_refused(
    tien_giang: Unit, write_variant: Callable[..., Path]
) -> None:
    i = index_of(plan_data(), "targets", "online_dossier_xa")

    def change(data: dict[str, Any]) -> None:
        data["targets"][i]["unit_types"] = ["xa", "dac_khu"]

    with pytest.raises(
        PlanFileError, match=rf"targets\[{i}\]\.unit_types\[1\]: loại đơn vị “dac_khu”"
    ):
        plan_load(write_variant(change))
    assert not Plan.objects.exists()


def test_a_special_zone_target_applies_where_the_province_has_one(
    write_2026: Callable[..., Path],
) -> None:
    """Đồng Tháp has no đặc khu; the same plan for An Giang (91: Phú Quốc, Kiên Hải, Thổ
    Châu) loads without a code change and gives each đặc khu its own target."""
    units_load(91, TODAY_TREE)

    def an_giang(data: dict[str, Any]) -> None:
        data.update(code="an-giang-2026-vi-du", province="91", place="An Giang")
        data["issuer"] = "Ủy ban nhân dân tỉnh An Giang (ví dụ)"

    plan = plan_load(write_2026(an_giang)).plan
    assert plan.province.code == "91.2025"
    zones = Unit.objects.filter(path__startswith=plan.province.path, type=UnitType.SPECIAL_ZONE)
    assert zones.count() == 3
    for zone in zones:
        online = [t for t in targets_for_unit(plan, zone) if t.indicator == "online_dossier_rate"]
        assert [(t.key, t.value) for t in online] == [("online_dossier_dac_khu", Decimal(50))]


def test_a_province_not_loaded_for_the_plan_dates_names_the_date(tien_giang: Unit) -> None:
    """Only the 2023 tree is loaded: "82" on 20/10/2026 names no unit yet."""
    with pytest.raises(
        PlanLoadError, match=r"chiendich units load --province 82 --date 2026-10-20"
    ):
        plan_load(PLAN_2026)
    assert not Plan.objects.exists()


def test_an_example_value_cannot_be_a_quoted_context_goal(write_2026: Callable[..., Path]) -> None:
    path = write_2026(_in("targets", "business_procedures_online", "example", True))
    i = index_of(plan_data(PLAN_2026), "targets", "business_procedures_online")
    with pytest.raises(PlanFileError, match=rf"targets\[{i}\]\.example: chỉ tiêu căn cứ"):
        load_plan_file(path)


def test_the_population_basis_is_checked(write_2026: Callable[..., Path]) -> None:
    def change(data: dict[str, Any]) -> None:
        data["population"]["aged_14_plus"] = -5
        data["population"]["colour"] = "đỏ"

    with pytest.raises(PlanFileError) as caught:
        load_plan_file(write_2026(change))
    text = str(caught.value)
    assert "population.aged_14_plus: phải lớn hơn 0" in text
    assert "population.colour: khóa lạ" in text


def test_plan_show_marks_example_values_and_cites_documents(both_trees: None) -> None:
    plan_load(PLAN_2026)
    out = StringIO()
    call_command("plan", "show", "--plan", "dong-thap-2026", stdout=out)
    text = out.getvalue()
    assert "Tỉnh Đồng Tháp (82.2025)" in text
    assert "2.700.000 (ví dụ)" in text
    # The notes column wraps at this width; its words are there.
    flat = " ".join(text.replace("│", " ").split())
    assert "giá trị" in flat and "nguồn:" in flat
    out = StringIO()
    call_command("plan", "show", "--plan", "dong-thap-2026", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    by_key = {t["key"]: t for t in data["targets"]}
    assert by_key["online_dossier_xa"]["example"] is True
    assert "20/KH-UBND" in by_key["business_procedures_online"]["source"]
    assert data["population"]["aged_14_plus"] == 2_700_000
