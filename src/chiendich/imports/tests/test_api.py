"""The imports API: upload, read, confirm; the same scope and checks as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A
from chiendich.imports.models import ImportJob
from chiendich.vneid.models import Citizen

from .conftest import BAD_FUTURE, GOOD_1, GOOD_3, cccd, police_csv, uploaded_file

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_upload_read_and_confirm_through_the_api(officer) -> None:
    client = api(officer)
    response = client.post(
        reverse("api:imports:job-list"),
        {"kind": "citizens", "file": uploaded_file(police_csv(GOOD_1, BAD_FUTURE, GOOD_3))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "checked" and body["unit"] == COMMUNE_A
    assert body["check_report"]["counts"]["rows_rejected"] == 1
    assert body["check_report"]["errors"][0]["row"] == 3
    assert "stored_path" not in body and "check_error_file" not in body
    detail = reverse("api:imports:job-detail", args=[body["id"]])
    assert client.get(detail).json()["progress"]["percent"] == 100

    assert client.patch(detail, {"state": "done"}, format="json").status_code == 400
    response = client.patch(detail, {"state": "confirmed"}, format="json")
    assert response.status_code == 202 and response.json()["state"] == "done"
    assert Citizen.objects.filter(id_number=cccd(1990, 101)).exists()
    assert client.patch(detail, {"state": "confirmed"}, format="json").status_code == 400
    listed = client.get(reverse("api:imports:job-list")).json()
    assert [j["id"] for j in listed["results"]] == [body["id"]]


def test_the_api_answers_404_for_another_communes_job(officer, other_officer, make_user) -> None:
    api(officer).post(
        reverse("api:imports:job-list"),
        {"kind": "citizens", "file": uploaded_file(police_csv(GOOD_1))},
        format="multipart",
    )
    job = ImportJob.objects.get()
    detail = reverse("api:imports:job-detail", args=[job.uuid])
    stranger = api(other_officer)
    assert stranger.get(detail).status_code == 404
    assert stranger.patch(detail, {"state": "confirmed"}, format="json").status_code == 404
    assert stranger.get(reverse("api:imports:job-list")).json()["results"] == []
    viewer = api(make_user(Role.PROVINCE_VIEWER, "82"))
    assert viewer.get(detail).status_code == 200
    assert viewer.patch(detail, {"state": "confirmed"}, format="json").status_code == 403
    job.refresh_from_db()
    assert job.state == "checked"


def test_a_bad_upload_is_a_400_naming_the_field(officer) -> None:
    response = api(officer).post(
        reverse("api:imports:job-list"),
        {"kind": "citizens", "file": uploaded_file(b"x", "a.xls")},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()
    response = api(officer).post(
        reverse("api:imports:job-list"),
        {"kind": "citizens", "file": uploaded_file(police_csv(GOOD_1)), "unit": "28363"},
        format="multipart",
    )
    assert response.status_code == 400 and "unit" in response.json()
    assert not ImportJob.objects.exists()
