"""Importing police lists: every check by row and column, atomicity, idempotence,
history, dry runs and XLSX input, on hand-made files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from chiendich.accounts.models import AuditEvent
from chiendich.conftest import TREE_2023
from chiendich.core.tabular import TabularError
from chiendich.units.models import Unit
from chiendich.units.services import hamlets_import
from chiendich.vneid.importing import citizens as importing_citizens
from chiendich.vneid.importing import citizens_import
from chiendich.vneid.importing.writer import ChunkWriter
from chiendich.vneid.models import (
    AccountEvent,
    AccountState,
    Citizen,
    Household,
    ImportBatch,
    Source,
)
from chiendich.vneid.services import citizen_state_record

pytestmark = pytest.mark.django_db

HEADER = (
    "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Mã hộ,"
    "Số điện thoại,Trạng thái,Ngày cập nhật"
)
WriteFile = Callable[..., Path]


def cccd(year: int, *, female: bool = False, serial: int = 1, province: str = "082") -> str:
    """A well-formed ID number: province, century/sex digit, year, serial."""
    g = (year // 100 - 19) * 2 + female
    return f"{province}{g}{year % 100:02d}{serial:06d}"


# The problem names the texts accepted, one per state (issue 14).
UNKNOWN_STATUS = (
    "trạng thái không nằm trong danh sách trạng thái được chấp nhận: “Chưa đăng ký”; "
    "“Đã đăng ký mức 1, chờ duyệt”; “Đã đăng ký mức 2, chờ duyệt”; “Đã duyệt, chờ kích hoạt”; "
    "“Đã kích hoạt mức 1”; “Đã kích hoạt mức 2”"
)


def errors_of(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(e.row, e.column, e.problem) for e in report.errors]


@pytest.fixture
def places(tien_giang: Unit, write_file: WriteFile) -> None:
    """Hamlets in Phường 5 (28249), Xã Trung Hòa (28597) and Thị trấn Chợ Gạo (28594)."""
    hamlets_import(
        write_file(
            "ap.csv",
            "Mã xã,Tên ấp/khu phố,Mã ấp/khu phố\n"
            "28249,Khu phố 1,\n28249,Khu phố 2,\n28597,Ấp Hòa Bình,2859701\n28594,Khu phố 1,\n",
        ),
        on=TREE_2023,
    )


def police_list(write_file: WriteFile, *rows: str, name: str = "ds.csv", bom: bool = True) -> Path:
    return write_file(name, ("\ufeff" if bom else "") + "\n".join([HEADER, *rows]) + "\n")


def counts() -> tuple[int, int, int]:
    return Citizen.objects.count(), AccountEvent.objects.count(), Household.objects.count()


def test_a_clean_list_creates_citizens_households_events_batch_and_audit(
    places: None, write_file: WriteFile
) -> None:
    path = police_list(
        write_file,
        f"{cccd(1995)},Nguyễn Văn An,15/03/1995,Nam,28249,Khu phố 1,HK1,0912 345 678,"
        "Đã kích hoạt mức 2,01/09/2023",
        f"{cccd(1998, female=True, serial=2)},Trần Thị Bình,02/02/1998,Nữ,28249,,HK1,,"
        '"Đã đăng ký mức 1, chờ duyệt",2023-09-05',
        f"{cccd(2005, serial=3)},Lê Văn Cường,2005-12-31,nam,28597,2859701,,+84 987 654 321,,",
    )
    report = citizens_import(path)

    assert errors_of(report) == []
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (3, 3, 0)
    assert (report.created, report.updated, report.events_created) == (3, 0, 2)
    assert report.households_created == 1
    assert report.error_file is None
    an = Citizen.objects.get(id_number=cccd(1995))
    assert (an.full_name, an.birth_date, an.sex, an.phone) == (
        "Nguyễn Văn An",
        dt.date(1995, 3, 15),
        "M",
        "0912345678",
    )
    assert (an.commune.code, an.unit.code, an.household.code) == ("28249", "28249-01", "HK1")
    assert (an.state, an.state_date) == (AccountState.ACTIVATED_L2, dt.date(2023, 9, 1))
    binh = Citizen.objects.get(id_number=cccd(1998, female=True, serial=2))
    assert binh.unit.code == "28249"  # no hamlet given: the commune
    assert binh.household_id == an.household_id
    assert binh.state == AccountState.L1_PENDING
    cuong = Citizen.objects.get(id_number=cccd(2005, serial=3))
    assert (cuong.unit.code, cuong.phone, cuong.state, cuong.state_date) == (
        "2859701",
        "0987654321",
        AccountState.NOT_REGISTERED,
        None,
    )
    assert not cuong.events.exists()
    household = Household.objects.get(code="HK1")
    assert (household.commune.code, household.unit.code) == ("28249", "28249-01")

    event = an.events.get()
    batch = ImportBatch.objects.get()
    assert (event.source, event.batch_id, event.unit_id, event.until) == (
        Source.POLICE_LIST,
        batch.pk,
        an.unit_id,
        None,
    )
    assert (batch.kind, batch.status, batch.rows_total, batch.citizens_created) == (
        "citizens",
        "done",
        3,
        3,
    )
    assert len(batch.sha256) == 64
    audit = AuditEvent.objects.get(type=AuditEvent.Type.CITIZENS_IMPORTED)
    assert audit.detail["created"] == 3 and audit.object_id == str(batch.pk)
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED).exists()


def test_cells_that_read_like_a_null_marker_stay_text(places: None, write_file: WriteFile) -> None:
    """Staged rows go to PostgreSQL by COPY in CSV: "\\N" there means a missing value
    unless quoted. A name or a household code written so is kept as written."""
    path = police_list(
        write_file,
        f"{cccd(1995)},\\N,15/03/1995,Nam,28249,Khu phố 1,\\N,,,",
        f"{cccd(1996, serial=2)},NULL,15/03/1996,Nam,28249,Khu phố 1,,,,",
    )
    report = citizens_import(path)
    assert errors_of(report) == [] and report.created == 2
    first = Citizen.objects.get(id_number=cccd(1995))
    assert (first.full_name, first.household.code) == ("\\N", "\\N")
    assert Citizen.objects.get(id_number=cccd(1996, serial=2)).full_name == "NULL"


def test_folded_headers_match(places: None, write_file: WriteFile) -> None:
    path = write_file(
        "khong-dau.csv",
        "so dinh danh ca nhan, HO VA TEN ,ngay  sinh,GIOI TINH,ma xa,ap / khu pho\n"
        f"{cccd(1990)},Phạm Văn Dũng,01/01/1990,Nam,28249,khu pho 2\n",
    )
    report = citizens_import(path)
    assert errors_of(report) == []
    assert Citizen.objects.get().unit.code == "28249-02"


def test_a_missing_required_header_is_one_error_on_row_1_and_nothing_is_written(
    places: None, write_file: WriteFile
) -> None:
    path = write_file(
        "thieu-cot.csv",
        f"Số định danh cá nhân,Họ và tên,Giới tính,Mã xã\n{cccd(1990)},Phạm Văn Dũng,Nam,28249\n",
    )
    with pytest.raises(TabularError) as info:
        citizens_import(path)
    assert [str(e) for e in info.value.errors] == ["thieu-cot.csv, dòng 1: thiếu cột “Ngày sinh”"]
    assert counts() == (0, 0, 0)
    assert not ImportBatch.objects.exists()


def test_commune_column_may_be_a_code_or_a_name(places: None, write_file: WriteFile) -> None:
    path = write_file(
        "ten-xa.csv",
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Xã/Phường/Thị trấn\n"
        f"{cccd(1990)},A,01/01/1990,Nam,Xã Trung Hòa\n",
    )
    assert errors_of(citizens_import(path)) == []
    assert Citizen.objects.get().commune.code == "28597"


def test_an_ambiguous_commune_name_asks_for_the_code_or_a_district(
    places: None, write_file: WriteFile
) -> None:
    ambiguous = write_file(
        "phuong-1.csv",
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Xã/Phường/Thị trấn\n"
        f"{cccd(1990)},A,01/01/1990,Nam,Phường 1\n",
    )
    report = citizens_import(ambiguous)
    [(row, column, problem)] = errors_of(report)
    assert (row, column) == (2, "Xã/Phường/Thị trấn")
    assert "hãy ghi cột “Mã xã” hoặc thêm cột “Huyện”" in problem

    with_district = write_file(
        "phuong-1-huyen.csv",
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Xã/Phường/Thị trấn,Huyện\n"
        f"{cccd(1990)},A,01/01/1990,Nam,Phường 1,Thành phố Mỹ Tho\n",
    )
    assert errors_of(citizens_import(with_district)) == []
    assert Citizen.objects.get().commune.parent.code == "815"


def test_every_row_check_names_row_and_column_and_rejected_rows_are_not_written(
    places: None, write_file: WriteFile
) -> None:
    good = cccd(1995)
    path = police_list(
        write_file,
        # 2: valid, with the leading zero stripped by Excel
        f"{good[1:]},Nguyễn Văn An,15/03/1995,Nam,28249,Khu phố 1,,,,",
        # 3: birth year contradicts the ID (1995)
        f"{cccd(1995, serial=3)},Lê Văn Ba,15/03/1996,Nam,28249,,,,,",
        # 4: sex contradicts the century/sex digit (0 = male)
        f"{cccd(1995, serial=4)},Lê Thị Bốn,15/03/1995,Nữ,28249,,,,,",
        # 5: unknown commune
        f"{cccd(1995, serial=5)},Lê Văn Năm,15/03/1995,Nam,99999,,,,,",
        # 6: hamlet of another commune
        f"{cccd(1995, serial=6)},Lê Văn Sáu,15/03/1995,Nam,28249,2859701,,,,",
        # 7: the ID of row 2 again
        f"{good},Nguyễn Văn An,15/03/1995,Nam,28249,,,,,",
        # 8: a date in the future
        f"{cccd(1995, serial=8)},Lê Văn Tám,15/03/1995,Nam,28249,,,,Chưa đăng ký,01/01/2999",
        # 9: unknown status
        f"{cccd(1995, serial=9)},Lê Văn Chín,15/03/1995,Nam,28249,,,,Đang xử lý,01/09/2023",
        # 10: status without its date, and a landline
        f"{cccd(1995, serial=10)},Lê Văn Mười,15/03/1995,Nam,28249,,,0273 3871 234,Đã kích hoạt mức 1,",
        # 11: province 099 does not exist; name missing
        "099095000011,,15/03/1995,Nam,28249,,,,,",
        # 12: hamlet name unknown in the commune
        f"{cccd(1995, serial=12)},Lê Văn Mười Hai,15/03/1995,Nam,28249,Khu phố 9,,,,",
    )
    report = citizens_import(path)

    assert errors_of(report) == [
        (
            3,
            "Ngày sinh",
            f"năm sinh 1996 không khớp với số định danh {cccd(1995, serial=3)} "
            "(số định danh ghi năm 1995)",
        ),
        (
            4,
            "Giới tính",
            f"giới tính không khớp với số định danh {cccd(1995, serial=4)} "
            "(chữ số thứ 4 “0” là của nam)",
        ),
        (5, "Mã xã", "không có xã/phường/thị trấn mã này"),
        (6, "Ấp/Khu phố", "ấp/khu phố “Ấp Hòa Bình” không thuộc Phường 5"),
        (7, "Số định danh cá nhân", "trùng số định danh với dòng 2"),
        (8, "Ngày cập nhật", "ngày cập nhật ở tương lai"),
        (9, "Trạng thái", UNKNOWN_STATUS),
        (
            10,
            "Số điện thoại",
            "số điện thoại di động phải có 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09",
        ),
        (10, "Ngày cập nhật", "có trạng thái thì phải có ngày cập nhật"),
        (11, "Số định danh cá nhân", "mã tỉnh nơi đăng ký khai sinh “099” không tồn tại"),
        (11, "Họ và tên", "thiếu họ và tên"),
        (12, "Ấp/Khu phố", "không có ấp/khu phố này trong Phường 5"),
    ]
    assert str(report.errors[0]).startswith("ds.csv, dòng 3, cột “Ngày sinh”: năm sinh 1996")
    assert report.errors[4].value == good
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (11, 1, 10)
    assert report.ids_repaired == 1
    assert list(Citizen.objects.values_list("id_number", flat=True)) == [good]
    assert not AccountEvent.objects.exists()


def test_mixed_date_forms_in_one_file(places: None, write_file: WriteFile) -> None:
    path = police_list(
        write_file,
        f"{cccd(1995)},A,15/03/1995,Nam,28249,,,,Chưa đăng ký,20/8/2023",
        f"{cccd(1996, serial=2)},B,1996-04-16,Nam,28249,,,,Chưa đăng ký,2023-08-21",
        f"{cccd(1997, serial=3)},C,35536,Nam,28249,,,,Chưa đăng ký,45170",
    )
    report = citizens_import(path)
    assert errors_of(report) == []
    assert dict(Citizen.objects.values_list("full_name", "birth_date")) == {
        "A": dt.date(1995, 3, 15),
        "B": dt.date(1996, 4, 16),
        "C": dt.date(1997, 4, 16),
    }
    assert sorted(AccountEvent.objects.values_list("date", flat=True)) == [
        dt.date(2023, 8, 20),
        dt.date(2023, 8, 21),
        dt.date(2023, 9, 1),
    ]


def test_a_row_cut_short_at_the_end_of_the_file(places: None, write_file: WriteFile) -> None:
    path = write_file(
        "cut.csv",
        HEADER + "\n"
        f"{cccd(1995)},A,15/03/1995,Nam,28249,,,,,\n"
        f"{cccd(1996, serial=2)},B,16/04/1996",  # the copy stopped here
    )
    report = citizens_import(path)
    assert errors_of(report) == [(3, "", "dòng bị cắt: có 3 ô, dòng tiêu đề có 10 cột")]
    assert list(Citizen.objects.values_list("full_name", flat=True)) == ["A"]


def test_an_unterminated_quote_at_the_end_of_the_file(places: None, write_file: WriteFile) -> None:
    path = write_file(
        "quote.csv",
        HEADER + "\n"
        f'{cccd(1995)},A,15/03/1995,Nam,28249,,,,"Đã kích hoạt mức 1",01/09/2023\n'
        f'{cccd(1996, serial=2)},B,16/04/1996,Nam,28249,,,,"Đã kích',
    )
    report = citizens_import(path)
    assert errors_of(report) == [
        (3, "", "dòng bị cắt: dấu ngoặc kép mở mà không đóng (tệp bị cắt giữa chừng?)")
    ]
    assert Citizen.objects.get().full_name == "A"


def test_dry_run_writes_nothing_but_the_error_file(
    places: None, write_file: WriteFile, tmp_path: Path
) -> None:
    path = police_list(
        write_file,
        f"{cccd(1995)},A,15/03/1995,Nam,28249,,HK1,,Chưa đăng ký,20/08/2023",
        f"{cccd(1995, serial=2)},B,15/03/1995,Nam,99999,,,,,",
        f"{cccd(1995, serial=3)},C,15/03/1995,Nam,28249,,,,Đã kích hoạt,20/08/2023",
    )
    out = tmp_path / "loi" / "ds-loi.xlsx"
    report = citizens_import(path, dry_run=True, errors_path=out)

    assert counts() == (0, 0, 0)
    assert (report.created, report.events_created, report.households_created) == (1, 1, 1)
    assert report.error_file == out
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Dòng", "Cột", "Giá trị", "Lỗi"],
        [3, "Mã xã", "99999", "không có xã/phường/thị trấn mã này"],
        [
            4,
            "Trạng thái",
            "Đã kích hoạt",
            UNKNOWN_STATUS,
        ],
    ]
    assert not ImportBatch.objects.exists()  # a dry run writes no history row
    export = AuditEvent.objects.get(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED)
    assert export.detail["file"] == str(out)
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.CITIZENS_IMPORTED).exists()


def test_a_real_run_with_errors_writes_the_valid_rows_and_the_error_file_beside_the_list(
    places: None, write_file: WriteFile
) -> None:
    path = police_list(
        write_file,
        f"{cccd(1995)},A,15/03/1995,Nam,28249,,,,,",
        f"{cccd(1995, serial=2)},B,15/03/1995,Nam,99999,,,,,",
    )
    report = citizens_import(path)
    assert report.error_file == path.with_name("ds-loi.xlsx")
    assert report.error_file.exists()
    assert Citizen.objects.count() == 1
    assert ImportBatch.objects.get().error_file == str(report.error_file)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED).count() == 1


def test_importing_the_same_file_again_changes_nothing(places: None, write_file: WriteFile) -> None:
    path = police_list(
        write_file,
        f"{cccd(1995)},A,15/03/1995,Nam,28249,Khu phố 1,HK1,0912345678,Đã kích hoạt mức 1,01/09/2023",
        f"{cccd(1995, serial=2)},B,15/03/1995,Nam,28249,,HK1,,Chưa đăng ký,20/08/2023",
    )
    citizens_import(path)
    before = (
        list(Citizen.objects.order_by("pk").values()),
        list(AccountEvent.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
    )
    again = citizens_import(path)
    assert (again.created, again.updated, again.unchanged, again.events_created) == (0, 0, 2, 0)
    assert again.households_created == 0
    assert (
        list(Citizen.objects.order_by("pk").values()),
        list(AccountEvent.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
    ) == before


def test_a_changed_field_updates_the_citizen_and_what_the_list_omits_is_kept(
    places: None, write_file: WriteFile
) -> None:
    citizens_import(
        police_list(
            write_file,
            f"{cccd(1995)},Nguyen Van An,15/03/1995,Nam,28249,Khu phố 1,HK1,0912345678,,",
        )
    )
    report = citizens_import(
        police_list(
            write_file, f"{cccd(1995)},Nguyễn Văn An,15/03/1995,Nam,28249,,,,,", name="moi.csv"
        )
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    an = Citizen.objects.get()
    assert an.full_name == "Nguyễn Văn An"
    assert (an.unit.code, an.phone, an.household.code) == ("28249-01", "0912345678", "HK1")


def test_a_newer_status_adds_exactly_one_event_and_moves_the_state(
    places: None, write_file: WriteFile
) -> None:
    row = f"{cccd(1995)},A,15/03/1995,Nam,28249,,,,{{}},{{}}"
    citizens_import(police_list(write_file, row.format('"Đã duyệt, chờ kích hoạt"', "01/09/2023")))
    report = citizens_import(
        police_list(write_file, row.format("Đã kích hoạt mức 1", "10/09/2023"), name="moi.csv")
    )
    assert (report.events_created, report.updated, report.unchanged) == (1, 0, 1)
    citizen = Citizen.objects.get()
    assert (citizen.state, citizen.state_date) == (AccountState.ACTIVATED_L1, dt.date(2023, 9, 10))
    assert list(citizen.events.values_list("state", "date", "until")) == [
        ("approved", dt.date(2023, 9, 1), dt.date(2023, 9, 10)),
        ("activated_l1", dt.date(2023, 9, 10), None),
    ]
    # A later list still saying "activated" (with its own date) adds nothing.
    report = citizens_import(
        police_list(write_file, row.format("Đã kích hoạt mức 1", "20/09/2023"), name="sau.csv")
    )
    assert report.events_created == 0
    assert citizen.events.count() == 2


def test_an_older_status_slots_into_the_history(places: None, write_file: WriteFile) -> None:
    citizens_import(
        police_list(
            write_file, f"{cccd(1995)},A,15/03/1995,Nam,28249,,,,Đã kích hoạt mức 2,01/10/2023"
        )
    )
    citizen = Citizen.objects.get()
    citizen_state_record(
        citizen, state=AccountState.NOT_REGISTERED, date=dt.date(2023, 8, 20), source=Source.VISIT
    )
    report = citizens_import(
        police_list(
            write_file,
            f"{cccd(1995)},A,15/03/1995,Nam,28249,,,,Đã đăng ký mức 2 chờ duyệt,15/09/2023",
            name="cu.csv",
        )
    )
    assert report.events_created == 1
    citizen.refresh_from_db()
    assert (citizen.state, citizen.state_date) == (AccountState.ACTIVATED_L2, dt.date(2023, 10, 1))
    assert list(citizen.events.values_list("state", "date", "until")) == [
        ("not_registered", dt.date(2023, 8, 20), dt.date(2023, 9, 15)),
        ("l2_pending", dt.date(2023, 9, 15), dt.date(2023, 10, 1)),
        ("activated_l2", dt.date(2023, 10, 1), None),
    ]


def test_a_citizen_moved_to_another_hamlet_takes_the_history_along(
    places: None, write_file: WriteFile
) -> None:
    citizens_import(
        police_list(
            write_file,
            f"{cccd(1995)},A,15/03/1995,Nam,28249,Khu phố 1,,,Đã kích hoạt mức 1,01/09/2023",
        )
    )
    report = citizens_import(
        police_list(
            write_file, f"{cccd(1995)},A,15/03/1995,Nam,28249,Khu phố 2,,,,", name="moi.csv"
        )
    )
    assert report.updated == 1
    citizen = Citizen.objects.get()
    assert citizen.unit.code == "28249-02"
    assert set(citizen.events.values_list("unit__code", flat=True)) == {"28249-02"}


def test_a_household_lives_in_one_commune(places: None, write_file: WriteFile) -> None:
    report = citizens_import(
        police_list(
            write_file,
            f"{cccd(1995)},A,15/03/1995,Nam,28249,,HK1,,,",
            f"{cccd(1995, serial=2)},B,15/03/1995,Nam,28597,,HK1,,,",
        )
    )
    assert errors_of(report) == [(3, "Mã hộ", "hộ này đã ghi ở xã/phường/thị trấn khác (dòng 2)")]


def test_xlsx_with_numeric_id_cells_and_real_date_cells(places: None, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            82095000123,
            "Nguyễn Văn An",
            dt.datetime(1995, 3, 15),  # noqa: DTZ001 - Excel cells are naive
            "Nam",
            28249,
            "Khu phố 1",
            None,
            912345678,
            "Đã kích hoạt mức 2",
            dt.datetime(2023, 9, 1),  # noqa: DTZ001
        ]
    )
    sheet.append(
        [
            82198000124.0,
            "Trần Thị Bình",
            dt.date(1998, 2, 2),
            "Nữ",
            "28249",
            None,
            None,
            None,
            "Chờ duyệt mức 1",
            45170,
        ]
    )
    sheet.append([])  # a blank row is skipped, not an error
    sheet.append(
        [82198000125, "Trần Thị Ba", "31/12/1998", "Nữ", 28249, None, None, None, None, None]
    )
    path = tmp_path / "ds.xlsx"
    book.save(path)

    report = citizens_import(path)
    assert errors_of(report) == []
    assert (report.rows_read, report.created, report.ids_repaired) == (3, 3, 3)
    an = Citizen.objects.get(id_number="082095000123")
    assert (an.birth_date, an.phone, an.unit.code, an.state_date) == (
        dt.date(1995, 3, 15),
        "0912345678",
        "28249-01",
        dt.date(2023, 9, 1),
    )
    binh = Citizen.objects.get(id_number="082198000124")
    assert (binh.birth_date, binh.state, binh.state_date) == (
        dt.date(1998, 2, 2),
        AccountState.L1_PENDING,
        dt.date(2023, 9, 1),
    )


def test_an_interrupted_import_leaves_the_database_as_it_was(
    places: None, write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizens_import(
        police_list(
            write_file, f"{cccd(1995)},A,15/03/1995,Nam,28249,,HK1,,Chưa đăng ký,20/08/2023"
        )
    )

    def snapshot() -> list[object]:
        return [
            list(Citizen.objects.order_by("pk").values()),
            list(AccountEvent.objects.order_by("pk").values()),
            list(Household.objects.order_by("pk").values()),
            list(ImportBatch.objects.order_by("pk").values()),
            AuditEvent.objects.count(),
        ]

    before = snapshot()
    rows = [f"{cccd(1995)},A,15/03/1995,Nam,28249,,HK1,,Đã kích hoạt mức 1,01/09/2023"] + [
        f"{cccd(1990, serial=n)},B{n},01/01/1990,Nam,28249,,HK{n},,Chưa đăng ký,20/08/2023"
        for n in range(2, 12)
    ]
    monkeypatch.setattr(importing_citizens, "CHUNK_SIZE", 3)
    calls = []
    original = ChunkWriter._insert_events

    def interrupted(self, cursor, events):  # type: ignore[no-untyped-def]
        calls.append(len(events))
        if len(calls) == 3:
            raise KeyboardInterrupt
        original(self, cursor, events)

    monkeypatch.setattr(ChunkWriter, "_insert_events", interrupted)
    with pytest.raises(KeyboardInterrupt):
        citizens_import(police_list(write_file, *rows, name="lon.csv"))
    assert len(calls) == 3  # two chunks were written before the interruption
    assert snapshot() == before


def test_the_template_imports_cleanly(places: None, tmp_path: Path) -> None:
    from chiendich.vneid.importing import TEMPLATE_HEADERS, citizen_template_xlsx

    path = tmp_path / "mau.xlsx"
    path.write_bytes(citizen_template_xlsx())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Danh sách", "Hướng dẫn"]
    first = next(book["Danh sách"].iter_rows(values_only=True))
    # The police list's columns, with the two optional household columns the door-to-door
    # worklist reads (head of household, address) after "Mã hộ".
    columns = HEADER.split(",")
    assert (
        list(first) == TEMPLATE_HEADERS == [*columns[:7], "Họ tên chủ hộ", "Địa chỉ", *columns[7:]]
    )
    guide = [row[0] for row in book["Hướng dẫn"].iter_rows(values_only=True)]
    assert "Đã duyệt, chờ kích hoạt" in guide and "Xã/Phường/Thị trấn" in guide
    assert "Họ tên chủ hộ" in guide and "Địa chỉ" in guide

    report = citizens_import(path)
    assert errors_of(report) == []
    assert Citizen.objects.get().state == AccountState.ACTIVATED_L2
    assert (Household.objects.get().head_name, Household.objects.get().address) == (
        "Nguyễn Văn An",
        "Số 12, tổ 3, Khu phố 1",
    )


def test_a_later_list_moves_a_household_but_keeps_its_hamlet_when_only_the_commune_is_given(
    places: None, write_file: WriteFile
) -> None:
    citizens_import(
        police_list(write_file, f"{cccd(1995)},A,15/03/1995,Nam,28249,Khu phố 1,HK1,,,")
    )
    citizens_import(
        police_list(write_file, f"{cccd(1995)},A,15/03/1995,Nam,28249,,HK1,,,", name="b.csv")
    )
    assert Household.objects.get().unit.code == "28249-01"
    citizens_import(
        police_list(
            write_file, f"{cccd(1995)},A,15/03/1995,Nam,28597,Ấp Hòa Bình,HK1,,,", name="c.csv"
        )
    )
    household = Household.objects.get()
    assert (household.commune.code, household.unit.code) == ("28597", "2859701")
    assert Citizen.objects.get().unit.code == "2859701"


def test_the_acting_user_is_recorded(
    places: None, write_file: WriteFile, make_user: Callable[..., object]
) -> None:
    officer = make_user("police_commune", "28249")
    citizens_import(
        police_list(write_file, f"{cccd(1995)},A,15/03/1995,Nam,28249,,,,Chưa đăng ký,20/08/2023"),
        acting_user=officer,  # type: ignore[arg-type]
    )
    assert ImportBatch.objects.get().user == officer
    assert AccountEvent.objects.get().recorded_by == officer
    assert AuditEvent.objects.get(type=AuditEvent.Type.CITIZENS_IMPORTED).user == officer


def test_progress_is_reported_in_rows_read(
    places: None, write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing_citizens, "PROGRESS_EVERY", 2)
    seen: list[int] = []
    rows = [f"{cccd(1990, serial=n)},B{n},01/01/1990,Nam,28249,,,,," for n in range(1, 6)]
    citizens_import(police_list(write_file, *rows), progress=seen.append)
    assert seen == [2, 4, 5]


def test_the_head_of_household_and_address_columns_are_kept_on_the_household(
    places: None, write_file: WriteFile
) -> None:
    """ "Họ tên chủ hộ" and "Địa chỉ" (or "Nơi thường trú") go to the household: the first
    row of a household that gives each; a later list that omits them keeps them, one
    that gives another value replaces it; an over-long value is refused by row and column."""
    header = "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Mã hộ,"
    first = write_file(
        "chu-ho.csv",
        header + "Họ tên chủ hộ,Nơi thường trú\n"
        f'{cccd(1960)},Lê Văn Chủ,01/01/1960,Nam,28249,Khu phố 1,HK-1,Lê Văn Chủ,"Số 7, tổ 2"\n'
        f"{cccd(1990, serial=2)},Lê Văn Con,01/01/1990,Nam,28249,Khu phố 1,HK-1,,\n"
        f"{cccd(1970, female=True, serial=3)},Võ Thị Hai,01/01/1970,Nữ,28249,Khu phố 2,HK-2,,\n",
    )
    report = citizens_import(first)
    assert errors_of(report) == []
    kept = {h.code: (h.head_name, h.address) for h in Household.objects.all()}
    assert kept == {"HK-1": ("Lê Văn Chủ", "Số 7, tổ 2"), "HK-2": ("", "")}

    # A list without the columns keeps them; one naming a new head replaces the old.
    citizens_import(
        police_list(write_file, f"{cccd(1960)},Lê Văn Chủ,01/01/1960,Nam,28249,Khu phố 1,HK-1,,,")
    )
    assert Household.objects.get(code="HK-1").head_name == "Lê Văn Chủ"
    citizens_import(
        write_file(
            "chu-ho-moi.csv",
            header + "Họ và tên chủ hộ,Địa chỉ\n"
            f"{cccd(1990, serial=2)},Lê Văn Con,01/01/1990,Nam,28249,Khu phố 1,HK-1,Lê Văn Con,\n",
        )
    )
    assert (
        Household.objects.get(code="HK-1").head_name,
        Household.objects.get(code="HK-1").address,
    ) == (
        "Lê Văn Con",
        "Số 7, tổ 2",
    )

    too_long = write_file(
        "dai.csv",
        header + "Họ tên chủ hộ\n"
        f"{cccd(1980, serial=4)},Ngô Văn Dài,01/01/1980,Nam,28249,Khu phố 2,HK-3,{'A' * 101}\n",
    )
    report = citizens_import(too_long)
    assert errors_of(report) == [(2, "Họ tên chủ hộ", "họ tên chủ hộ dài quá 100 ký tự")]
    assert not Household.objects.filter(code="HK-3").exists()
