"""The campaign pages as each kind of user reads them, in Vietnamese and English."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import REPO_DIR
from chiendich.plans.services import plan_load
from chiendich.units.models import Unit

pytestmark = pytest.mark.django_db

PLAN_FILE = REPO_DIR / "plans" / "tien-giang-383-2023.yaml"


@pytest.fixture
def plan(tien_giang):
    return plan_load(PLAN_FILE).plan


def signed_in(user, language: str | None = None) -> Client:
    # A browser set up in English: the page is still Vietnamese until the user switches.
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def test_commune_officer_sees_the_campaign_and_their_own_targets(plan, make_user) -> None:
    ward = make_user(Role.COMMUNE_OFFICER, "28249")  # Phường 5: the phường target is 55%
    text = signed_in(ward).get(reverse("web:plan")).content.decode()
    assert "383/KH-UBND" in text and "Tiền Giang" in text
    assert "20/08/2023" in text and "18/10/2023" in text  # VNeID peak, dd/mm/yyyy
    assert "01/09/2023" in text and "30/10/2023" in text  # TTHC peak
    assert "Phường 5" in text and "55%" in text
    assert "Mục tiêu cho đơn vị của bạn" in text  # Vietnamese by default
    # Not the targets of other commune types.
    assert "45%" not in text and "25%" not in text


def test_province_viewer_sees_the_province_floor_with_vietnamese_grouping(plan, make_user) -> None:
    chairman = make_user(Role.PROVINCE_VIEWER, "82")
    text = signed_in(chairman).get(reverse("web:plan")).content.decode()
    assert "903.203" in text
    english = signed_in(chairman, "en").get(reverse("web:plan")).content.decode()
    assert "903,203" in english and "Targets for your units" in english


def test_unit_page_drills_down_inside_the_scope(plan, make_user) -> None:
    officer = make_user(Role.DISTRICT_OFFICER, "822")  # Huyện Chợ Gạo
    client = signed_in(officer)
    district = client.get(reverse("web:unit-detail", args=["822"])).content.decode()
    assert "Thị trấn Chợ Gạo" in district and "60%" in district
    assert reverse("web:unit-detail", args=["28594"]) in district
    township = client.get(reverse("web:unit-detail", args=["28594"])).content.decode()
    assert "45%" in township  # thị trấn online dossier target
    # The province is shown in the breadcrumbs but not linked: it is outside the scope.
    assert "Tỉnh Tiền Giang" in township
    assert reverse("web:unit-detail", args=["82"]) not in township


def test_login_page_names_the_campaign_without_signing_in(plan) -> None:
    text = Client().get(reverse("login")).content.decode()
    assert "Tiền Giang" in text and "383/KH-UBND" in text


def test_language_switch_to_english(plan, make_user) -> None:
    client = signed_in(make_user(Role.COMMUNE_OFFICER, "28249"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Peak periods" in client.get(reverse("web:plan")).content.decode()


def test_unit_without_plan_says_so(tien_giang, make_user) -> None:
    text = (
        signed_in(make_user(Role.COMMUNE_OFFICER, "28249"))
        .get(reverse("web:plan"))
        .content.decode()
    )
    assert "chiendich plan load" in text
    home = signed_in(make_user(Role.COMMUNE_OFFICER, "28249")).get("/").content.decode()
    assert "chiendich plan load" in home
    assert Unit.objects.filter(code="28249").exists()


def test_import_templates_download_for_signed_in_users(tien_giang, make_user) -> None:
    import io

    import openpyxl

    url = reverse("web:import-template", args=["danh-sach-cong-dan.xlsx"])
    assert Client().get(url).status_code == 302  # sign in first
    client = signed_in(make_user(Role.POLICE_COMMUNE, "28249"))
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert next(sheet.iter_rows(max_row=1, values_only=True))[0] == "Số định danh cá nhân"
    assert client.get(reverse("web:import-template", args=["ho-so-tthc.xlsx"])).status_code == 200
    assert client.get(reverse("web:import-template", args=["khac.xlsx"])).status_code == 404


def test_an_example_plan_marks_its_example_values(make_user) -> None:
    """A value written for an example plan is labelled as such, with the plan's note, so
    no officer takes it for an official target."""
    import datetime as dt

    from chiendich.units.loading import units_load

    units_load(82, dt.date(2026, 10, 20))
    plan_load(REPO_DIR / "plans" / "dong-thap-2026.yaml")
    leader = make_user(Role.PROVINCE_VIEWER, "82.2025")
    text = signed_in(leader).get(reverse("web:plan")).content.decode()
    assert "Tỉnh Đồng Tháp" in text and "2.050.000" in text
    assert "Tệp ví dụ, không phải văn bản thật" in text  # the plan's note
    assert text.count(">ví dụ</span>") >= 2  # 2.050.000 and the 100% rate, each marked
    # Plan 383's targets are all taken from the plan itself: none is marked.
    units_load(82, dt.date(2023, 9, 1))
    plan_load(PLAN_FILE)
    old = make_user(Role.PROVINCE_VIEWER, "82")
    assert ">ví dụ</span>" not in signed_in(old).get(reverse("web:plan")).content.decode()
