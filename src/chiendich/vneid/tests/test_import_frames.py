"""The set-based check (FrameChecker over core.frames) gives exactly what the row-by-row
check (RowChecker.check over core.tabular.read_table) gives: the same errors in the same
order, the same valid rows, and the same memory of IDs and households, on a list mixing
clean rows with every kind of error, cut in frames of every size."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from chiendich.core.frames import table_frames
from chiendich.core.tabular import RowError, RowErrorLog, read_table
from chiendich.units.models import Unit
from chiendich.vneid.importing.cells import CITIZEN_COLUMNS, REQUIRED
from chiendich.vneid.importing.checker import FrameChecker, RowChecker, ValidRow
from chiendich.vneid.importing.places import Places
from chiendich.vneid.tests.test_import import WriteFile, cccd, places  # noqa: F401

pytestmark = pytest.mark.django_db

HEADER = (
    "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Xã/Phường/Thị trấn,Huyện,"
    "Ấp/Khu phố,Mã hộ,Họ tên chủ hộ,Địa chỉ,Số điện thoại,Trạng thái,Ngày cập nhật"
)


def rows() -> list[str]:
    a = cccd(1995)
    b = cccd(1990, female=True, serial=2)
    c = cccd(2001, serial=3)
    return [
        # clean rows, with and without hamlet, household, phone, status
        f"{a},Nguyễn Văn An,15/03/1995,Nam,28249,,,Khu phố 1,HK1,Nguyễn Văn An,1 Lê Lợi,0912345678,Đã kích hoạt mức 1,01/09/2023",
        f"{b},Trần Thị Bé,1990-02-01,Nữ,28249,,,,HK1,,,,,",
        f"{c},Lê Văn Cường,01/01/2001,nam,28597,,,2859701,HK2,,2 Ấp Hòa Bình,,chua dang ky,20/08/2023",
        # the same ID as row 2 (in the same or a later frame)
        f"{a},Nguyễn Văn An,15/03/1995,Nam,28249,,,,,,,,,",
        # ID repaired (Excel dropped the zero), then repeated in full
        f"{cccd(1988, serial=5)[1:]},Phạm Văn Năm,05/05/1988,Nam,28249,,,,HK3,,,,,",
        f"{cccd(1988, serial=5)},Phạm Văn Năm,05/05/1988,Nam,28249,,,,,,,,,",
        # repaired ID contradicting the row; 13 digits; letters; missing; unknown province
        f"{cccd(1988, serial=7)[1:]},Phạm Văn Bảy,05/05/1989,Nam,28249,,,,,,,,,",
        "0820880000071,Sai Số,05/05/1988,Nam,28249,,,,,,,,,",
        "08209500000A,Sai Chữ,05/05/1995,Nam,28249,,,,,,,,,",
        ",Thiếu Số,05/05/1995,Nam,28249,,,,,,,,,",
        "099095000011,,15/03/1995,Nam,28249,,,,,,,,,",
        # a row with a bad name repeats nothing, but its good ID is remembered
        f"{cccd(1970, serial=12)},{'X' * 200},01/01/1970,Nam,28249,,,,,,,,,",
        f"{cccd(1970, serial=12)},Đúng Tên,01/01/1970,Nam,28249,,,,,,,,,",
        # dates: missing, malformed, future, before 1900; sex missing and unknown
        f"{cccd(1995, serial=14)},Ngày Thiếu,,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=15)},Ngày Sai,31/02/1995,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=16)},Ngày Xa,01/01/2999,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=17)},Ngày Cũ,01/01/1899,Nam,28249,,,,,,,,,",
        f"{cccd(2000, serial=48)},Nhuận,29/02/2000,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=49)},Ngắn,1/2/1995,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=50)},Tháng Sai,15/13/1995,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=51)},Năm Không,15/03/0000,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=52)},Số Excel,34773,Nam,28249,,,,,,,,Đã duyệt,45170",
        f"{cccd(1995, serial=18)},Giới Thiếu,15/03/1995,,28249,,,,,,,,,",
        f"{cccd(1995, serial=19)},Giới Lạ,15/03/1995,Khác,28249,,,,,,,,,",
        # ID against birth year and sex
        f"{cccd(1995, serial=20)},Năm Sai,15/03/1996,Nam,28249,,,,,,,,,",
        f"{cccd(1995, serial=21)},Giới Sai,15/03/1995,Nữ,28249,,,,,,,,,",
        # places: unknown code, name not matching the code, name only, nothing, hamlets
        f"{cccd(1995, serial=22)},Xã Lạ,15/03/1995,Nam,99999,,,,,,,,,",
        f"{cccd(1995, serial=23)},Tên Sai,15/03/1995,Nam,28249,Xã Trung Hòa,,,,,,,,",
        f"{cccd(1995, serial=24)},Theo Tên,15/03/1995,Nam,,Xã Trung Hòa,,Ấp Hòa Bình,HK24,,,,,",
        f"{cccd(1995, serial=25)},Không Xã,15/03/1995,Nam,,,,,,,,,,",
        f"{cccd(1995, serial=26)},Ấp Khác,15/03/1995,Nam,28249,,,2859701,,,,,,",
        f"{cccd(1995, serial=27)},Ấp Lạ,15/03/1995,Nam,28249,,,Khu phố 9,,,,,,",
        f"{cccd(1995, serial=28)},Code Số,15/03/1995,Nam,28249,Phường 5,,Khu phố 2,,,,,,",
        # lengths
        f"{cccd(1995, serial=29)},Hộ Dài,15/03/1995,Nam,28249,,,,{'H' * 31},,,,,",
        f"{cccd(1995, serial=30)},Chủ Dài,15/03/1995,Nam,28249,,,,HK30,{'C' * 101},{'D' * 201},,,",
        # phones: written otherwise but valid; invalid
        f'{cccd(1995, serial=31)},Phone Khác,15/03/1995,Nam,28249,,,,,,,"+84 912 345 678",,',
        f"{cccd(1995, serial=32)},Phone Sai,15/03/1995,Nam,28249,,,,,,,0273 3871 234,,",
        # statuses: unknown, without date, with a bad or future date; a date alone
        f"{cccd(1995, serial=33)},TT Lạ,15/03/1995,Nam,28249,,,,,,,,Đang xử lý,01/09/2023",
        f"{cccd(1995, serial=34)},TT Thiếu,15/03/1995,Nam,28249,,,,,,,,Đã duyệt,",
        f"{cccd(1995, serial=35)},TT Sai,15/03/1995,Nam,28249,,,,,,,,Đã duyệt,32/01/2023",
        f"{cccd(1995, serial=36)},TT Xa,15/03/1995,Nam,28249,,,,,,,,Đã duyệt,01/01/2999",
        f"{cccd(1995, serial=37)},Ngày Riêng,15/03/1995,Nam,28249,,,,,,,,,05/09/2023",
        f"{cccd(1995, serial=38)},Ngày Riêng Sai,15/03/1995,Nam,28249,,,,,,,,,hôm qua",
        # households: HK1 again in another commune (error naming row 2), a household whose
        # first row had an error, then the same household in two communes
        f"{cccd(1995, serial=39)},Hộ Khác Xã,15/03/1995,Nam,28597,,,,HK1,,,,,",
        f"{cccd(1995, serial=40)},Hộ Lỗi,15/03/1995,Nữ,28597,,,,HK40,,,,,",
        f"{cccd(1995, serial=41)},Hộ Đầu,15/03/1995,Nam,28249,,,,HK40,Chủ Mới,,,,",
        f"{cccd(1995, serial=42)},Hộ Sau,15/03/1995,Nam,28597,,,,HK40,,,,,",
        f"{cccd(1995, serial=43)},Hộ Sau Đúng,15/03/1995,Nam,28249,,,Khu phố 1,HK40,Chủ Khác,Địa Chỉ,,,",
        # a duplicate that is also in a household of another commune: both problems? no,
        # the household check only runs on rows without problems
        f"{cccd(1995, serial=41)},Hộ Đầu Lại,15/03/1995,Nam,28597,,,,HK40,,,,,",
        # messy cells: spaces, tabs, no-break spaces, a name in decomposed form
        f"  {cccd(1995, serial=44)} , Khoảng\u00a0 Trắng ,15/03/1995, Nam ,28249,,,,,,,,,",
        f"{cccd(1995, serial=45)},\u004e\u0067\u0075\u0079\u0065\u0302\u0303n,15/03/1995,Nam,28249,,,,,,,,,",
        "",
        ",,,,,,,,,,,,,",
        # cut short
        f"{cccd(1995, serial=46)},Cắt,15/03/1995",
        f"{cccd(1995, serial=47)},Cuối,15/03/1995,Nam,28249,,,,,,,,,",
    ]


def old_way(
    path: Path, scope: set[int] | None
) -> tuple[list[RowError], list[ValidRow], RowChecker]:
    errors = RowErrorLog()
    checker = RowChecker(path.name, Places(), errors, scope)
    valid = []
    for row in read_table(path, CITIZEN_COLUMNS, REQUIRED):
        found = checker.check(row)
        if found is not None:
            valid.append(found)
    return list(errors), valid, checker


def new_way(
    path: Path, scope: set[int] | None, size: int
) -> tuple[list[RowError], list[ValidRow], RowChecker]:
    errors = RowErrorLog()
    checker = RowChecker(path.name, Places(), errors, scope)
    frames = FrameChecker(checker)
    found: list[RowError] = []
    valid: list[pl.DataFrame] = []
    for frame in table_frames(path, CITIZEN_COLUMNS, REQUIRED, rows=size):
        rows_valid, rows_errors = frames.check(frame)
        found.extend(rows_errors)
        valid.append(rows_valid)
    return found, [ValidRow._make(r) for r in pl.concat(valid).iter_rows()], checker


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_the_frame_check_agrees_with_the_row_check(
    places: None,  # noqa: F811
    write_file: WriteFile,
    size: int,
) -> None:
    path = write_file("ds.csv", "\ufeff" + "\n".join([HEADER, *rows()]) + "\n")
    errors, valid, checker = old_way(path, None)
    assert len(errors) > 30 and len(valid) > 8  # the list holds what it is meant to
    new_errors, new_valid, new_checker = new_way(path, None, size)
    assert new_errors == errors
    assert new_valid == valid
    assert new_checker.seen == checker.seen
    assert new_checker.households == checker.households
    assert new_checker.household_details == checker.household_details
    assert new_checker.repaired == checker.repaired == 2


@pytest.mark.parametrize("size", [2, 1000])
def test_the_frame_check_agrees_within_a_scope(
    places: None,  # noqa: F811
    write_file: WriteFile,
    size: int,
) -> None:
    """An officer of Phường 5 with one of its hamlets: rows of Trung Hòa are refused."""
    commune = Unit.objects.get(code="28249")
    hamlet = Unit.objects.filter(parent=commune).order_by("pk").first()
    assert hamlet is not None
    path = write_file("ds.csv", "\n".join([HEADER, *rows()]) + "\n")
    for scope in ({commune.pk}, {hamlet.pk}):
        errors, valid, checker = old_way(path, scope)
        assert any("ngoài phạm vi" in e.problem for e in errors)
        new_errors, new_valid, new_checker = new_way(path, scope, size)
        assert new_errors == errors
        assert new_valid == valid
        assert new_checker.seen == checker.seen
        assert new_checker.households == checker.households
