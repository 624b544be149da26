"""Loading the GSO unit list: counts, types from name prefixes, idempotence."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO

import pytest
import vietnam_provinces
from django.core.management import CommandError, call_command

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.units.gso import type_from_name
from chiendich.units.models import Level, Unit, UnitType

pytestmark = pytest.mark.django_db


def _package_wards(province_code: int) -> list[dict]:
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as f:
        province = next(p for p in json.load(f) if p["code"] == province_code)
    return [w for d in province["districts"] for w in d["wards"]]


def test_load_twice_gives_one_province_11_districts_164_communes() -> None:
    call_command("units", "load", "--province", "82", stdout=StringIO())
    changes = ObjectChange.objects.count()
    out = StringIO()
    call_command("units", "load", "--province", "82", stdout=out)

    assert "thêm mới 0, cập nhật 0, không đổi 176" in out.getvalue()
    assert ObjectChange.objects.count() == changes, "a second load must write nothing"
    assert AuditEvent.objects.filter(type=AuditEvent.Type.UNITS_LOADED).count() == 1
    assert Unit.objects.filter(level=Level.PROVINCE).count() == 1
    assert Unit.objects.filter(level=Level.DISTRICT, parent__code="82").count() == 11
    assert Unit.objects.filter(level=Level.COMMUNE).count() == 164


def test_commune_types_agree_with_name_prefixes_in_the_package(tien_giang: Unit) -> None:
    prefixes = Counter()
    for ward in _package_wards(82):
        assert ward["division_type"] == "xã"  # the package's field is wrong for wards...
        prefixes[
            " ".join(ward["name"].split()[:2])
            if ward["name"].startswith("Thị trấn")
            else ward["name"].split()[0]
        ] += 1
    stored = Counter(Unit.objects.filter(level=Level.COMMUNE).values_list("type", flat=True))

    # ...so the types come from the names: 135 xã, 21 phường, 8 thị trấn.
    assert stored == {
        UnitType.COMMUNE: prefixes["Xã"],
        UnitType.WARD: prefixes["Phường"],
        UnitType.TOWNSHIP: prefixes["Thị trấn"],
    }
    assert stored == {UnitType.COMMUNE: 135, UnitType.WARD: 21, UnitType.TOWNSHIP: 8}


def test_district_types_and_codes(tien_giang: Unit) -> None:
    districts = {u.code: u for u in Unit.objects.filter(level=Level.DISTRICT)}
    assert districts["815"].name == "Thành phố Mỹ Tho"
    assert districts["815"].type == UnitType.CITY
    assert districts["817"].type == UnitType.TOWN  # Thị xã Cai Lậy
    assert districts["820"].type == UnitType.RURAL_DISTRICT  # Huyện Cai Lậy
    assert Counter(u.type for u in districts.values()) == {
        UnitType.RURAL_DISTRICT: 8,
        UnitType.CITY: 2,
        UnitType.TOWN: 1,
    }
    ward = Unit.objects.get(code="28249")
    assert (ward.name, ward.parent_code, ward.path) == ("Phường 5", "815", "82/815/28249/")


def test_another_province_loads_beside_the_first(tien_giang: Unit) -> None:
    call_command("units", "load", "--province", "83", stdout=StringIO())
    ben_tre = Unit.objects.get(code="83")
    assert ben_tre.name == "Tỉnh Bến Tre"
    assert Unit.objects.subtree(ben_tre).filter(level=Level.COMMUNE).count() == len(
        _package_wards(83)
    )
    assert Unit.objects.subtree(tien_giang).count() == 176


def test_hanoi_codes_are_zero_padded_and_quan_is_recognised() -> None:
    call_command("units", "load", "--province", "1", stdout=StringIO())
    hanoi = Unit.objects.get(code="01")
    assert hanoi.type == UnitType.CENTRAL_CITY
    ba_dinh = Unit.objects.get(code="001")
    assert (ba_dinh.type, ba_dinh.parent_id) == (UnitType.URBAN_DISTRICT, hanoi.pk)
    assert Unit.objects.get(code="00001").name == "Phường Phúc Xá"


def test_unknown_province_is_refused() -> None:
    with pytest.raises(CommandError, match="không có tỉnh/thành phố mã 99"):
        call_command("units", "load", "--province", "99", stdout=StringIO())
    assert not Unit.objects.exists()


def test_type_from_name_refuses_an_unknown_prefix() -> None:
    assert type_from_name("Thị trấn Chợ Gạo", Level.COMMUNE) == UnitType.TOWNSHIP
    with pytest.raises(ValueError, match="Ấp Bình Long"):
        type_from_name("Ấp Bình Long", Level.COMMUNE)


def test_list_json_prints_the_tree(tien_giang: Unit) -> None:
    out = StringIO()
    call_command("units", "list", "--province", "82", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == 176
    assert rows[0] == {
        "code": "82",
        "name": "Tỉnh Tiền Giang",
        "kind": "territorial",
        "type": "tinh",
        "level": "province",
        "parent_code": "",
        "depth": 0,
        "valid_from": None,
        "valid_to": None,
    }
    by_code = {r["code"]: r for r in rows}
    assert by_code["28594"]["name"] == "Thị trấn Chợ Gạo"
    assert by_code["28594"]["parent_code"] == "822"
    # Tree order: every unit comes after its parent.
    seen = set()
    for r in rows:
        assert r["parent_code"] in seen or r["parent_code"] == ""
        seen.add(r["code"])


def test_list_table_shows_names_and_codes(tien_giang: Unit) -> None:
    out = StringIO()
    call_command("units", "list", "--province", "82", stdout=out)
    text = out.getvalue()
    assert "Thành phố Mỹ Tho" in text and "28249" in text and "176 đơn vị" in text


def test_list_of_a_province_not_loaded_says_how_to_load_it(tien_giang: Unit) -> None:
    with pytest.raises(CommandError, match="units load --province 83"):
        call_command("units", "list", "--province", "83", stdout=StringIO())


def test_validity_dates_survive_a_reload_and_depth_is_not_fixed(tien_giang: Unit) -> None:
    """Since 1/7/2025 communes sit directly under the province: moving one keeps it a commune."""
    import datetime as dt

    from chiendich.units.services import unit_upsert

    district = Unit.objects.get(code="815")
    district.valid_to = dt.date(2025, 6, 30)
    district.save()
    ward = Unit.objects.get(code="28249")
    unit_upsert(
        code="28249-H1",
        name="Khu phố 1",
        unit_type=UnitType.QUARTER,
        level=Level.HAMLET,
        parent=ward,
    )
    unit_upsert(
        code=ward.code,
        name=ward.name,
        unit_type=ward.type,
        level=ward.level,
        parent=tien_giang,
        source=ward.source,
    )
    assert Unit.objects.get(code="28249").path == "82/28249/"
    assert Unit.objects.get(code="28249-H1").path == "82/28249/28249-H1/"
    assert Unit.objects.get(code="28249").level == Level.COMMUNE

    call_command("units", "load", "--province", "82", stdout=StringIO())
    assert Unit.objects.get(code="815").valid_to == dt.date(2025, 6, 30)
