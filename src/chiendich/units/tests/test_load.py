"""Loading the dated GSO trees: counts from the package for both dates, identities,
lineage, idempotence, and the whole country."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from vietnam_provinces import Province, ProvinceCode, Ward, legacy

from chiendich.accounts.models import AuditEvent
from chiendich.conftest import TREE_2023
from chiendich.units.loading import units_load
from chiendich.units.models import Level, Lineage, Unit, UnitType
from chiendich.units.selectors import unit_at

pytestmark = pytest.mark.django_db

TODAY_TREE = dt.date(2026, 1, 1)


def _list(*args: str) -> list[dict]:
    out = StringIO()
    call_command("units", "list", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_2023_tree_of_82_is_tien_giang_with_11_districts_and_164_communes() -> None:
    call_command("units", "load", "--province", "82", "--date", "2023-09-01", stdout=StringIO())
    rows = _list("--province", "82", "--date", "2023-09-01")

    assert rows[0]["name"] == "Tỉnh Tiền Giang" and rows[0]["code"] == "82"
    assert sum(r["level"] == "district" for r in rows) == 11
    communes = Counter(r["type"] for r in rows if r["level"] == "commune")
    assert communes == {"phuong": 21, "xa": 135, "thi_tran": 8}
    # The same counts as the package's own earlier tree, type by type.
    package = Counter(w.division_type.value for w in legacy.Ward.iter_by_province(82))
    assert communes == {
        "phuong": package["phường"],
        "xa": package["xã"],
        "thi_tran": package["thị trấn"],
    }
    # Loaded for 2023, nothing of the later tree is there.
    assert not Unit.objects.filter(valid_from__isnull=False).exists()


def test_today_tree_of_82_is_dong_thap_with_102_communes_and_no_district_level() -> None:
    call_command("units", "load", "--province", "82", "--date", "2026-01-01", stdout=StringIO())
    rows = _list("--province", "82", "--date", "2026-01-01")

    assert rows[0]["name"] == "Tỉnh Đồng Tháp" and rows[0]["code"] == "82"
    assert not [r for r in rows if r["level"] == "district"]
    communes = Counter(r["type"] for r in rows if r["level"] == "commune")
    assert communes == {"phuong": 20, "xa": 82}
    assert sum(communes.values()) == len(list(Ward.iter_by_province(ProvinceCode(82))))
    assert {r["parent_code"] for r in rows if r["level"] == "commune"} == {"82"}

    # The old units that formed it came too: old Tiền Giang (82) and old Đồng Tháp (87).
    old = _list("--date", "2023-09-01", "--level", "province")
    assert {(r["code"], r["name"]) for r in old} == {
        ("82", "Tỉnh Tiền Giang"),
        ("87", "Tỉnh Đồng Tháp"),
    }
    old_communes = Unit.objects.filter(level=Level.COMMUNE, valid_to=dt.date(2025, 6, 30))
    assert old_communes.count() == 164 + len(list(legacy.Ward.iter_by_province(87)))


def test_old_and_new_28249_are_two_units_and_the_date_picks_one() -> None:
    units_load(82, TODAY_TREE)
    old = unit_at("28249", TREE_2023)
    new = unit_at("28249", TODAY_TREE)

    assert old is not None and new is not None and old.pk != new.pk
    assert (old.name, old.code, old.path) == ("Phường 5", "28249", "82/815/28249/")
    assert (new.name, new.code, new.path) == (
        "Phường Đạo Thạnh",
        "28249.2025",
        "82.2025/28249.2025/",
    )
    assert old.valid_to == dt.date(2025, 6, 30) and old.valid_from is None
    assert new.valid_from == dt.date(2025, 7, 1) and new.valid_to is None
    assert unit_at("28249", dt.date(2025, 6, 30)) == old
    assert unit_at("28249", dt.date(2025, 7, 1)) == new
    # An identity needs no date.
    assert unit_at("28249.2025", TREE_2023) == new


def test_lineage_of_28249_on_2026_01_01_is_three_communes_ending_30_06_2025() -> None:
    units_load(82, TODAY_TREE)
    out = StringIO()
    call_command(
        "units", "lineage", "28249", "--date", "2026-01-01", "--format", "json", stdout=out
    )
    data = json.loads(out.getvalue())

    assert data["unit"]["name"] == "Phường Đạo Thạnh"
    assert [(p["code"], p["name"], p["valid_to"]) for p in data["predecessors"]] == [
        ("28249", "Phường 5", "2025-06-30"),
        ("28252", "Phường 4", "2025-06-30"),
        ("28282", "Xã Đạo Thạnh", "2025-06-30"),
    ]
    # And the other way: Phường 4 became Phường Đạo Thạnh.
    out = StringIO()
    call_command(
        "units", "lineage", "28252", "--date", "2023-09-01", "--format", "json", stdout=out
    )
    back = json.loads(out.getvalue())
    assert [(s["code"], s["name"]) for s in back["successors"]] == [("28249", "Phường Đạo Thạnh")]
    assert back["split"] is False


def test_every_new_commune_knows_its_predecessors_as_the_package_says() -> None:
    units_load(82, TODAY_TREE)
    for ward in Ward.iter_by_province(ProvinceCode(82)):
        unit = Unit.objects.get(code=f"{int(ward.code)}.2025")
        stored = set(
            Lineage.objects.filter(successor=unit).values_list("predecessor__code", flat=True)
        )
        assert stored == {str(int(w.code)) for w in ward.get_legacy_sources()}, ward.name
    province = Unit.objects.get(code="82.2025")
    assert set(
        Lineage.objects.filter(successor=province).values_list("predecessor__code", flat=True)
    ) == {"82", "87"}


def test_a_split_commune_has_several_successors_and_counts_only_for_the_province() -> None:
    units_load(82, TODAY_TREE)
    # Xã Gáo Giồng (old Đồng Tháp) went to Xã Phú Cường and Xã Phong Mỹ.
    gao_giong = Unit.objects.get(level=Level.COMMUNE, name="Xã Gáo Giồng", valid_to__isnull=False)
    successors = set(
        Lineage.objects.filter(predecessor=gao_giong).values_list("successor__name", flat=True)
    )
    assert successors == {"Xã Phú Cường", "Xã Phong Mỹ"}
    assert gao_giong.successor_path == "82.2025/"
    # Not split: its records count for the one new commune.
    assert Unit.objects.get(code="28252").successor_path == "82.2025/28249.2025/"
    # District level: it ended, its records count for the new province.
    assert Unit.objects.get(code="815").successor_path == "82.2025/"


def test_a_second_load_writes_nothing() -> None:
    units_load(82, TODAY_TREE)
    lineage = Lineage.objects.count()
    out = StringIO()
    call_command("units", "load", "--province", "82", "--date", "2026-01-01", stdout=out)

    total = Unit.objects.count()
    assert f"thêm mới 0, cập nhật 0, không đổi {total}" in out.getvalue()
    assert Lineage.objects.count() == lineage
    assert AuditEvent.objects.filter(type=AuditEvent.Type.UNITS_LOADED).count() == 1


def test_loading_the_new_tree_over_the_2023_one_keeps_its_units_and_ends_them() -> None:
    units_load(82, TREE_2023)
    phuong_5 = Unit.objects.get(code="28249")
    hamlet = Unit.objects.create(
        code="28249-01",
        gso_code="28249-01",
        name="Khu phố 1",
        type=UnitType.QUARTER,
        level=Level.HAMLET,
        parent=phuong_5,
        path="82/815/28249/28249-01/",
    )
    units_load(82, TODAY_TREE)

    assert Unit.objects.get(code="28249").pk == phuong_5.pk
    assert Unit.objects.get(code="28249").valid_to == dt.date(2025, 6, 30)
    hamlet.refresh_from_db()
    assert hamlet.valid_to == dt.date(2025, 6, 30), "a hamlet ends with its commune's tree"
    assert hamlet.successor_path == "82.2025/28249.2025/"


def test_an_earlier_end_set_by_an_officer_survives_a_reload() -> None:
    units_load(82, TREE_2023)
    Unit.objects.filter(code="815").update(valid_to=dt.date(2024, 12, 31))
    units_load(82, TODAY_TREE)
    assert Unit.objects.get(code="815").valid_to == dt.date(2024, 12, 31)
    assert Unit.objects.get(code="816").valid_to == dt.date(2025, 6, 30)


def test_hanoi_codes_are_zero_padded_and_quan_is_recognised() -> None:
    call_command("units", "load", "--province", "1", "--date", "2023-09-01", stdout=StringIO())
    hanoi = Unit.objects.get(code="01")
    assert hanoi.type == UnitType.CENTRAL_CITY
    ba_dinh = Unit.objects.get(code="001")
    assert (ba_dinh.type, ba_dinh.parent_id) == (UnitType.URBAN_DISTRICT, hanoi.pk)
    assert Unit.objects.get(code="00001").name == "Phường Phúc Xá"


def test_special_zones_are_a_commune_level_type() -> None:
    """Đặc khu Côn Đảo (Thành phố Hồ Chí Minh since 2025) is a commune-level unit."""
    units_load(79, TODAY_TREE)
    con_dao = unit_at("26732", TODAY_TREE)
    assert con_dao is not None
    assert (con_dao.name, con_dao.type, con_dao.level) == (
        "Đặc khu Côn Đảo",
        UnitType.SPECIAL_ZONE,
        Level.COMMUNE,
    )


def test_unknown_province_is_refused_with_the_date() -> None:
    with pytest.raises(CommandError, match="không có tỉnh/thành phố mã 99"):
        call_command("units", "load", "--province", "99", stdout=StringIO())
    # Old Đồng Tháp (87) does not exist on today's tree: the message says where it went.
    with pytest.raises(CommandError, match="thuộc Tỉnh Đồng Tháp"):
        call_command("units", "load", "--province", "87", "--date", "2026-01-01", stdout=StringIO())
    assert not Unit.objects.exists()


def test_the_whole_country_loads_both_trees_with_their_lineage() -> None:
    result = units_load(None, TODAY_TREE)

    new_communes = Unit.objects.filter(level=Level.COMMUNE, valid_from=dt.date(2025, 7, 1))
    old_communes = Unit.objects.filter(level=Level.COMMUNE, valid_to=dt.date(2025, 6, 30))
    assert new_communes.count() == len(list(Ward.iter_all())) == 3321
    assert old_communes.count() == len(list(legacy.Ward.iter_all()))
    assert Unit.objects.filter(level=Level.PROVINCE, valid_from__isnull=False).count() == 34
    assert Unit.objects.filter(level=Level.PROVINCE, valid_to__isnull=False).count() == 63
    assert Counter(new_communes.values_list("type", flat=True)) == {
        UnitType.COMMUNE: 2621,
        UnitType.WARD: 687,
        UnitType.SPECIAL_ZONE: 13,
    }
    links = sum(len(w.get_legacy_sources()) for w in Ward.iter_all())
    links += sum(len(p.get_legacy_sources()) for p in Province.iter_all())
    assert Lineage.objects.count() == result.lineage == links


def test_list_json_prints_the_tree(tien_giang: Unit) -> None:
    rows = _list("--province", "82", "--date", "2023-09-01")
    assert len(rows) == 176
    assert rows[0] == {
        "code": "82",
        "key": "82",
        "name": "Tỉnh Tiền Giang",
        "kind": "territorial",
        "type": "tinh",
        "level": "province",
        "parent_code": "",
        "depth": 0,
        "valid_from": None,
        "valid_to": "2025-06-30",
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
    call_command("units", "list", "--province", "82", "--date", "2023-09-01", stdout=out)
    text = out.getvalue()
    assert "Thành phố Mỹ Tho" in text and "28249" in text and "176 đơn vị" in text
    assert "30/06/2025" in text, "dates read dd/mm/yyyy"


def test_list_of_a_province_not_loaded_says_how_to_load_it(tien_giang: Unit) -> None:
    with pytest.raises(CommandError, match="units load --province 83"):
        call_command("units", "list", "--province", "83", "--date", "2023-09-01", stdout=StringIO())


def test_depth_is_not_fixed(tien_giang: Unit) -> None:
    """A commune moved directly under a province stays a commune, with its subtree."""
    from chiendich.units.services import unit_upsert

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
        valid_to=ward.valid_to,
    )
    assert Unit.objects.get(code="28249").path == "82/28249/"
    assert Unit.objects.get(code="28249-H1").path == "82/28249/28249-H1/"
    assert Unit.objects.get(code="28249").level == Level.COMMUNE
