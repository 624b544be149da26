"""Nothing a signed-in user was shown stays in a browser's or a proxy's cache: pages
with unmasked ID numbers, worklists, lists, exports, error files and API answers all
carry `Cache-Control: no-store`; what anonymous visitors get does not need it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.api.tests.conftest import token_client
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.field.tests.conftest import HAMLET_A, Field, field  # noqa: F401 - fixture
from chiendich.imports.services import job_upload
from chiendich.imports.tests.conftest import BAD_FUTURE, GOOD_1, IMMEDIATE, police_csv
from chiendich.results.tests.factories import scope_results

pytestmark = pytest.mark.django_db


def no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_pages_and_downloads_with_personal_data_are_not_stored(
    field: Field,  # noqa: F811 - the fixture imported above
    make_user: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    police = make_user(Role.POLICE_COMMUNE, COMMUNE_A)
    result, _other = scope_results(COMMUNE_A, COMMUNE_B)
    job = job_upload(
        acting_user=police,
        kind="citizens",
        file_name="ds.csv",
        chunks=[police_csv(GOOD_1, BAD_FUTURE)],
    )
    client = Client()
    client.force_login(police)
    pages = {
        "household, IDs shown": reverse("field:hamlet", args=[HAMLET_A]) + "?ho=H&hien=1",
        "worklist xlsx": reverse("field:worklist-xlsx", args=[HAMLET_A]),
        "worklist pdf": reverse("field:worklist-pdf", args=[HAMLET_A]),
        "lists, IDs shown": reverse("field:lists", args=[COMMUNE_A]) + "?hien=1",
        "lists xlsx": reverse("field:lists", args=[COMMUNE_A]) + "?xuat=xlsx",
        "indicators xlsx": reverse("web:unit-xlsx", args=[COMMUNE_A]),
        "result, ID shown": reverse("results:detail", args=[result.pk]) + "?hien=1",
        "error file": reverse("imports:job", args=[job.uuid]) + "?xuat=loi",
        "unit page": reverse("web:unit-detail", args=[COMMUNE_A]),
    }
    for what, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (what, response.status_code)
        assert no_store(response), what
        assert "private" in response["Cache-Control"], what

    api = token_client(police)
    for url in (f"/api/citizens/?unit={HAMLET_A}&hien=1", f"/api/results/{result.pk}/"):
        response = api.get(url)
        assert response.status_code == 200 and no_store(response), url


def test_what_anonymous_visitors_get_is_left_alone(db: None) -> None:
    # A refused API call holds nothing personal. (The sign-in page is never cached
    # anyway: Django's LoginView says so itself.)
    response = Client().get("/api/units/")
    assert response.status_code in (401, 403) and not no_store(response)
