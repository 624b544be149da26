"""Import messages that name the real problem (issue 14, item 7): a short ID number, a row
of another commune, an unknown status, the template's example row, headers written with
abbreviations or a typo."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.test import Client

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_A2, COMMUNE_B
from chiendich.core.tabular import TabularError, header_key, read_csv
from chiendich.imports.tests.conftest import GOOD_1, PASSWORD, cccd, police_csv, upload
from chiendich.procedures.cells import CATALOGUE_COLUMNS, DOSSIER_COLUMNS
from chiendich.results.importing import INPUT_COLUMNS
from chiendich.staff.cells import STAFF_COLUMNS
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.importing.cells import CITIZEN_COLUMNS

pytestmark = pytest.mark.django_db


def errors_by_cell(job) -> dict[tuple[int, str], str]:  # type: ignore[no-untyped-def]
    return {(e["row"], e["column"]): e["problem"] for e in job.check_report["errors"]}


# --- ID numbers ---------------------------------------------------------------------------------


def test_an_id_missing_a_digit_is_named_by_its_digit_count(officer) -> None:
    real = cccd(1990, 101)  # 082090000101: male, born 1990
    job = upload(
        officer,
        police_csv(
            # Excel dropped the leading zero: put back, the number fits, the row is imported.
            f"{real[1:]},Nguyễn Văn Một,01/02/1990,Nam,{COMMUNE_A},,,,,",
            # A digit lost in the middle: 0 put back gives 008209000102 (born 2009): the
            # problem is the 11 digits, not the birth year nor the sex.
            f"{cccd(1990, 102)[:6] + cccd(1990, 102)[7:]},Trần Văn Hai,01/02/1990,Nam,{COMMUNE_A},,,,,",
        ),
    )
    errors = errors_by_cell(job)
    assert set(errors) == {(3, "Số định danh cá nhân")}, errors
    problem = errors[(3, "Số định danh cá nhân")]
    assert problem.startswith("số định danh có 11 chữ số, phải có 12")
    # The check report masks ID numbers, this one too: 008******102.
    assert "Excel" in problem and "thêm số 0 thành 008******102" in problem
    assert "năm sinh 2009" in problem  # why the zero put back does not fit
    assert job.check_report["counts"]["rows_valid"] == 1


def test_a_ten_digit_id_of_no_province_says_the_digits_are_missing(officer) -> None:
    job = upload(officer, police_csv(f"3095000123,Lê Văn Ba,01/02/1995,Nam,{COMMUNE_A},,,,,"))
    problem = errors_by_cell(job)[(2, "Số định danh cá nhân")]
    assert problem.startswith("số định danh có 10 chữ số, phải có 12")
    assert "mã tỉnh nơi đăng ký khai sinh “003” không tồn tại" in problem


# --- another commune ---------------------------------------------------------------------------


def test_a_row_of_another_commune_is_blamed_on_its_commune_code(officer) -> None:
    unit_upsert(
        code=f"{COMMUNE_B}-01",
        name="Ấp Một",
        unit_type="ap",
        level=Level.HAMLET,
        parent=Unit.objects.get(code=COMMUNE_B),
    )
    job = upload(
        officer,
        police_csv(GOOD_1, f"{cccd(1992, 8)},Người Xã Khác,01/01/1992,Nam,{COMMUNE_B},Ấp Một,,,,"),
    )
    errors = errors_by_cell(job)
    assert set(errors) == {(3, "Mã xã")}, errors
    assert "ngoài phạm vi" in errors[(3, "Mã xã")]


def test_a_hamlet_outside_a_volunteers_hamlets_is_blamed_on_the_hamlet(tien_giang) -> None:
    commune = Unit.objects.get(code=COMMUNE_A)
    mine, other = (
        unit_upsert(
            code=f"{COMMUNE_A}-0{n}",
            name=f"Khu phố {n}",
            unit_type="khu_pho",
            level=Level.HAMLET,
            parent=commune,
        )[0]
        for n in (1, 2)
    )
    from chiendich.core.tabular import Row, RowErrorLog
    from chiendich.vneid.importing.checker import RowChecker
    from chiendich.vneid.importing.places import Places

    errors = RowErrorLog()
    checker = RowChecker("ds.csv", Places(), errors, scope={mine.pk})
    values = {
        "id_number": cccd(1990, 5),
        "full_name": "Ngô Văn Năm",
        "birth_date": "01/02/1990",
        "sex": "Nam",
        "commune_code": COMMUNE_A,
    }
    assert checker.check(Row(2, {**values, "hamlet": other.name})) is None
    values["id_number"] = cccd(1990, 6)
    assert checker.check(Row(3, {**values, "commune_code": COMMUNE_A2})) is None
    assert [(e.row, e.column) for e in errors] == [(2, "Ấp/Khu phố"), (3, "Mã xã")]


# --- status ------------------------------------------------------------------------------------


def test_an_unknown_status_lists_the_accepted_ones(officer) -> None:
    job = upload(
        officer,
        police_csv(
            f"{cccd(1990, 9)},Lê Văn Chín,01/02/1990,Nam,{COMMUNE_A},,,,Đang xử lý,01/09/2023"
        ),
    )
    problem = errors_by_cell(job)[(2, "Trạng thái")]
    assert problem.startswith("trạng thái không nằm trong danh sách")
    for accepted in ("“Chưa đăng ký”", "“Đã duyệt, chờ kích hoạt”", "“Đã kích hoạt mức 2”"):
        assert accepted in problem


# --- the template's example row --------------------------------------------------------------


def example_row(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[str(c) if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
    return rows[1]


@pytest.mark.parametrize("url", ["/nhap/mau/citizens.xlsx", "/mau/danh-sach-cong-dan.xlsx"])
def test_the_template_example_is_in_the_officers_own_commune(tien_giang, make_user, url) -> None:
    unit_upsert(
        code=f"{COMMUNE_B}-01",
        name="Ấp Hậu Thạnh",
        unit_type="ap",
        level=Level.HAMLET,
        parent=Unit.objects.get(code=COMMUNE_B),
    )
    client = Client()
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_B, password=PASSWORD))
    row = example_row(client, url)
    assert row[4] == COMMUNE_B and row[5] == "Ấp Hậu Thạnh" and row[6] == f"HK-{COMMUNE_B}-0001"
    assert row[0].startswith("082") and len(row[0]) == 12

    # A district officer gets a commune of their district (Cái Bè, 819), not Mỹ Tho's.
    district = Client()
    district.force_login(make_user(Role.DISTRICT_OFFICER, "819", password=PASSWORD))
    code = example_row(district, url)[4]
    assert Unit.objects.get(gso_code=code, level=Level.COMMUNE).parent.code == "819"


def test_the_dossier_template_example_is_received_by_the_officers_commune(
    tien_giang, make_user
) -> None:
    client = Client()
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_B, password=PASSWORD))
    assert example_row(client, "/mau/ho-so-tthc.xlsx")[2] == COMMUNE_B


def test_the_command_line_template_keeps_its_fixed_example(tien_giang) -> None:
    from chiendich.vneid.importing import citizen_template_xlsx

    sheet = openpyxl.load_workbook(io.BytesIO(citizen_template_xlsx())).worksheets[0]
    assert list(sheet.iter_rows(values_only=True))[1][4] == "28249"


# --- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "known"),
    [
        ("Mức độ DVCTT", "Mức độ DVC trực tuyến"),
        ("MỨC ĐỘ DVC TRỰC TUYẾN", "Mức độ dịch vụ công trực tuyến"),
        ("Số CCCD", "Số căn cước công dân"),
        ("Số ĐDCN", "Số định danh cá nhân"),
        ("SĐT", "Số điện thoại"),
        ("Mã HS", "Mã hồ sơ"),
        ("Mã TTHC", "Mã thủ tục hành chính"),
    ],
)
def test_headers_match_with_their_common_abbreviations(written: str, known: str) -> None:
    assert header_key(written) == header_key(known)


def test_a_dossier_export_with_abbreviated_headers_is_read(tmp_path: Path) -> None:
    path = tmp_path / "hs.csv"
    path.write_text("Mã HS,Mã TTHC,Mức độ DVCTT\nA-1,MP.TP.01,4\n", encoding="utf-8")
    columns = {
        "code": ["Mã hồ sơ"],
        "procedure": ["Mã thủ tục hành chính"],
        "level": ["Mức độ DVC trực tuyến"],
    }
    [row] = list(read_csv(path, columns, ["code", "procedure", "level"]))
    assert row.values == {"code": "A-1", "procedure": "MP.TP.01", "level": "4"}


def test_an_unrecognised_header_is_named_with_its_nearest_known_one(tmp_path: Path) -> None:
    path = tmp_path / "ds.csv"
    path.write_text("Số định danh cá nhân,Ho va ten,Ngay sinhh,Ghi chú\n", encoding="utf-8")
    with pytest.raises(TabularError) as info:
        list(read_csv(path, CITIZEN_COLUMNS, ["id_number", "birth_date"]))
    assert [e.problem for e in info.value.errors] == [
        "thiếu cột “Ngày sinh” (cột “Ngay sinhh” của tệp không được nhận ra; "
        "gần nhất là “Ngày sinh”)"
    ]


def test_no_two_columns_of_an_import_read_the_same_header() -> None:
    """Spelling abbreviations out must not make one import's columns collide."""
    for columns in (
        CITIZEN_COLUMNS,
        DOSSIER_COLUMNS,
        CATALOGUE_COLUMNS,
        STAFF_COLUMNS,
        INPUT_COLUMNS,
    ):
        seen: dict[str, str] = {}
        for key, names in columns.items():
            for name in names:
                assert seen.setdefault(header_key(name), key) == key, (name, key, seen)
