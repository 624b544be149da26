"""API fixtures: the door-to-door commune of the field tests (two hamlets of Phường 5,
citizens in every state, a volunteer team), a hamlet with a citizen in another
district's commune, Plan 383 with its targets allocated, a few dossiers, and token
clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.api.services import api_token_rotate
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.field.tests.conftest import Field, field, make_citizen  # noqa: F401 - fixtures
from chiendich.plans.allocation import targets_allocate
from chiendich.procedures.tests.conftest import (  # noqa: F401 - fixtures
    catalogue,
    dossier_row,
    import_rows,
)
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert
from chiendich.vneid.counts import counts_rebuild
from chiendich.vneid.models import AccountState, Citizen, Household
from chiendich.vneid.progress import eligible_basis, vneid_target

HAMLET_B1 = f"{COMMUNE_B}-01"


@dataclass
class ApiData:
    field: Field
    plan: Any
    other_hamlet: Unit
    other_citizen: Citizen
    today: dt.date


@pytest.fixture
def api_data(field: Field, plan_383: Any, import_rows: Callable[..., Any]) -> ApiData:  # noqa: F811
    """Everything the API reads, in commune A, and one citizen in commune B."""
    commune_b = Unit.objects.get(code=COMMUNE_B)
    hamlet, _ = unit_upsert(
        code=HAMLET_B1, name="Ấp Một", unit_type="ap", level=Level.HAMLET, parent=commune_b
    )
    household = Household.objects.create(code="B1", commune=commune_b, unit=hamlet)
    other = make_citizen(hamlet, household, "Ngô Văn Xa", AccountState.ACTIVATED_L1)
    counts_rebuild(field.today - dt.timedelta(days=10), field.today)
    target = vneid_target(plan_383)
    basis = eligible_basis(field.today)
    targets_allocate(target, lambda u: basis.get(u.code, 0))
    # Phường 5 (commune A): three dossiers in the TTHC peak, two of them online.
    report = import_rows(
        [
            dossier_row("HS-1", COMMUNE_A, channel=2, received="05/09/2023"),
            dossier_row("HS-2", COMMUNE_A, channel=2, received="06/09/2023"),
            dossier_row("HS-3", COMMUNE_A, channel=1, received="07/09/2023"),
            dossier_row("HS-4", COMMUNE_B, channel=1, received="07/09/2023"),
        ]
    )
    assert report.created == 4, report.errors
    return ApiData(field, plan_383, hamlet, other, field.today)


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_rotate(user=user)}")
    return client


@pytest.fixture
def client_for(make_user: Callable[..., User]) -> Callable[..., APIClient]:
    """A token client for a new user of `role` bound to `codes` (default commune A)."""

    def make(role: Role | str = Role.COMMUNE_OFFICER, *codes: str) -> APIClient:
        user = make_user(role, *(codes or (COMMUNE_A,)))
        client = token_client(user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make
