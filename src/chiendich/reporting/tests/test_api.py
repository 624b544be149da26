"""Reports and completeness through the REST API: same scope, same numbers as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.reporting.models import Report
from chiendich.reporting.services import report_submit

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_reports_api_scope_and_content(campaign, make_user) -> None:
    client = api(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    listing = client.get("/api/reports/", {"type": "vneid_final"})
    assert listing.status_code == 200
    rows = listing.json()["results"]
    assert [r["id"] for r in rows] == [f"vneid_final.{COMMUNE_A}.20231025"]
    own = client.get(f"/api/reports/vneid_final.{COMMUNE_A}.20231025/")
    assert own.status_code == 200
    content = own.json()["content"]
    assert content["unit"]["code"] == COMMUNE_A
    assert content["tables"][0]["total"]["activated"] == 2
    for other in (f"vneid_final.{COMMUNE_B}.20231025", "vneid_final.815.20231025", "x.y.20231399"):
        assert client.get(f"/api/reports/{other}/").status_code == 404, other
    assert client.get("/api/reports/", {"due_by": "hôm qua"}).status_code == 400


def test_completeness_api(campaign, make_user) -> None:
    day = dt.date(2023, 9, 15)
    sender = make_user(Role.POLICE_DISTRICT, "815")
    report_submit(
        report=Report.objects.get(schedule__key="vneid_daily", unit__code="815", deadline=day),
        acting_user=sender,
        on=day,
    )
    client = api(make_user(Role.DISTRICT_OFFICER, "815"))
    data = client.get("/api/completeness/", {"date": "2023-09-15"}).json()
    # District 815 owes a daily report for each of the 27 days from 20/8 to 15/9 and
    # its implementation plan (20/8); one daily report was received, on time.
    assert data["by_type"]["vneid_daily"]["expected"] == 27
    assert data["overall"]["received"] == data["overall"]["on_time"] == 1
    assert data["overall"]["expected"] == 28
    assert "vneid_daily.815.20230915" not in data["missing"]
    assert client.get("/api/completeness/", {"date": "15/09/2023"}).status_code == 400


def test_activities_api_writes_in_scope_only(campaign, make_user) -> None:
    client = api(make_user(Role.COMMUNE_OFFICER, COMMUNE_A))
    entry = {"unit": COMMUNE_A, "date": "2023-09-04", "sessions": 3, "people_reached": 150}
    created = client.post("/api/activities/", entry, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["sessions"] == 3 and created.json()["posters"] == 0
    again = client.post("/api/activities/", {**entry, "sessions": 5}, format="json")
    assert again.status_code == 201 and again.json()["sessions"] == 5  # the day is replaced
    other = client.post("/api/activities/", {**entry, "unit": COMMUNE_B}, format="json")
    assert other.status_code == 400 and "unit" in other.json()
    bad = client.post("/api/activities/", {**entry, "sessions": -1}, format="json")
    assert bad.status_code == 400 and "sessions" in bad.json()
    rows = client.get("/api/activities/").json()["results"]
    assert [(r["unit"], r["sessions"]) for r in rows] == [(COMMUNE_A, 5)]
