"""Web and API imports with both unit trees loaded (issue 12, item 4): an officer of
today's units imports onto today's tree (old codes mapped, the mapping shown on the
job page and in the API), an officer still bound to 2023 units imports without
mapping; each stays within their units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from chiendich.accounts.roles import Role
from chiendich.imports.models import JobState
from chiendich.imports.services import job_confirm
from chiendich.units.loading import units_load
from chiendich.vneid.models import Citizen, ImportBatch

from .conftest import PASSWORD, cccd, police_csv, upload, uploaded_file

pytestmark = pytest.mark.django_db

DAO_THANH = "28249.2025"
TODAY = "2026-06-01"
# Phường 4 in 2023 (now part of Phường Đạo Thạnh), a commune of another new commune in
# 2023, and today's code of Phường Đạo Thạnh on a row of 2026.
PHUONG_4 = f"{cccd(1990, 1)},Một,01/02/1990,Nam,28252,,,,Đã kích hoạt mức 2,01/09/2023"
ELSEWHERE = f"{cccd(1990, 2)},Hai,01/02/1990,Nam,28363,,,,Đã kích hoạt mức 2,01/09/2023"
TODAYS_CODE = f"{cccd(1990, 3)},Ba,01/02/1990,Nam,28249,,,,Đã kích hoạt mức 1,01/03/2026"


@pytest.fixture
def two_trees(db: None, settings: Any) -> None:
    settings.CAMPAIGN_TODAY = TODAY
    units_load(82, dt.date(2026, 1, 1))


def test_an_officer_of_todays_commune_imports_onto_todays_tree(
    two_trees: None, make_user: Callable[..., Any]
) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, DAO_THANH, password=PASSWORD)
    job = upload(officer, police_csv(PHUONG_4, ELSEWHERE, TODAYS_CODE))

    assert job.state == JobState.CHECKED
    report = job.check_report
    assert report["tree"] == TODAY
    assert report["mapped"] == [
        {"from": "28252 Phường 4", "to": "28249 Phường Đạo Thạnh", "rows": 1}
    ]
    assert report["counts"]["mapped_rows"] == 1
    # Mapped onto a unit outside the officer's units: rejected, as any row of another unit.
    [error] = report["errors"]
    assert (error["row"], error["column"]) == (3, "Mã xã")
    assert "ngoài phạm vi" in error["problem"]

    client = Client()
    client.force_login(officer)
    page = client.get(reverse("imports:job", kwargs={"job": str(job.uuid)})).content.decode()
    assert 'id="check-mapped"' in page
    assert "28252 Phường 4" in page and "28249 Phường Đạo Thạnh" in page
    assert "01/06/2026" in page

    job = job_confirm(acting_user=officer, job=job)
    assert job.state == JobState.DONE
    assert job.import_report["tree"] == TODAY
    assert job.import_report["mapped"] == report["mapped"]
    assert set(Citizen.objects.values_list("unit__code", flat=True)) == {DAO_THANH}
    assert "28252 Phường 4 → 28249 Phường Đạo Thạnh: 1 dòng" in (
        ImportBatch.objects.get(pk=int(job.batch_id)).message
    )

    api = APIClient()
    api.force_authenticate(officer)
    body = api.get(reverse("api:imports:job-detail", args=[str(job.uuid)])).json()
    assert body["import_report"]["mapped"] == report["mapped"]
    assert body["check_report"]["tree"] == TODAY


def test_an_officer_bound_to_2023_units_imports_without_mapping(
    two_trees: None, make_user: Callable[..., Any]
) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, "28249", password=PASSWORD)  # Phường 5
    phuong_5 = f"{cccd(1990, 4)},Bốn,01/02/1990,Nam,28249,,,,Đã kích hoạt mức 2,01/09/2023"
    job = upload(officer, police_csv(phuong_5, TODAYS_CODE))

    report = job.check_report
    assert report["tree"] is None and report["mapped"] == []
    assert "mapped_rows" not in report["counts"]
    # 28249 on a row of 2026 is Phường Đạo Thạnh: not one of this officer's units.
    [error] = report["errors"]
    assert (error["row"], error["column"]) == (3, "Mã xã")
    assert "ngoài phạm vi" in error["problem"]

    uploaded = Client()
    uploaded.force_login(officer)
    page = uploaded.get(reverse("imports:job", kwargs={"job": str(job.uuid)})).content.decode()
    assert 'id="check-mapped"' not in page
    job_confirm(acting_user=officer, job=job)
    assert list(Citizen.objects.values_list("unit__code", flat=True)) == ["28249"]


def test_the_api_upload_maps_like_the_page(two_trees: None, make_user: Callable[..., Any]) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, DAO_THANH, password=PASSWORD)
    client = APIClient()
    client.force_authenticate(officer)
    response = client.post(
        reverse("api:imports:job-list"),
        {"kind": "citizens", "file": uploaded_file(police_csv(PHUONG_4))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["check_report"]["tree"] == TODAY
    assert body["check_report"]["mapped"][0]["from"] == "28252 Phường 4"
