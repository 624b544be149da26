"""The police list's downloadable template carries the household columns the door-to-door
worklist reads (issue 13): "Họ tên chủ hộ" and "Địa chỉ", optional, with the example row
filled in, explained on the guide sheet and named on the import page."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_B
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.importing import citizen_template_xlsx
from chiendich.vneid.importing.cells import REQUIRED
from chiendich.vneid.models import Household

from .test_import import places  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

PASSWORD = "mau-danh-sach-383"


def sheets(content: bytes) -> tuple[list[list[str]], list[list[str]]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = [
        [str(c) if c is not None else "" for c in r]
        for r in book["Danh sách"].iter_rows(values_only=True)
    ]
    guide = [
        [str(c) if c is not None else "" for c in r]
        for r in book["Hướng dẫn"].iter_rows(values_only=True)
    ]
    return rows, guide


def test_the_template_has_the_head_and_address_columns_filled_in_its_example(tien_giang) -> None:
    rows, guide = sheets(citizen_template_xlsx())
    header, example = rows[0], rows[1]
    assert header.index("Họ tên chủ hộ") == header.index("Mã hộ") + 1
    assert header.index("Địa chỉ") == header.index("Mã hộ") + 2
    filled = dict(zip(header, example, strict=True))
    assert filled["Họ tên chủ hộ"] == "Nguyễn Văn An"
    assert filled["Địa chỉ"] == "Số 12, tổ 3, Khu phố 1"
    # Optional: not among the required columns, and the guide says so.
    assert "head_name" not in REQUIRED and "address" not in REQUIRED
    by_column = {line[0]: line for line in guide if line and line[0]}
    assert by_column["Họ tên chủ hộ"][1] == "Không bắt buộc"
    assert by_column["Địa chỉ"][1] == "Không bắt buộc"
    assert "đi từng nhà" in by_column["Họ tên chủ hộ"][2]
    assert "người lớn tuổi nhất" in by_column["Họ tên chủ hộ"][2]
    # The other headers the import accepts for the address include "Nơi thường trú".
    assert "Nơi thường trú" in by_column["Địa chỉ"][3]
    assert "Chủ hộ" in by_column["Họ tên chủ hộ"][3]


def test_the_downloaded_example_puts_the_address_in_the_officers_hamlet(
    tien_giang, make_user
) -> None:
    unit_upsert(
        code=f"{COMMUNE_B}-01",
        name="Ấp Hậu Thạnh",
        unit_type="ap",
        level=Level.HAMLET,
        parent=Unit.objects.get(code=COMMUNE_B),
    )
    client = Client()
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_B, password=PASSWORD))
    for url in ("/nhap/mau/citizens.xlsx", "/mau/danh-sach-cong-dan.xlsx"):
        response = client.get(url)
        assert response.status_code == 200
        rows, _ = sheets(response.content)
        filled = dict(zip(rows[0], rows[1], strict=True))
        assert filled["Ấp/Khu phố"] == "Ấp Hậu Thạnh"
        assert filled["Họ tên chủ hộ"] == "Nguyễn Văn An"
        assert filled["Địa chỉ"] == "Số 12, tổ 3, Ấp Hậu Thạnh"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_import_page_names_the_household_columns(tien_giang, make_user, language) -> None:
    client = Client(headers={"accept-language": language})
    client.force_login(make_user(Role.COMMUNE_OFFICER, COMMUNE_B, password=PASSWORD))
    client.cookies["django_language"] = language
    page = client.get("/nhap/").content.decode()
    start = page.index('id="citizens-household-columns"')
    note = page[start : page.index("</span>", start)]
    for column in ("“Họ tên chủ hộ”", "“Địa chỉ”", "“Nơi thường trú”", "“Hướng dẫn”"):
        assert column in note


# --- a misspelled optional column is named, not silently ignored ---------------------------


@pytest.mark.usefixtures("places")
def test_a_misspelled_household_column_is_warned_of_not_refused(write_file) -> None:
    from chiendich.vneid.importing import citizens_import

    from .test_import import cccd

    header = (
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Mã hộ,"
        "Ho ten chu ho x,Dia chi,Ghi chú,STT"
    )
    path = write_file(
        "chu-ho-sai.csv",
        f"{header}\n{cccd(1960)},Lê Văn Chủ,01/01/1960,Nam,28249,Khu phố 1,HK-1,Lê Văn Chủ,"
        '"Số 7, tổ 2",khách,1\n',
    )
    report = citizens_import(path)
    assert report.errors == [] and report.rows_valid == 1
    # The address (written without accents) is read; the misspelled head is not, and the
    # report says so with the nearest known header. Unrelated columns raise nothing.
    assert report.unread_headers == [("Ho ten chu ho x", "Họ tên chủ hộ")]
    assert Household.objects.get(code="HK-1").address == "Số 7, tổ 2"
    assert Household.objects.get(code="HK-1").head_name == ""
    assert "Cảnh báo: cột “Ho ten chu ho x” không được đọc; gần nhất: “Họ tên chủ hộ”" in (
        report.summary_lines()
    )


def test_the_import_job_page_shows_the_column_not_read(tien_giang, make_user, settings, tmp_path):
    from chiendich.conftest import COMMUNE_A
    from chiendich.imports.services import job_upload
    from chiendich.imports.tests.conftest import GOOD_1, HEADER, IMMEDIATE

    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    settings.CAMPAIGN_TODAY = "2023-10-18"
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A, password=PASSWORD)
    content = f"\ufeff{HEADER},Noi thuong truu\n{GOOD_1},Số 3\n".encode()
    job = job_upload(acting_user=officer, kind="citizens", file_name="ds.csv", chunks=[content])
    job.refresh_from_db()
    assert job.check_report["unread_headers"] == [
        {"column": "Noi thuong truu", "nearest": "Nơi thường trú"}
    ]
    assert job.check_report["error_count"] == 0  # a warning, not a refusal
    client = Client()
    client.force_login(officer)
    for language in ("vi", "en"):
        client.cookies["django_language"] = language
        page = client.get(f"/nhap/{job.uuid}/").content.decode()
        with translation.override(language):
            said = translation.gettext(
                "Column “%(written)s” was not read; the nearest known column is “%(known)s”. "
                "Correct its header and upload the file again if it should be read."
            ) % {"written": "Noi thuong truu", "known": "Nơi thường trú"}
        assert 'id="unread-headers"' in page
        assert said in page


def _kinds() -> dict:
    from chiendich.imports.kinds import kinds

    return {name: spec.declared for name, spec in kinds().items()}


# (organizations: every column is required, nothing optional to misspell)
@pytest.mark.parametrize(
    "name", ["citizens", "dossiers", "catalogue", "staff", "results", "hamlets"]
)
def test_every_kind_names_a_misspelled_optional_column(name, tmp_path) -> None:
    """Every import kind reads its header through core.tabular: a misspelled optional
    column (one letter too many) is named with the header it comes closest to; a column
    that resembles nothing, and the required columns, raise no warning."""
    from chiendich.core.tabular import header_key, read_csv, unread_headers

    kind = _kinds()[name]
    needed = {k for need in kind.required for k in ((need,) if isinstance(need, str) else need)}
    # An optional column's header with its last letter typed twice (not one ending in an
    # abbreviation, "Mã TTHC": "TTHCC" is no longer one); the longest such header.
    optional = [
        kind.columns[k][0]
        for k in kind.columns
        if k not in needed
        and header_key(kind.columns[k][0] + kind.columns[k][0][-1]).startswith(
            header_key(kind.columns[k][0])
        )
    ]
    if name == "dossiers":
        # Every column of the dossier export is required: a misspelled one refuses the
        # file with the nearest header (issue 14); nothing optional is left to warn of.
        assert optional == [] and set(kind.columns) == needed
        return
    known = max(optional, key=lambda h: len(header_key(h)))
    misspelled = known + known[-1]
    # One name of each alternative group is enough (a commune's code or its name).
    header = [kind.columns[need if isinstance(need, str) else need[0]][0] for need in kind.required]
    path = tmp_path / "f.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[*header, misspelled, "Ghi chú riêng"], ["1"] * (len(header) + 2)])
    with unread_headers() as found:
        list(read_csv(path, kind.columns, kind.required))
    assert found == [(misspelled, known)], (name, found)
