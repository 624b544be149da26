"""Police lists with both unit trees loaded (issue 12, item 4): each row's code read as
of its own date, old codes mapped to a target tree through lineage, split communes
settled by an assigned hamlet or refused, and 2023 figures kept when a known
citizen is listed again under today's units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chiendich.accounts.models import AuditEvent
from chiendich.conftest import TREE_2023
from chiendich.units.dated import MappedRows
from chiendich.units.lineage import hamlet_assign
from chiendich.units.loading import units_load
from chiendich.units.models import Unit
from chiendich.units.selectors import code_problem
from chiendich.units.services import hamlets_import
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.importing import citizens_import
from chiendich.vneid.models import Citizen, DailyCount, Household, ImportBatch
from chiendich.vneid.progress import rollup

from .test_import import HEADER, cccd, errors_of

pytestmark = pytest.mark.django_db

WriteFile = Callable[..., Path]
TREE = dt.date(2026, 1, 1)  # a day of today's tree: Tỉnh Đồng Tháp, no districts
DAO_THANH = "28249.2025"  # Phường Đạo Thạnh, from Phường 5, Phường 4 and Xã Đạo Thạnh
TAN_THANH_OLD = "30157"  # Xã Tân Thạnh (old Đồng Tháp), split across two new communes
THANH_BINH = "30130.2025"  # Xã Thanh Bình, one of them


@pytest.fixture
def two_trees(db: None, settings: Any, write_file: WriteFile) -> None:
    """Both trees of province 82 with lineage; hamlets of Phường 5 and of the split Xã
    Tân Thạnh, one of which an officer assigned to Xã Thanh Bình. Today is 1/6/2026."""
    settings.CAMPAIGN_TODAY = "2026-06-01"
    units_load(82, TREE)
    hamlets_import(
        write_file(
            "ap.csv",
            "Mã xã,Tên ấp/khu phố\n28249,Khu phố 1\n28249,Khu phố 2\n"
            f"{TAN_THANH_OLD},Ấp Tân Hòa\n{TAN_THANH_OLD},Ấp Tân Lợi\n",
        ),
        on=TREE_2023,
    )
    hamlet_assign(
        Unit.objects.get(parent__code=TAN_THANH_OLD, name="Ấp Tân Hòa"),
        Unit.objects.get(code=THANH_BINH),
        acting_user=None,
    )


def police_list(write_file: WriteFile, *rows: str, name: str = "ds.csv") -> Path:
    return write_file(name, "\ufeff" + "\n".join([HEADER, *rows]) + "\n")


def unit_of(id_number: str) -> tuple[str, str]:
    citizen = Citizen.objects.select_related("commune", "unit").get(id_number=id_number)
    return citizen.commune.code, citizen.unit.code


def test_the_same_code_on_rows_of_2023_and_2026_lands_in_different_units(
    two_trees: None, write_file: WriteFile
) -> None:
    path = police_list(
        write_file,
        f"{cccd(1990)},Nguyễn Văn Một,01/01/1990,Nam,28249,,,,Đã kích hoạt mức 2,01/09/2023",
        f"{cccd(1991, serial=2)},Trần Văn Hai,01/01/1991,Nam,28249,,,,Đã kích hoạt mức 2,"
        "01/03/2026",
        # No status date: read as of the day of the import (1/6/2026).
        f"{cccd(1992, serial=3)},Lê Văn Ba,01/01/1992,Nam,28249,,,,,",
    )
    report = citizens_import(path)

    assert errors_of(report) == []
    assert unit_of(cccd(1990)) == ("28249", "28249")
    assert Unit.objects.get(code="28249").name == "Phường 5"
    assert unit_of(cccd(1991, serial=2)) == (DAO_THANH, DAO_THANH)
    assert Unit.objects.get(code=DAO_THANH).name == "Phường Đạo Thạnh"
    assert unit_of(cccd(1992, serial=3)) == (DAO_THANH, DAO_THANH)
    # No target tree: nothing was mapped.
    assert (report.tree, report.mapped, report.mapped_rows) == (None, [], 0)
    assert not any("Địa giới đích" in line for line in report.summary_lines())


def test_a_name_beside_the_code_says_which_unit_is_meant(
    two_trees: None, write_file: WriteFile
) -> None:
    path = write_file(
        "ten.csv",
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Xã/Phường/Thị trấn,"
        "Trạng thái,Ngày cập nhật\n"
        # A 2026 list still writing the old code and name: Phường 5.
        f"{cccd(1990)},A,01/01/1990,Nam,28249,Phường 5,Đã kích hoạt mức 1,01/03/2026\n"
        # The new name on a row of 2023: no such unit then.
        f"{cccd(1991, serial=2)},B,01/01/1991,Nam,28249,Phường Đạo Thạnh,"
        "Đã kích hoạt mức 1,01/09/2023\n"
        # A name alone, on a row of 2026: the unit of that name in force then.
        f"{cccd(1992, serial=3)},C,01/01/1992,Nam,,Phường Đạo Thạnh,Đã kích hoạt mức 1,"
        "01/03/2026\n",
    )
    report = citizens_import(path)

    assert unit_of(cccd(1990)) == ("28249", "28249")
    assert unit_of(cccd(1992, serial=3)) == (DAO_THANH, DAO_THANH)
    [error] = report.errors
    assert (error.row, error.column, error.value) == (3, "Mã xã", "28249")
    # The words of units.selectors.code_problem.
    assert error.problem == code_problem(
        "28249", dt.date(2023, 9, 1), what="xã/phường/thị trấn", level="commune"
    )
    assert error.problem.startswith("mã này không có hiệu lực vào ngày 01/09/2023 (")
    assert "Phường 5, đến 30/06/2025" in error.problem
    assert "Phường Đạo Thạnh, từ 01/07/2025" in error.problem


def test_old_codes_are_mapped_to_the_target_tree_and_counted(
    two_trees: None, write_file: WriteFile
) -> None:
    path = police_list(
        write_file,
        f"{cccd(1990)},A,01/01/1990,Nam,28252,,,,Đã kích hoạt mức 2,01/09/2023",
        f"{cccd(1991, serial=2)},B,01/01/1991,Nam,28252,,,,Đã kích hoạt mức 2,02/09/2023",
        f"{cccd(1992, serial=3)},C,01/01/1992,Nam,28249,Khu phố 1,,,Đã duyệt,03/09/2023",
        # An old code on a row of 2026: the last unit that had it, Xã Đạo Thạnh.
        f"{cccd(1993, serial=4)},D,01/01/1993,Nam,28282,,,,Đã kích hoạt mức 1,01/03/2026",
        # Today's code on a row of 2026: already Phường Đạo Thạnh, nothing to map.
        f"{cccd(1994, serial=5)},E,01/01/1994,Nam,28249,,,,Đã kích hoạt mức 1,01/03/2026",
        f"{cccd(1995, serial=6)},F,01/01/1995,Nam,28363,,,,Đã kích hoạt mức 1,01/09/2023",
    )
    report = citizens_import(path, tree=TREE)

    assert errors_of(report) == []
    for serial, year in ((1, 1990), (2, 1991), (3, 1992), (4, 1993), (5, 1994)):
        assert unit_of(cccd(year, serial=serial)) == (DAO_THANH, DAO_THANH)
    hau_my_bac_b = Unit.objects.get(code="28363").successor_path.split("/")[-2]
    assert unit_of(cccd(1995, serial=6)) == (hau_my_bac_b, hau_my_bac_b)
    target = "28249 Phường Đạo Thạnh"
    assert report.mapped == [
        MappedRows("28252 Phường 4", target, 2),
        MappedRows("28249 Phường 5", target, 1),
        MappedRows("28282 Xã Đạo Thạnh", target, 1),
        MappedRows(f"28363 {Unit.objects.get(code='28363').name}",
                   f"{hau_my_bac_b.removesuffix('.2025')} "
                   f"{Unit.objects.get(code=hau_my_bac_b).name}", 1),
    ]  # fmt: skip
    assert report.mapped_rows == 5
    lines = report.summary_lines()
    assert (
        "Địa giới đích: đơn vị hành chính có hiệu lực ngày 01/01/2026; "
        "số dòng mang mã đơn vị cũ được quy đổi: 5"
    ) in lines
    assert "  28252 Phường 4 → 28249 Phường Đạo Thạnh: 2 dòng" in lines
    # The stored history and the audit event keep what was mapped.
    batch = ImportBatch.objects.get()
    assert "28252 Phường 4 → 28249 Phường Đạo Thạnh: 2 dòng" in batch.message
    audit = AuditEvent.objects.get(type=AuditEvent.Type.CITIZENS_IMPORTED)
    assert audit.detail["tree"] == "2026-01-01"
    assert {"from": "28252 Phường 4", "to": target, "rows": 2} in audit.detail["mapped"]


def test_a_dry_run_counts_the_same_mapping_and_writes_nothing(
    two_trees: None, write_file: WriteFile
) -> None:
    path = police_list(
        write_file,
        f"{cccd(1990)},A,01/01/1990,Nam,28252,,,,Đã kích hoạt mức 2,01/09/2023",
    )
    report = citizens_import(path, tree=TREE, dry_run=True)
    assert report.mapped == [MappedRows("28252 Phường 4", "28249 Phường Đạo Thạnh", 1)]
    assert not Citizen.objects.exists()


def test_a_split_commune_follows_an_assigned_hamlet_and_refuses_the_rest(
    two_trees: None, write_file: WriteFile
) -> None:
    rows = (
        f"{cccd(1990)},A,01/01/1990,Nam,{TAN_THANH_OLD},,,,Đã kích hoạt mức 1,01/09/2023",
        f"{cccd(1991, serial=2)},B,01/01/1991,Nam,{TAN_THANH_OLD},Ấp Tân Lợi,,,"
        "Đã kích hoạt mức 1,01/09/2023",
        f"{cccd(1992, serial=3)},C,01/01/1992,Nam,{TAN_THANH_OLD},Ấp Tân Hòa,,,"
        "Đã kích hoạt mức 1,01/09/2023",
    )
    report = citizens_import(police_list(write_file, *rows), tree=TREE)

    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (2, "Ấp/Khu phố", ""),
        (3, "Ấp/Khu phố", "Ấp Tân Lợi"),
    ]
    candidates = ("Xã Tân Thạnh (mã 30157)", "Xã Thanh Bình (mã 30130)")
    for error in report.errors:
        assert all(c in error.problem for c in candidates), error.problem
    assert "cần ghi ấp/khu phố" in report.errors[0].problem
    assert "“Ấp Tân Lợi”" in report.errors[1].problem
    assert "chưa được gán cho xã mới" in report.errors[1].problem
    assert str(report.errors[0]).startswith("ds.csv, dòng 2, cột “Ấp/Khu phố”")
    assert unit_of(cccd(1992, serial=3)) == (THANH_BINH, THANH_BINH)
    assert report.mapped == [
        MappedRows("30157 Xã Tân Thạnh", "30130 Xã Thanh Bình", 1),
    ]

    # Without a target tree the same rows stay on the old commune and its hamlets.
    Citizen.objects.all().delete()
    report = citizens_import(police_list(write_file, *rows, name="ds2.csv"))
    assert errors_of(report) == []
    assert unit_of(cccd(1990)) == (TAN_THANH_OLD, TAN_THANH_OLD)


def old_counts() -> list[tuple[Any, ...]]:
    """Every stored DailyCount of the 2023 tree's units for a day of that tree."""
    return sorted(
        DailyCount.objects.filter(
            unit__valid_to__isnull=False, date__lte=dt.date(2025, 6, 30)
        ).values_list(
            "unit__code",
            "date",
            "citizens",
            "eligible",
            "approved",
            "activated_l1",
            "activated_l2",
            "new_activations",
        )
    )


def test_a_known_citizen_listed_under_todays_unit_keeps_the_2023_figures(
    two_trees: None, write_file: WriteFile
) -> None:
    peak = (dt.date(2023, 8, 20), dt.date(2023, 10, 18))
    citizens_import(
        police_list(
            write_file,
            f"{cccd(1990)},A,01/01/1990,Nam,28249,Khu phố 1,HK1,,Đã duyệt,25/08/2023",
            f"{cccd(1991, serial=2)},B,01/01/1991,Nam,28252,,,,Đã kích hoạt mức 1,05/09/2023",
        )
    )
    counts_rebuild(*peak)
    before = old_counts()
    in_2023 = rollup(dt.date(2023, 9, 15), codes={DAO_THANH})[DAO_THANH]
    assert (in_2023.citizens, in_2023.activated_l1) == (2, 1)

    # 2026: A under today's code, B under Phường 4's old code mapped through lineage.
    report = citizens_import(
        police_list(
            write_file,
            f"{cccd(1990)},A,01/01/1990,Nam,28249,,HK1,,Đã kích hoạt mức 2,01/03/2026",
            f"{cccd(1991, serial=2)},B,01/01/1991,Nam,28252,,,,Đã kích hoạt mức 2,02/03/2026",
            name="ds-2026.csv",
        ),
        tree=dt.date(2026, 6, 1),
    )

    assert errors_of(report) == []
    assert report.kept_in_place == 2
    assert report.mapped == [MappedRows("28252 Phường 4", "28249 Phường Đạo Thạnh", 1)]
    # Same place under its new name: they stay on their 2023 units, and so does the household.
    assert unit_of(cccd(1990)) == ("28249", "28249-01")
    assert unit_of(cccd(1991, serial=2)) == ("28252", "28252")
    assert Household.objects.get(code="HK1").unit.code == "28249-01"
    assert old_counts() == before  # the import's own recount changed no 2023 figure
    counts_rebuild(*peak)
    assert old_counts() == before  # nor does a recount of everything from the records
    # Today's unit counts both citizens, with their 2026 states, through lineage.
    counts_rebuild(dt.date(2026, 3, 2))
    now = rollup(dt.date(2026, 3, 2), codes={DAO_THANH})[DAO_THANH]
    assert (now.citizens, now.activated_l2) == (2, 2)
    assert rollup(dt.date(2023, 9, 15), codes={DAO_THANH})[DAO_THANH] == in_2023


def test_the_command_takes_a_target_tree(two_trees: None, write_file: WriteFile) -> None:
    path = police_list(
        write_file, f"{cccd(1990)},A,01/01/1990,Nam,28252,,,,Đã kích hoạt mức 2,01/09/2023"
    )
    out = StringIO()
    call_command("import", "citizens", str(path), "--tree", "2026-01-01", stdout=out)
    assert "28252 Phường 4 → 28249 Phường Đạo Thạnh: 1 dòng" in out.getvalue()
    assert unit_of(cccd(1990)) == (DAO_THANH, DAO_THANH)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("import", "citizens", str(path), "--tree", "01/01/2026")


def test_a_kind_without_dates_refuses_a_target_tree(tmp_path: Path) -> None:
    path = tmp_path / "ket-qua.zip"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="không nhận --tree"):
        call_command("import", "results", str(path), "--tree", "2026-01-01")
