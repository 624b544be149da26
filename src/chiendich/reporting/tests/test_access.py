"""Who may read which report (selectors.reports_readable), and the reports page by
what is due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.reporting import services
from chiendich.reporting.models import Report, ReportState

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(report: Report, *rest: str) -> str:
    if rest:
        return reverse("reporting:report-download", args=[report.slug, *rest])
    return reverse("reporting:report-detail", args=[report.slug])


def test_a_district_reads_the_province_report_that_covers_it_once_sent(campaign, make_user) -> None:
    monday = Report.objects.get(schedule__key="vneid_weekly", deadline=dt.date(2023, 10, 16))
    district = client_for(make_user(Role.DISTRICT_OFFICER, "815"))
    commune = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    assert district.get(url(monday)).status_code == 404  # a draft stays the province's
    police = make_user(Role.POLICE_PROVINCE, "82")
    services.report_submit(report=monday, acting_user=police)
    page = district.get(url(monday))
    assert page.status_code == 200 and "Huyện Cái Bè" in page.content.decode()
    assert district.get(url(monday, "pdf")).status_code == 200
    assert commune.get(url(monday)).status_code == 200  # the commune is under it too
    # Read only: no workflow form, and a posted step is refused like a missing report.
    assert not page.context["may_submit"] and not page.context["may_review"]
    assert district.post(url(monday), {"step": "return", "reason": "x"}).status_code == 404
    assert Report.objects.get(pk=monday.pk).state == ReportState.SUBMITTED
    listing = district.get(reverse("reporting:report-list"))
    assert monday in [r for r, _title in listing.context["covering"]]
    # The API reads by the same rule.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(make_user(Role.DISTRICT_OFFICER, "815"))
    assert api.get(f"/api/reports/{monday.slug}/").status_code == 200
    api.force_authenticate(make_user(Role.DISTRICT_OFFICER, "819"))
    peer = Report.objects.filter(schedule__key="vneid_daily", unit__code="815").first()
    assert api.get(f"/api/reports/{peer.slug}/").status_code == 404


def test_reports_of_peers_and_of_other_branches_are_refused(campaign, make_user) -> None:
    officer = make_user(Role.DISTRICT_OFFICER, "815")
    other_district = Report.objects.filter(schedule__key="vneid_daily", unit__code="819").first()
    other_commune = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_B)
    for report in (other_district, other_commune):
        assert report is not None
        submitter = make_user(Role.PROVINCE_ADMIN, "82")
        services.report_submit(report=report, acting_user=submitter)
        assert client_for(officer).get(url(report)).status_code == 404
    # A commune does not read its district's peer commune's report either.
    peer = Report.objects.get(schedule__key="vneid_final", unit__code="28252")
    services.report_submit(report=peer, acting_user=make_user(Role.PROVINCE_ADMIN, "82"))
    assert client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A)).get(url(peer)).status_code == 404
    # A volunteer reads no report of the units above.
    final = Report.objects.get(schedule__key="vneid_final", unit__code="82")
    services.report_submit(report=final, acting_user=make_user(Role.PROVINCE_ADMIN, "82"))
    volunteer = client_for(make_user(Role.VOLUNTEER, COMMUNE_A))
    assert volunteer.get(url(final)).status_code == 404
    # The province reads everything below it, open or sent.
    province = client_for(make_user(Role.PROVINCE_VIEWER, "82"))
    assert province.get(url(other_commune)).status_code == 200


@override_settings(CAMPAIGN_TODAY="2023-09-04")
def test_the_reports_page_opens_on_what_is_due(campaign, make_user) -> None:
    officer = make_user(Role.DISTRICT_OFFICER, "815")
    yesterday = Report.objects.get(
        schedule__key="vneid_daily", unit__code="815", deadline=dt.date(2023, 9, 3)
    )
    services.report_submit(report=yesterday, acting_user=officer, on=dt.date(2023, 9, 3))
    page = client_for(officer).get(reverse("reporting:report-list"))
    assert page.status_code == 200
    sections = {s["key"]: s for s in page.context["sections"]}
    assert list(sections) == ["overdue", "today", "week", "sent"]
    overdue = sections["overdue"]["rows"]
    assert overdue and all(r.deadline < dt.date(2023, 9, 4) for r in overdue)
    assert all(r.state == ReportState.OPEN for r in overdue)
    assert [r.deadline for r in overdue] == sorted(r.deadline for r in overdue)
    assert sections["overdue"]["count"] == 14 + 1  # daily 20/8..2/9, and the plan due 20/8
    today = sections["today"]["rows"]
    assert [(r.schedule.key, r.deadline) for r in today] == [("vneid_daily", dt.date(2023, 9, 4))]
    week = sections["week"]["rows"]
    assert week and all(dt.date(2023, 9, 4) < r.deadline <= dt.date(2023, 9, 11) for r in week)
    assert sections["sent"]["rows"] == [yesterday]
    body = page.content.decode()
    # Full titles: the plan's name and the day of data, not a truncated string.
    assert (
        "Thống kê hàng ngày kết quả đăng ký, kích hoạt tài khoản VNeID theo từng đơn vị cấp xã"
        in body
    )
    assert "04/09/2023" in body and "…" not in body
    assert 'class="badge state-overdue"' in body and 'class="badge state-due-today"' in body
    assert 'class="badge state-submitted"' in body
    # One section in full.
    full = client_for(officer).get(reverse("reporting:report-list"), {"muc": "qua-han"})
    assert len(full.context["sections"][0]["rows"]) == 15


@override_settings(CAMPAIGN_TODAY="2023-10-26")
def test_who_has_sent_what_unit_by_unit(campaign, make_user) -> None:
    province = make_user(Role.PROVINCE_ADMIN, "82")
    sent = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_A)
    services.report_submit(report=sent, acting_user=province, on=dt.date(2023, 10, 25))
    late = Report.objects.get(schedule__key="vneid_final", unit__code="28252")
    services.report_submit(report=late, acting_user=province, on=dt.date(2023, 10, 26))
    district = client_for(make_user(Role.DISTRICT_OFFICER, "815"))
    page = district.get(reverse("reporting:completeness-below"))
    assert page.status_code == 200
    assert page.context["unit"].code == "815"
    rows = {row.unit.code: dict(cells) for row, cells in page.context["rows"]}
    assert rows["815"]["vneid_daily"].expected == 60
    assert rows[COMMUNE_A]["vneid_final"].state == "sent"
    assert rows["28252"]["vneid_final"].state == "late"
    missing = [
        c
        for c, cells in rows.items()
        if cells.get("vneid_final") and cells["vneid_final"].state == "missing"
    ]
    assert missing and COMMUNE_A not in missing
    assert all(code.startswith(("815", "28")) for code in rows)  # nothing of another district
    only = district.get(reverse("reporting:completeness-below"), {"chi-thieu": "1"})
    assert COMMUNE_A not in {row.unit.code for row, _cells in only.context["rows"]}
    # A unit outside the officer's scope is not shown: the officer's own comes instead.
    other = district.get(reverse("reporting:completeness-below"), {"don-vi": "819"})
    assert other.context["unit"].code == "815"
