"""The report workflow, frozen snapshots with a change marker, and completeness."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.reporting.completeness import completeness
from chiendich.reporting.models import Report, ReportState
from chiendich.reporting.selectors import report_view
from chiendich.reporting.services import (
    WorkflowError,
    report_approve,
    report_lock,
    report_return,
    report_submit,
)
from chiendich.vneid.importing import citizens_import

pytestmark = pytest.mark.django_db
DAY = dt.date(2023, 9, 15)


def daily(district: str, day: dt.date = DAY) -> Report:
    return Report.objects.get(schedule__key="vneid_daily", unit__code=district, deadline=day)


def test_approved_report_keeps_its_numbers_and_shows_the_change(
    campaign, make_user, tmp_path
) -> None:
    sender = make_user(Role.POLICE_DISTRICT, "815")
    chairman = make_user(Role.DISTRICT_OFFICER, "815")
    report = report_submit(report=daily("815"), acting_user=sender, on=DAY)
    report = report_approve(report=report, acting_user=chairman)
    before = report_view(report)
    total = before.content.tables[0].total
    assert total["activated"] == 2 and not before.changes  # people 0 and 1 of Phường 5
    # A later police list (imported as officers do) adds a person of the commune
    # activated on 12/9; the import recounts the days it touched.
    police_list = tmp_path / "ds-bo-sung.csv"
    police_list.write_text(
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Mã hộ,"
        "Số điện thoại,Trạng thái,Ngày cập nhật\n"
        f"082090123456,Nguyễn Văn Mới,01/02/1990,Nam,{COMMUNE_A},Ấp 1,H9,,"
        "Đã kích hoạt mức 2,12/09/2023\n",
        encoding="utf-8",
    )
    imported = citizens_import(police_list)
    assert imported.rows_rejected == 0, imported.errors
    after = report_view(Report.objects.get(pk=report.pk))
    assert after.content.tables[0].total["activated"] == 2  # frozen as approved
    assert after.current.tables[0].total["activated"] == 3
    changed = {(c.code, c.column): (c.before, c.after) for c in after.changes}
    assert changed[("__total__", "activated")] == (2, 3)
    assert changed[(COMMUNE_A, "activated")] == (2, 3)
    assert changed[(COMMUNE_A, "eligible")] == (3, 4)


def test_workflow_rules_and_audit(campaign, make_user) -> None:
    sender = make_user(Role.POLICE_DISTRICT, "815")
    chairman = make_user(Role.DISTRICT_OFFICER, "815")
    other_district = make_user(Role.DISTRICT_OFFICER, "819")
    commune = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    report = daily("815")
    with pytest.raises(PermissionDenied):  # a commune cannot send its district's report
        report_submit(report=report, acting_user=commune)
    report = report_submit(report=report, acting_user=sender, on=DAY)
    with pytest.raises(WorkflowError):
        report_submit(report=report, acting_user=sender)
    with pytest.raises(WorkflowError):  # four eyes: the sender does not approve
        report_approve(report=report, acting_user=sender)
    with pytest.raises(PermissionDenied):
        report_approve(report=report, acting_user=other_district)
    with pytest.raises(WorkflowError):
        report_return(report=report, acting_user=chairman, reason=" ")
    report = report_return(report=report, acting_user=chairman, reason="Thiếu số liệu xã")
    assert report.state == ReportState.OPEN and report.snapshot == {}
    report = report_submit(report=report, acting_user=sender, on=DAY)
    report = report_approve(report=report, acting_user=chairman)
    with pytest.raises(WorkflowError):
        report_approve(report=report, acting_user=chairman)
    report = report_lock(report=report, acting_user=chairman)
    with pytest.raises(WorkflowError):  # locked for good
        report_return(report=report, acting_user=chairman, reason="sửa")
    events = list(
        AuditEvent.objects.filter(object_id=str(report.pk))
        .order_by("time", "id")
        .values_list("type", flat=True)
    )
    assert events == [
        "report_submitted",
        "report_returned",
        "report_submitted",
        "report_approved",
        "report_locked",
    ]


def test_completeness_on_a_hand_made_case(campaign, make_user) -> None:
    """Three districts owe their daily report of 15/9: one on time, one a day late, one missing."""
    reports = Report.objects.filter(
        schedule__key="vneid_daily", unit__code__in=["815", "816", "819"], deadline=DAY
    )
    report_submit(report=daily("815"), acting_user=make_user(Role.POLICE_DISTRICT, "815"), on=DAY)
    report_submit(
        report=daily("816"),
        acting_user=make_user(Role.POLICE_DISTRICT, "816"),
        on=DAY + dt.timedelta(days=1),
    )
    result = completeness(reports, DAY + dt.timedelta(days=1))
    assert (result.overall.expected, result.overall.received, result.overall.on_time) == (3, 2, 1)
    assert str(result.overall.reporting_rate) == "66.67"
    assert str(result.overall.on_time_rate) == "33.33"
    assert [r.unit.code for r in result.late] == ["816"]
    assert [r.unit.code for r in result.missing] == ["819"]
    assert result.by_unit["815"].on_time == 1 and result.by_unit["819"].received == 0
    # As of the deadline itself, the late report had not arrived yet.
    on_the_day = completeness(reports, DAY)
    assert (on_the_day.overall.received, len(on_the_day.missing)) == (1, 2)
    # Reports not yet due are not expected.
    assert completeness(reports, DAY - dt.timedelta(days=1)).overall.expected == 0
    assert result.by_type["vneid_daily"].expected == 3
