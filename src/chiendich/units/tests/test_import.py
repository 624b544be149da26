"""Importing hamlets and organizations from CSV: validation, atomicity, idempotence."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chiendich.accounts.models import ObjectChange
from chiendich.conftest import TREE_2023
from chiendich.core.tabular import TabularError
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import hamlets_import, organizations_import

pytestmark = pytest.mark.django_db

HAMLETS = """\ufeffMã xã,Tên ấp/khu phố,Mã ấp/khu phố
28249,Khu phố 1,
28249,Khu phố 2,
28282,Ấp Đạo Ninh,2828201
28282,Ấp Tân Thuận,
28594,Khu phố 3,
"""


def test_hamlets_import_and_reimport_changes_nothing(tien_giang, write_file) -> None:
    path = write_file("ap.csv", HAMLETS)
    result = hamlets_import(path, on=TREE_2023)
    assert (result.created, result.updated) == (5, 0)
    hamlets = {u.name: u for u in Unit.objects.filter(level=Level.HAMLET)}
    assert hamlets["Khu phố 1"].code == "28249-01"
    assert hamlets["Khu phố 2"].code == "28249-02"
    assert hamlets["Ấp Đạo Ninh"].code == "2828201"
    assert hamlets["Ấp Tân Thuận"].code == "28282-02"
    assert hamlets["Khu phố 1"].type == UnitType.QUARTER
    assert hamlets["Ấp Đạo Ninh"].type == UnitType.HAMLET
    assert hamlets["Ấp Đạo Ninh"].path == "82/815/28282/2828201/"

    changes = ObjectChange.objects.count()
    again = hamlets_import(path, on=TREE_2023)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert ObjectChange.objects.count() == changes


def test_hamlets_match_ignoring_case_and_diacritics(tien_giang, write_file) -> None:
    hamlets_import(write_file("a.csv", "Mã xã,Tên ấp/khu phố\n28282,Ấp Tân Thuận\n"), on=TREE_2023)
    result = hamlets_import(
        write_file("b.csv", "ma xa,ten ap/khu pho\n28282,ẤP TÂN THUẬN\n"), on=TREE_2023
    )
    assert result.updated == 1  # same hamlet, name rewritten as the newer file has it
    assert Unit.objects.filter(level=Level.HAMLET).count() == 1


def test_a_bad_hamlet_row_names_file_row_and_column_and_writes_nothing(
    tien_giang, write_file
) -> None:
    before = Unit.objects.count()
    path = write_file(
        "ap-loi.csv",
        "Mã xã,Tên ấp/khu phố\n28249,Khu phố 1\n99999,Ấp Ma\n28249,\n28249,khu pho 1\n815,Ấp Huyện\n",
    )
    with pytest.raises(TabularError) as info:
        hamlets_import(path, on=TREE_2023)
    messages = [str(e) for e in info.value.errors]
    assert messages == [
        "ap-loi.csv, dòng 3, cột “Mã xã”: không có xã/phường/thị trấn mã này (giá trị: “99999”)",
        "ap-loi.csv, dòng 4, cột “Tên ấp/khu phố”: thiếu tên ấp/khu phố",
        "ap-loi.csv, dòng 5, cột “Tên ấp/khu phố”: trùng với dòng 2 (giá trị: “khu pho 1”)",
        "ap-loi.csv, dòng 6, cột “Mã xã”: không có xã/phường/thị trấn mã này (giá trị: “815”)",
    ]
    assert Unit.objects.count() == before


def test_missing_column_is_reported_on_the_header_row(tien_giang, write_file) -> None:
    with pytest.raises(CommandError, match="dòng 1: thiếu cột “Tên ấp/khu phố”"):
        call_command(
            "units",
            "import-hamlets",
            str(write_file("x.csv", "Mã xã,Ghi chú\n")),
            stdout=StringIO(),
        )


def test_non_utf8_file_is_refused_clearly(tien_giang, write_file) -> None:
    path = write_file("cp1252.csv", "Mã xã,Ten ap/khu pho\n28249,Khu phô Môt\n", encoding="cp1252")
    with pytest.raises(TabularError, match="cp1252.csv.*không phải UTF-8"):
        hamlets_import(path, on=TREE_2023)


ORGS = """Mã đơn vị,Tên đơn vị,Loại,Cấp,Mã đơn vị hành chính
82-CA,Công an tỉnh Tiền Giang,Công an,tỉnh,82
815-CA,Công an thành phố Mỹ Tho,Police,huyện,815
28249-CA,Công an Phường 5,cong_an,xã,28249
82-STTTT,Sở Thông tin và Truyền thông,so_ban_nganh,tỉnh,82
"""


def test_organizations_attach_to_a_territorial_unit_and_a_level(tien_giang, write_file) -> None:
    result = organizations_import(write_file("to-chuc.csv", ORGS), on=TREE_2023)
    assert result.created == 4
    police = Unit.objects.get(code="28249-CA")
    assert (police.kind, police.type, police.level) == (
        Kind.ORGANIZATION,
        UnitType.POLICE,
        Level.COMMUNE,
    )
    assert police.path == "82/815/28249/28249-CA/"
    assert Unit.objects.get(code="815-CA").level == Level.DISTRICT
    assert organizations_import(write_file("to-chuc.csv", ORGS), on=TREE_2023).unchanged == 4


def test_bad_organization_rows_are_all_reported(tien_giang, write_file) -> None:
    text = "Mã đơn vị,Tên đơn vị,Loại,Cấp,Mã đơn vị hành chính\n82,Trùng mã tỉnh,cong_an,tỉnh,82\nX-1,Tên,hợp tác xã,tỉnh,82\nX-2,Tên,cong_an,thôn,00000\n"
    with pytest.raises(TabularError) as info:
        organizations_import(write_file("org.csv", text), on=TREE_2023)
    problems = [(e.row, e.column) for e in info.value.errors]
    assert problems == [(2, "Mã đơn vị"), (3, "Loại"), (4, "Cấp"), (4, "Mã đơn vị hành chính")]
    assert not Unit.objects.filter(kind=Kind.ORGANIZATION).exists()
