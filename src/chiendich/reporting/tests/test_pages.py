"""Report pages: the workflow from the web, downloads, completeness, activities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.reporting.models import CommunicationActivity, Report, ReportState
from chiendich.reporting.selectors import report_view

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> list[Report]:
    """Every report the reports page shows, section by section."""
    return [r for section in response.context["sections"] for r in section["rows"]]


def test_submit_and_approve_from_the_web(campaign, make_user) -> None:
    report = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_A)
    url = reverse("reporting:report-detail", args=[report.slug])
    officer = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    page = officer.get(url)
    assert page.status_code == 200 and "Phường 5" in page.content.decode()
    assert officer.post(url, {"step": "approve"}).status_code == 302
    assert Report.objects.get(pk=report.pk).state == ReportState.OPEN  # may not approve
    officer.post(url, {"step": "submit", "note": "Đã rà soát"})
    assert Report.objects.get(pk=report.pk).state == ReportState.SUBMITTED
    province = client_for(make_user(Role.PROVINCE_VIEWER, "82"))
    province.post(url, {"step": "approve"})
    assert Report.objects.get(pk=report.pk).state == ReportState.APPROVED
    pdf = officer.get(reverse("reporting:report-download", args=[report.slug, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_completeness_page_and_list(campaign, make_user) -> None:
    province = client_for(make_user(Role.PROVINCE_ADMIN, "82"))
    page = province.get(reverse("reporting:completeness"), {"ngay": "20/08/2023"})
    assert page.status_code == 200
    body = page.content.decode()
    # Due by 20/8: the 11 districts' first daily report and VII.1's implementation plans.
    assert page.context["result"].overall.expected == 11 + 11
    assert page.context["result"].overall.received == 0
    assert "Huyện Cái Bè" in body
    listing = province.get(reverse("reporting:report-list"), {"loai": "vneid_weekly"})
    assert listing.status_code == 200 and len(listed(listing)) + listing.context["later"] == 9
    commune = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    own = commune.get(reverse("reporting:report-list"))
    assert listed(own) and {r.unit.code for r in listed(own)} == {COMMUNE_A}


def test_activities_are_entered_checked_and_summed(campaign, make_user) -> None:
    officer = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    url = reverse("reporting:activities")
    bad = officer.post(url, {"unit": COMMUNE_A, "date": "01/09/2023", "sessions": "ba"})
    assert bad.status_code == 400 and "ba" in bad.content.decode()
    assert not CommunicationActivity.objects.exists()
    other = officer.post(url, {"unit": "28363", "date": "01/09/2023", "sessions": "2"})
    assert other.status_code == 400 and not CommunicationActivity.objects.exists()
    for day, sessions in (("01/09/2023", "2"), ("02/09/2023", "3"), ("02/09/2023", "4")):
        ok = officer.post(
            url, {"unit": COMMUNE_A, "date": day, "sessions": sessions, "people_reached": "1.200"}
        )
        assert ok.status_code == 302
    assert CommunicationActivity.objects.count() == 2  # the same day again replaces it
    weekly = Report.objects.get(schedule__key="vneid_weekly", deadline=dt.date(2023, 9, 4))
    table = next(t for t in report_view(weekly).content.tables if t.kind == "activities")
    my_tho = next(r for r in table.rows if r["code"] == "815")
    assert (my_tho["sessions"], my_tho["people_reached"]) == (6, 2400)
    assert table.total["sessions"] == 6


def test_a_communes_final_report_ranks_nothing_without_targets_below_it(campaign) -> None:
    """Hamlets have no allocated targets: the commune's report has no empty ranking."""
    report = Report.objects.get(schedule__key="vneid_final", unit__code=COMMUNE_A)
    kinds = [t.kind for t in report_view(report).content.tables]
    assert "vneid" in kinds and "activities" in kinds and "ranking" not in kinds
    province = Report.objects.get(schedule__key="vneid_final", unit__code="82")
    ranking = [t for t in report_view(province).content.tables if t.kind == "ranking"]
    assert [t.level for t in ranking] == ["district", "commune"]
    assert len(ranking[0].rows) == 11 and len(ranking[1].rows) == 164
