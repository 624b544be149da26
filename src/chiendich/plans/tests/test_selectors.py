"""Which targets apply to which unit, and which plan a unit works under."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chiendich.conftest import TREE_2023
from chiendich.plans.models import Plan
from chiendich.plans.selectors import plan_as_dict, plan_for_unit, targets_for_unit
from chiendich.plans.services import plan_load
from chiendich.units.loading import units_load
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import unit_upsert

from .conftest import EXAMPLE_BEN_TRE


def _first(province: str, unit_type: str) -> Unit:
    unit = Unit.objects.filter(path__startswith=f"{province}/", type=unit_type).first()
    assert unit is not None, f"no {unit_type} in province {province}"
    return unit


def _online_dossier(plan: Plan, unit: Unit) -> list[Decimal]:
    return [t.value for t in targets_for_unit(plan, unit) if t.indicator == "online_dossier_rate"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("unit_type", "expected"),
    [
        (UnitType.COMMUNE, 25),
        (UnitType.WARD, 55),
        (UnitType.TOWNSHIP, 45),
        (UnitType.RURAL_DISTRICT, 60),
        (UnitType.CITY, 60),
        (UnitType.TOWN, 60),
        (UnitType.PROVINCE, 70),
    ],
)
def test_online_dossier_target_by_unit_type(plan_383: Plan, unit_type: str, expected: int) -> None:
    assert _online_dossier(plan_383, _first("82", unit_type)) == [Decimal(expected)]


@pytest.mark.django_db
def test_a_provincial_department_gets_the_province_level_targets(
    plan_383: Plan, tien_giang: Unit
) -> None:
    department, _ = unit_upsert(
        code="82-STTTT",
        name="Sở Thông tin và Truyền thông",
        unit_type=UnitType.DEPARTMENT,
        level=Level.PROVINCE,
        parent=tien_giang,
        kind=Kind.ORGANIZATION,
    )
    assert _online_dossier(plan_383, department) == [Decimal(70)]
    keys = {t.key for t in targets_for_unit(plan_383, department)}
    assert {"online_payment_province", "digitization_2023", "staff_vneid_level2"} <= keys
    # The 903.203 accounts are the province's, split later by the police; not the department's.
    assert "vneid_activated_accounts" not in keys


@pytest.mark.django_db
def test_applies_to_reads_level_and_type(plan_383: Plan) -> None:
    xa_target = plan_383.targets.get(key="online_dossier_xa")
    payment = plan_383.targets.get(key="online_payment_commune")
    ward, township, district = (
        _first("82", UnitType.WARD),
        _first("82", UnitType.TOWNSHIP),
        _first("82", UnitType.RURAL_DISTRICT),
    )
    assert xa_target.applies_to(_first("82", UnitType.COMMUNE))
    assert not xa_target.applies_to(ward)
    assert payment.applies_to(ward) and payment.applies_to(township)
    assert not payment.applies_to(district)


@pytest.mark.django_db
def test_national_goals_are_context_only_on_request(plan_383: Plan, tien_giang: Unit) -> None:
    assert not any(t.is_context for t in targets_for_unit(plan_383, tien_giang))
    context = [
        t for t in targets_for_unit(plan_383, tien_giang, include_context=True) if t.is_context
    ]
    assert sorted(t.value for t in context) == [Decimal(30), Decimal(60)]


@pytest.mark.django_db
def test_a_second_province_plan_loads_beside_383(plan_383: Plan) -> None:
    """Bến Tre (83), from an example file: same code, different targets and dates."""
    units_load(83, TREE_2023)
    example = plan_load(EXAMPLE_BEN_TRE).plan
    assert example.province.code == "83"
    assert Plan.objects.count() == 2

    tg_ward, bt_ward = _first("82", UnitType.WARD), _first("83", UnitType.WARD)
    bt_commune, bt_district = _first("83", UnitType.COMMUNE), _first("83", UnitType.RURAL_DISTRICT)
    assert plan_for_unit(tg_ward) == plan_383
    assert plan_for_unit(bt_ward) == example
    assert plan_for_unit(Unit.objects.get(code="83")) == example
    # The example sets one rate for every commune type, by leaving unit_types empty.
    assert (
        _online_dossier(example, bt_ward) == _online_dossier(example, bt_commune) == [Decimal(40)]
    )
    assert _online_dossier(example, bt_district) == [Decimal(50)]
    assert _online_dossier(plan_383, tg_ward) == [Decimal(55)]
    # A plan never applies across provinces.
    assert targets_for_unit(plan_383, bt_ward) == []
    assert targets_for_unit(example, tg_ward) == []
    weekly = example.reports.get(key="weekly_friday")
    assert (weekly.kind, weekly.weekday) == ("weekly", 4)
    assert plan_as_dict(example)["emulation"] is None


@pytest.mark.django_db
def test_no_plan_for_a_province_without_one(plan_383: Plan) -> None:
    units_load(83, TREE_2023)
    assert plan_for_unit(_first("83", UnitType.COMMUNE)) is None


@pytest.mark.django_db
def test_plan_as_dict_uses_iso_dates_and_numbers(plan_383: Plan) -> None:
    data = plan_as_dict(plan_383)
    assert data["issued_on"] == "2023-08-15"
    assert data["periods"][0] | {"name": ""} == {
        "key": "vneid",
        "section": "II.2",
        "name": "",
        "start": "2023-08-20",
        "end": "2023-10-18",
        "days": 60,
    }
    accounts = next(t for t in data["targets"] if t["key"] == "vneid_activated_accounts")
    assert accounts["value"] == 903203 and isinstance(accounts["value"], int)
    once_only = next(t for t in data["targets"] if t["key"] == "once_only_results")
    assert once_only["applies_from"] == "2023-09-01"
    batch_4 = next(r for r in data["reports"] if r["key"] == "tthc_batch_4")
    assert (batch_4["data_from"], batch_4["data_to"], batch_4["deadline"]) == (
        "2023-09-01",
        "2023-10-30",
        "2023-11-10",
    )
