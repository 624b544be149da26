"""Each role's home page (issue 13 item 5): a volunteer lands on their hamlets, an
agency on its staff's level-2 compliance, a leader on their unit's dashboard, an
officer on their dashboard with "việc hôm nay"; the plan's text is one click away."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.imports.models import ImportJob, JobState
from chiendich.reporting.models import Report, ReportState
from chiendich.reporting.schedule import reports_expect
from chiendich.staff.models import StaffCategory, StaffMember
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import unit_upsert
from chiendich.vneid.models import AccountState, Citizen

from .conftest import COMMUNE

pytestmark = pytest.mark.django_db
HOME = "/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section(text: str, ident: str) -> str:
    match = re.search(rf'<(\w+)[^>]* id="{ident}"[^>]*>(.*?)</\1>', text, re.S)
    assert match, f"no #{ident}"
    return match.group(2)


@pytest.fixture
def campaign_today(settings):
    settings.CAMPAIGN_TODAY = "2023-10-18"  # the replay's day, as the demo serves it


def test_a_volunteer_lands_on_their_hamlets(small_campaign, make_user) -> None:
    volunteer = make_user(Role.VOLUNTEER, f"{COMMUNE}-01")
    response = client_for(volunteer).get(HOME)
    assert response.status_code == 302 and response["Location"] == reverse("field:home")


def test_a_leader_lands_on_their_units_dashboard_with_the_plan_one_click_away(
    small_campaign, make_user, campaign_today
) -> None:
    leader = make_user(Role.PROVINCE_VIEWER, "82")
    text = client_for(leader).get(HOME).content.decode()
    assert "<h1>Tỉnh Tiền Giang</h1>" in text
    assert 'id="ind-vneid_activated_accounts"' in text and 'id="status-rule"' in text
    assert 'id="today-tasks"' not in text  # a leader reads, an officer acts
    plan = reverse("web:plan")
    assert f'href="{plan}"' in section(text, "plan-line")
    assert text.count(f'href="{plan}"') >= 2  # and in the navigation, on every page
    # The plan's text: periods, the leader's own targets, the reporting schedule.
    page = client_for(leader).get(plan).content.decode()
    assert "383/KH-UBND" in page and "903.203" in page and "20/08/2023" in page


def test_an_officer_lands_on_their_dashboard_with_todays_work(
    small_campaign, make_user, campaign_today
) -> None:
    reports_expect(small_campaign)
    officer = make_user(Role.DISTRICT_OFFICER, "822")
    district = Unit.objects.get(code="822")
    own = Report.objects.filter(unit=district, state=ReportState.OPEN)
    overdue = own.filter(deadline__lt=dt.date(2023, 10, 18)).order_by("deadline").first()
    assert overdue is not None
    # One of the district's own reports was sent: it is not on the list.
    sent = own.filter(deadline__lt=dt.date(2023, 10, 18)).order_by("-deadline").first()
    Report.objects.filter(pk=sent.pk).update(
        state=ReportState.SUBMITTED, submitted_on=sent.deadline
    )
    waiting = ImportJob.objects.create(
        uuid=uuid.uuid4(),
        kind="citizens",
        unit=Unit.objects.get(code=COMMUNE),
        file_name="ds-trung-hoa.csv",
        stored_path="x/ds.csv",
        sha256="0" * 64,
        state=JobState.CHECKED,
        check_report={"counts": {"rows_valid": 3}},
    )
    ImportJob.objects.create(
        uuid=uuid.uuid4(),
        kind="citizens",
        unit=Unit.objects.get(code="815"),  # Mỹ Tho: another district's job
        file_name="ds-my-tho.csv",
        stored_path="y/ds.csv",
        sha256="1" * 64,
        state=JobState.CHECKED,
    )
    text = client_for(officer).get(HOME).content.decode()
    assert "<h1>Huyện Chợ Gạo</h1>" in text and 'id="ind-vneid_activated_accounts"' in text
    today = section(text, "today-tasks")
    assert "18/10/2023" in today  # the campaign's day, not the real clock's
    reports = section(today, "today-reports")
    assert reverse("reporting:report-detail", args=[overdue.slug]) in reports
    assert reverse("reporting:report-detail", args=[sent.slug]) not in reports
    # Chợ Gạo's communes owe only their final report, due after 18/10: none missing.
    assert 'id="today-missing"' not in today
    imports = section(today, "today-imports")
    assert reverse("imports:job", args=[waiting.uuid]) in imports
    assert "ds-my-tho.csv" not in imports
    # Every commune of Chợ Gạo is far behind its share of 903.203: listed, linked.
    behind = section(today, "today-behind")
    assert reverse("web:unit-detail", args=[COMMUNE]) in behind


def test_the_province_sees_the_reports_its_districts_have_not_sent(
    small_campaign, make_user, campaign_today
) -> None:
    reports_expect(small_campaign)
    admin = make_user(Role.PROVINCE_ADMIN, "82")
    today = section(client_for(admin).get(HOME).content.decode(), "today-tasks")
    missing = section(today, "today-missing")
    assert reverse("reporting:completeness") in missing
    due = Report.objects.filter(deadline__lte=dt.date(2023, 10, 18)).exclude(unit__code="82")
    assert f">{due.count()} " in missing  # none was sent in this campaign


def test_a_commune_officer_sees_only_their_communes_work(
    small_campaign, make_user, campaign_today
) -> None:
    reports_expect(small_campaign)
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE)
    text = client_for(officer).get(HOME).content.decode()
    assert "<h1>Xã Trung Hòa</h1>" in text
    today = section(text, "today-tasks")
    slugs = re.findall(r'href="/bao-cao/([^"/]+)/"', today)
    assert slugs and all(f".{COMMUNE}." in s for s in slugs)
    assert 'id="today-imports"' not in today


def test_an_agency_lands_on_its_staffs_level_2_compliance(small_campaign, make_user) -> None:
    agency, _ = unit_upsert(
        code="82-STTTT",
        name="Sở Thông tin và Truyền thông",
        unit_type=UnitType.DEPARTMENT,
        level=Level.PROVINCE,
        parent=Unit.objects.get(code="82"),
        kind=Kind.ORGANIZATION,
    )
    commune = Unit.objects.get(code=COMMUNE)
    people = [("082085000001", "Lê Văn Một", AccountState.ACTIVATED_L2)]
    people += [("082085000002", "Trần Thị Hai", AccountState.ACTIVATED_L1)]
    for id_number, name, state in people:
        Citizen.objects.create(
            id_number=id_number,
            full_name=name,
            birth_date=dt.date(1985, 1, 1),
            sex="F",
            commune=commune,
            unit=commune,
            state=state,
        )
        StaffMember.objects.create(
            agency=agency, id_number=id_number, full_name=name, category=StaffCategory.CONG_CHUC
        )
    StaffMember.objects.create(
        agency=agency,
        id_number="082085000003",
        full_name="Phạm Văn Ba",
        category=StaffCategory.CONG_CHUC,
    )
    focal = make_user(Role.AGENCY_FOCAL_POINT, "82-STTTT")
    text = client_for(focal).get(HOME).content.decode()
    card = section(text, "agency-82-STTTT")
    assert "Sở Thông tin và Truyền thông" in card
    assert "33,33%" in card  # 1 of 3 at level 2
    assert "Trần Thị Hai" in card and "Phạm Văn Ba" in card and "Lê Văn Một" not in card
    assert "082085000002" not in text  # no ID number on the home page
    assert f'href="{reverse("web:plan")}"' in text
