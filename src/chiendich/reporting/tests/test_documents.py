"""Report documents complete: signer, "Nơi nhận", page numbers, narrative, % and totals.

Read back as a reader would: the PDF through pdftotext, the XLSX through openpyxl.
Strings added this session are looked up through gettext in Vietnamese, so the tests
hold before and after their translations are filled in.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal
from io import BytesIO
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.core.numbers import vn_number
from chiendich.reporting import services
from chiendich.reporting.content import OWN
from chiendich.reporting.models import Report, ReportState, SignerBody
from chiendich.reporting.selectors import report_file, report_view
from chiendich.units.models import Unit

from .test_outputs import tool

pytestmark = pytest.mark.django_db


def vi(message: str, **values: Any) -> str:
    with translation.override("vi"):
        text = gettext(message)
    return text % values if values else text


def pdf_text(report: Report) -> str:
    data, _name, _type = report_file(report, "pdf")
    result = subprocess.run(  # noqa: S603 - a fixed converter reading our own bytes
        [tool("pdftotext"), "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def workbook(report: Report) -> openpyxl.Workbook:
    data, _name, _type = report_file(report, "xlsx")
    return openpyxl.load_workbook(BytesIO(data))


def sheet_text(sheet: Any) -> list[str]:
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_signer_comes_from_the_unit_and_stays_with_a_submitted_report(campaign, make_user) -> None:
    report = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_A)
    assert vi("Head of unit").upper() in pdf_text(report)  # none set: a blank block
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    page = client_for(officer).post(
        reverse("reporting:signers"),
        {
            "unit": COMMUNE_A,
            "body": SignerBody.ADMINISTRATION,
            "authority": "TM. Ủy ban nhân dân",
            "title": "Chủ tịch",
            "name": "Nguyễn Văn An",
        },
    )
    assert page.status_code == 302
    text = pdf_text(report)
    for line in ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An"):
        assert line in text, line
    assert vi("Head of unit").upper() not in text
    summary = workbook(report).worksheets[0]
    assert {"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An"} <= set(sheet_text(summary))
    services.report_submit(report=report, acting_user=officer)
    services.signer_set(
        unit=report.unit, body=SignerBody.ADMINISTRATION, authority="KT. Chủ tịch",
        title="Phó Chủ tịch", name="Trần Thị Bình", acting_user=officer,
    )  # fmt: skip
    sent = pdf_text(Report.objects.get(pk=report.pk))
    assert "Nguyễn Văn An" in sent and "Trần Thị Bình" not in sent


def test_a_signer_needs_a_title_and_a_name_and_the_officers_own_unit(campaign, make_user) -> None:
    officer = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    url = reverse("reporting:signers")
    blank = officer.post(
        url, {"unit": COMMUNE_A, "body": "administration", "title": "", "name": ""}
    )
    assert blank.status_code == 400
    other = officer.post(
        url, {"unit": "28363", "body": "administration", "title": "Chủ tịch", "name": "X"}
    )
    assert other.status_code == 400
    assert officer.get(url).status_code == 200


def test_recipients_follow_the_plan(campaign) -> None:
    daily = Report.objects.filter(schedule__key="vneid_daily", unit__code="815").first()
    text = pdf_text(daily)
    # VII.2.a: the district police report to the Chairman of the same district...
    assert "Chủ tịch Ủy ban nhân dân thành phố Mỹ Tho" in text
    # ... and the peak's statistics go "về Công an tỉnh".
    assert "Công an tỉnh Tiền Giang" in text
    assert "Lưu: VT." in text
    final = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_A)
    final_text = pdf_text(final)
    # "Công an tỉnh (qua Phòng ...), tập hợp báo cáo Chủ tịch ..." is two addressees.
    assert "- Công an tỉnh (qua Phòng Cảnh sát Quản lý hành chính về trật tự xã" in final_text
    assert "- Chủ tịch Ủy ban nhân dân tỉnh" in final_text
    plan = Report.objects.get(schedule__key="unit_implementation_plan", unit__code="815")
    plan_text = pdf_text(plan)
    # VII.1: "Ủy ban nhân dân tỉnh (qua ...) và Công an tỉnh (qua ...)": two lines.
    assert "- Ủy ban nhân dân tỉnh (qua Văn phòng Ủy ban nhân dân tỉnh);" in plan_text
    assert "- Công an tỉnh (qua Phòng Cảnh sát Quản lý hành chính về trật tự xã hội);" in plan_text


def test_pages_are_numbered_x_of_y(campaign) -> None:
    report = Report.objects.get(schedule__key="vneid_final", unit__code="82")
    pages = pdf_text(report).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert vi("Page %(page)s/%(pages)s", page=number, pages=len(pages)) in page


def test_narrative_entered_by_the_officer_is_in_the_pdf_and_the_xlsx(campaign, make_user) -> None:
    report = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_A)
    url = reverse("reporting:report-detail", args=[report.slug])
    officer = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    answer = officer.post(
        url,
        {
            "step": "narrative",
            "narrative_results": "Đã kích hoạt cho toàn bộ cán bộ phường.",
            "narrative_difficulties": "",
            "narrative_proposals": "Đề nghị bổ sung thiết bị đọc thẻ.",
        },
    )
    assert answer.status_code == 302
    report.refresh_from_db()
    text = " ".join(pdf_text(report).split())
    assert "Đã kích hoạt cho toàn bộ cán bộ phường." in text
    assert "Đề nghị bổ sung thiết bị đọc thẻ." in text
    assert vi("1. Results achieved") in text and vi("3. Proposals") in text
    assert vi("2. Difficulties and obstacles") not in text  # an empty part is left out
    cells = sheet_text(workbook(report).worksheets[0])
    assert "Đã kích hoạt cho toàn bộ cán bộ phường." in cells
    assert "Đề nghị bổ sung thiết bị đọc thẻ." in cells
    # Once submitted, the narrative is what was sent.
    officer.post(url, {"step": "submit"})
    assert Report.objects.get(pk=report.pk).state == ReportState.SUBMITTED
    officer.post(url, {"step": "narrative", "narrative_results": "Khác"})
    assert Report.objects.get(pk=report.pk).narrative_results.startswith("Đã kích hoạt")
    # Another commune's officer may not write it.
    other = client_for(make_user(Role.COMMUNE_OFFICER, "28363"))
    open_one = Report.objects.get(schedule__key="vneid_final", unit__code="28252")
    other.post(
        reverse("reporting:report-detail", args=[open_one.slug]),
        {"step": "narrative", "narrative_results": "X"},
    )
    assert Report.objects.get(pk=open_one.pk).narrative_results == ""


def test_a_rate_target_shows_percent(campaign, make_user) -> None:
    batch = Report.objects.get(schedule__key="tthc_batch_1", unit__code="815")
    table = next(t for t in report_view(batch).content.tables if t.kind == "tthc_indicators")
    assert table.kind_of("target") == "pct"
    page = client_for(make_user(Role.PROVINCE_ADMIN, "82")).get(
        reverse("reporting:report-detail", args=[batch.slug])
    )
    body = page.content.decode()
    target = table.rows[0]["target"]
    assert f"{target:.2f}".replace(".", ",") + "%" in body
    sheet = workbook(batch).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == target / 100]
    assert cells and cells[0].number_format == "0.00%"
    assert f"{target:.2f}".replace(".", ",") + "%" in pdf_text(batch)


def additive(table) -> list[str]:
    return {
        "vneid": ["eligible", "activated", "activated_l2", "new_activations"],
        "activities": list(table.columns),
    }.get(table.kind, [])


def test_totals_are_the_sum_of_their_rows(campaign, make_user) -> None:
    officer = make_user(Role.PROVINCE_ADMIN, "82")
    day = dt.date(2023, 9, 5)
    for code, sessions in (("82", 4), ("815", 2), (COMMUNE_A, 13)):
        services.activity_record(
            unit=Unit.objects.get(code=code), date=day, values={"sessions": sessions},
            acting_user=officer,
        )  # fmt: skip
    commune = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_A)
    province = Report.objects.get(schedule__key="vneid_final", unit__code="82")
    for report in (commune, province):
        for table in report_view(report).content.tables:
            for column in additive(table):
                assert table.total[column] == sum(r[column] or 0 for r in table.rows), (
                    report.unit.code, table.key, column,
                )  # fmt: skip
    activities = next(t for t in report_view(commune).content.tables if t.kind == "activities")
    # A commune's report has no hamlet rows of zeros: its own 13 sessions are a row.
    assert [r["sessions"] for r in activities.rows] == [13] and activities.total["sessions"] == 13
    assert activities.rows[0]["code"] == OWN
    text = pdf_text(commune)
    assert vi("%(unit)s itself (not in a unit below)", unit="Phường 5") in " ".join(text.split())
    by_district = next(t for t in report_view(province).content.tables if t.kind == "activities")
    own = next(r for r in by_district.rows if r["code"] == OWN)
    assert own["sessions"] == 4  # the province's own, beside its districts' 2 + 13
    assert by_district.total["sessions"] == 19


def test_a_column_with_one_value_on_every_row_is_written_once(campaign) -> None:
    from chiendich.reporting.content import constant_columns

    rows = [{"expected_percent": 100.0}, {"expected_percent": 100.0}]
    columns, constants = constant_columns(
        rows, ["indicator", "percent", "expected_percent"], ["expected_percent"]
    )
    assert columns == ["indicator", "percent"] and constants == {"expected_percent": 100.0}
    varied = [{"expected_percent": 97.0}, {"expected_percent": 100.0}]
    assert constant_columns(varied, ["expected_percent"], ["expected_percent"])[1] == {}
    province = Report.objects.get(schedule__key="vneid_final", unit__code="82")
    lagging = [t for t in report_view(province).content.tables if t.kind == "lagging"]
    assert lagging and all(t.rows for t in lagging)
    for table in lagging:
        # The final report is read at the period's end, where every status has a forecast:
        # the steady pace decided nothing, so its column carries no information and is
        # left out; each row is behind because its forecast falls short of the target.
        assert table.columns == ["indicator", "value", "target", "percent", "forecast_end"]
        for row in table.rows:
            assert row["forecast_end"] is not None and row["forecast_end"] < row["target"]
            assert row["measure"] in ("count", "percent")
    # A rate is written with "%", a count whole (the columns follow each row's measure).
    table = lagging[0]
    rate = next((r for r in table.rows if r["measure"] == "percent"), None)
    count = next((r for r in table.rows if r["measure"] == "count"), None)
    assert table.kind_of("target", rate or {}) == ("pct" if rate else "int")
    if count is not None:
        assert table.kind_of("target", count) == "int"
    text = " ".join(pdf_text(province).split())
    if rate is not None:
        assert f"{vn_number(Decimal(str(rate['target'])).quantize(Decimal('0.01')))}%" in text
    assert vi("Forecast at the period's end") in text
