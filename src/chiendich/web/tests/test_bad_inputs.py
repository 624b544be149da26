"""The inputs of issue 16 that answered 500: each now answers a 400 or a form error that
says what is allowed, and writes nothing. (test_fuzz_inputs.py looks for the others.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.field.models import Visit
from chiendich.field.tests.conftest import HAMLET_A, field  # noqa: F401 - fixtures
from chiendich.imports.tests.factories import scope_jobs
from chiendich.plans.allocation import targets_allocate
from chiendich.plans.models import TargetAllocation
from chiendich.reporting.models import CommunicationActivity
from chiendich.vneid.progress import vneid_target

pytestmark = pytest.mark.django_db

RANGE = "01/01/2000 đến 31/12/2099"  # the message names the window, in Vietnamese


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "01/01/1999", "31/12/2100"])
def test_a_day_outside_the_window_is_a_400_saying_so_on_every_page(
    field,  # noqa: F811
    plan_383,
    make_user,
    day,
) -> None:
    client = client_for(make_user(Role.PROVINCE_ADMIN, "82"))
    pages = [
        (reverse("web:unit-detail", args=[COMMUNE_A]), "ngay"),
        (reverse("web:unit-xlsx", args=[COMMUNE_A]), "ngay"),
        (reverse("field:mopup", args=[COMMUNE_A]), "ngay"),
        (reverse("field:lists", args=[HAMLET_A]), "ngay"),
        (reverse("reporting:completeness"), "ngay"),
        (reverse("reporting:report-list"), "den-ngay"),
    ]
    for url, name in pages:
        response = client.get(url, {name: day})
        assert response.status_code == 400, url
        page = response.content.decode()
        assert RANGE in page and f"“{name}”" in page, url
        assert 'href="/"' in page  # the site's frame, with a way back


def test_a_day_that_is_not_one_is_a_400_and_a_good_day_still_works(
    field,  # noqa: F811
    plan_383,
    make_user,
) -> None:
    client = client_for(make_user(Role.PROVINCE_ADMIN, "82"))
    url = reverse("web:unit-detail", args=[COMMUNE_A])
    for bad in ("abc", "2023-02-30", "99999999999999999999999", "²/09/2023", "x" * 500):
        response = client.get(url, {"ngay": bad})
        assert response.status_code == 400, bad
        assert "dd/mm/yyyy" in response.content.decode()
    for good in ("2023-09-01", "01/09/2023", "1/9/2023", ""):
        assert client.get(url, {"ngay": good}).status_code == 200, good


@pytest.mark.parametrize("raw", ["²", "٣", "99999999999999999999999", "-1", "1e3", ""])
def test_a_citizen_id_that_is_not_one_answers_404_and_records_nothing(
    field,  # noqa: F811
    raw,
) -> None:
    client = client_for(field.volunteer)
    response = client.post(
        reverse("field:hamlet", args=[HAMLET_A]), {"citizen": raw, "outcome": "absent"}
    )
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_communication_counts_are_bounded(field, plan_383, make_user) -> None:  # noqa: F811
    client = client_for(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    url = reverse("reporting:activities")
    entry = {"unit": COMMUNE_A, "date": "01/09/2023", "people_reached": "1.200"}
    for sessions in ("99999999999999999999999", "1000000001", "²", "-3"):
        response = client.post(url, entry | {"sessions": sessions})
        assert response.status_code == 400, sessions
        assert "1.000.000.000" in response.content.decode()
    assert not CommunicationActivity.objects.exists()
    assert client.post(url, entry | {"sessions": "1.000.000.000"}).status_code == 302
    saved = CommunicationActivity.objects.get()
    assert (saved.sessions, saved.people_reached) == (1_000_000_000, 1200)
    for date in ("0001-01-01", "31/12/9999"):
        response = client.post(url, entry | {"date": date})
        assert response.status_code == 400 and RANGE in response.content.decode()


def test_a_target_too_large_for_the_database_is_a_form_error(plan_383, make_user) -> None:
    target = vneid_target(plan_383)
    targets_allocate(target, lambda u: 1)
    police = client_for(make_user(Role.POLICE_PROVINCE, "82"))
    url = reverse("web:unit-targets", args=["82"])
    before = TargetAllocation.objects.get(target=target, unit__code="822").value
    for value in ("9223372036854775808", "99999999999999999999999", "²", "-5"):
        response = police.post(url, {"unit": "822", "value": value})
        assert response.status_code == 400, value
        page = response.content.decode()
        assert "số nguyên" in page and "1.000.000.000" in page
    assert TargetAllocation.objects.get(target=target, unit__code="822").value == before


def test_a_huge_api_limit_is_capped(field, make_user) -> None:  # noqa: F811
    scope_jobs(COMMUNE_A, COMMUNE_A)
    client = APIClient()
    client.force_authenticate(make_user(Role.PROVINCE_ADMIN, "82"))
    for limit in ("99999999999999999999999", "9" * 5000, "²", "-1", "0"):
        response = client.get("/api/imports/", {"limit": limit, "offset": "9" * 30})
        assert response.status_code == 200, limit
        assert response.json()["results"] == []
    page = client.get("/api/imports/", {"limit": "99999999999999999999999"}).json()
    assert page["count"] == 2 and len(page["results"]) == 2


def test_form_days_and_ids_are_bounded(field, plan_383, make_user) -> None:  # noqa: F811
    """The results search's days and the split-commune page's citizen id, as form errors."""
    client = client_for(make_user(Role.PROVINCE_ADMIN, "82"))
    search = client.get(reverse("results:search"), {"tu_ngay": "0001-01-01", "q": "x"})
    assert search.status_code == 200 and RANGE in search.content.decode()
    from chiendich.units.forms import PlaceForm
    from chiendich.units.models import Unit

    hamlets = Unit.objects.filter(code=HAMLET_A)
    for raw in ("99999999999999999999999", "²", "0"):
        form = PlaceForm({"cong_dan": raw, "ap": HAMLET_A}, hamlets=hamlets)
        assert not form.is_valid() and "cong_dan" in form.errors, raw
    assert PlaceForm({"cong_dan": "7", "ap": HAMLET_A}, hamlets=hamlets).is_valid()


def test_a_nul_character_is_a_400_on_pages_and_in_the_api(field, make_user) -> None:  # noqa: F811
    """PostgreSQL cannot hold NUL in text: a parameter with one never reaches a query."""
    user = make_user(Role.PROVINCE_ADMIN, "82")
    page = client_for(user).get(reverse("reporting:report-list"), {"loai": "a\x00b"})
    assert page.status_code == 400 and "NUL" in page.content.decode()
    posted = client_for(user).post(reverse("reporting:activities"), {"unit": "\x00"})
    assert posted.status_code == 400
    api = APIClient()
    api.force_authenticate(user)
    response = api.get("/api/results/", {"q": "x\x00"})
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    assert client_for(user).get(reverse("reporting:report-list"), {"loai": "ab"}).status_code == 200
