"""An API token is the account's key: refused while the account is locked out after
failed sign-ins (django-axes) or deactivated, and working again once it is not."""

from __future__ import annotations

from typing import Any

import pytest
from axes.utils import reset
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.api.tests.conftest import token_client
from chiendich.conftest import COMMUNE_A

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-383"


def fail_sign_ins(username: str, times: int) -> None:
    for _ in range(times):
        Client().post(reverse("login"), {"username": username, "password": "sai-mat-khau"})


def test_a_locked_out_users_token_is_refused_until_the_lockout_ends(
    tien_giang: Any, make_user: Any, settings: Any
) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A, password=PASSWORD)
    bystander = make_user(Role.COMMUNE_OFFICER, COMMUNE_A, password=PASSWORD)
    api, other = token_client(user), token_client(bystander)
    assert api.get("/api/units/").status_code == 200

    fail_sign_ins(user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert api.get("/api/units/").status_code == 200  # not locked yet
    fail_sign_ins(user.username, 1)
    # The sign-in form is locked too (axes' own page), and so is the token.
    locked = Client().post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    refused = api.get("/api/units/")
    assert refused.status_code == 401, refused.content
    assert api.post("/api/visits/", {}, format="json").status_code == 401
    assert other.get("/api/units/").status_code == 200  # only that account

    reset(username=user.username)  # an administrator lifts the lockout
    assert api.get("/api/units/").status_code == 200


def test_an_inactive_users_token_is_refused(tien_giang: Any, make_user: Any) -> None:
    user = make_user(Role.POLICE_COMMUNE, COMMUNE_A, password=PASSWORD)
    api = token_client(user)
    assert api.get("/api/units/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api.get("/api/units/").status_code == 401
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert api.get("/api/units/").status_code == 200
