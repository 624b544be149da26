"""The Monday report as XLSX and PDF: official layout, Vietnamese text, numbers as numbers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from chiendich.accounts.models import AuditEvent
from chiendich.units.models import Kind, Level, Unit

pytestmark = pytest.mark.django_db
MONDAY = "2023-10-16"


def tool(name: str) -> str:
    """A converter the test needs: CI installs it, elsewhere the test is skipped."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (.ci/run installs it)")
        pytest.skip(f"{name} not installed")
    return path


def test_monday_report_xlsx(campaign, tmp_path: Path) -> None:
    out = tmp_path / "thu-hai.xlsx"
    call_command("report", "vneid_weekly", "--unit", "82", "--date", MONDAY, "-o", str(out))
    book = openpyxl.load_workbook(BytesIO(out.read_bytes()))
    # The Monday report is "theo từng đơn vị cấp huyện" (VII.2.a): one level, one sheet.
    assert book.sheetnames == ["Tổng hợp", "Cấp huyện"]
    districts = book["Cấp huyện"]
    assert districts.freeze_panes == "B3"
    assert districts.page_setup.orientation == "landscape"
    assert str(districts.page_setup.paperSize) == "9"  # A4
    assert districts["A2"].value == "Đơn vị" and districts["B2"].value == "Công dân đủ điều kiện"
    names = [districts.cell(row=r, column=1).value for r in range(3, 14)]
    expected = list(
        Unit.objects.filter(level=Level.DISTRICT, kind=Kind.TERRITORIAL)
        .order_by("path")
        .values_list("name", flat=True)
    )
    assert names == expected
    total = districts.cell(row=14, column=1).value
    assert total == "Tổng cộng: Tỉnh Tiền Giang"
    eligible = [districts.cell(row=r, column=2).value for r in range(3, 15)]
    assert all(isinstance(v, int) for v in eligible)
    assert eligible[-1] == sum(eligible[:-1]) == 6
    rate = districts.cell(row=3, column=6)  # % of eligible of Thành phố Mỹ Tho: 2 of 3
    assert rate.number_format == "0.00%" and abs(rate.value - 2 / 3) < 1e-4
    assert AuditEvent.objects.filter(type="report_exported", detail__format="xlsx").exists()
    converter = tool("libreoffice")
    result = subprocess.run(  # noqa: S603 - our own file, a fixed converter
        [converter, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
        capture_output=True,
        timeout=180,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "thu-hai.pdf").stat().st_size > 1000


def test_monday_report_pdf_is_an_administrative_document(campaign, tmp_path: Path) -> None:
    out = tmp_path / "thu-hai.pdf"
    call_command("report", "vneid_weekly", "--unit", "82", "--date", MONDAY, "-o", str(out))
    data = out.read_bytes()
    assert b"LiberationSerif" in data  # the Times-compatible font is embedded
    text = subprocess.run(  # noqa: S603
        [tool("pdftotext"), "-layout", str(out), "-"], capture_output=True, check=True, text=True
    ).stdout
    for line in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CÔNG AN TỈNH TIỀN GIANG",
        "Tiền Giang, ngày 16 tháng 10 năm 2023",
        "BÁO CÁO",
        "Nơi nhận:",
        "Chủ tịch Ủy ban nhân dân tỉnh",
    ):
        assert line in text, line
    for name in Unit.objects.filter(level=Level.DISTRICT, kind=Kind.TERRITORIAL).values_list(
        "name", flat=True
    ):
        assert name in text, name


def test_report_command_errors_are_clear(campaign, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="vneid_weekly"):
        call_command(
            "report", "hang_tuan", "--unit", "82", "--date", MONDAY, "-o", str(tmp_path / "x.pdf")
        )
    with pytest.raises(CommandError, match=".xlsx hoặc .pdf"):
        call_command(
            "report",
            "vneid_weekly",
            "--unit",
            "82",
            "--date",
            MONDAY,
            "-o",
            str(tmp_path / "x.doc"),
        )
    with pytest.raises(CommandError, match="Không có đơn vị mã 99999"):
        call_command(
            "report",
            "vneid_weekly",
            "--unit",
            "99999",
            "--date",
            MONDAY,
            "-o",
            str(tmp_path / "x.pdf"),
        )
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "report",
            "vneid_weekly",
            "--unit",
            "82",
            "--date",
            "16/10/2023",
            "-o",
            str(tmp_path / "x.pdf"),
        )


def test_a_day_that_is_not_a_monday_still_gives_a_report(campaign, tmp_path: Path) -> None:
    out = tmp_path / "thu-nam.xlsx"
    call_command("report", "vneid_weekly", "--unit", "82", "--date", "2023-10-12", "-o", str(out))
    book = openpyxl.load_workbook(out)
    assert "12/10/2023" in str(book["Tổng hợp"]["F1"].value or "") or any(
        "12/10/2023" in str(c.value) for row in book["Tổng hợp"].iter_rows(max_row=8) for c in row
    )
    assert dt.date(2023, 10, 12).weekday() == 3
