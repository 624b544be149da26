"""Signing out ends the session and tells the browser to wipe what the site kept on
it (the volunteer app's lists and queue, its caches, its service worker)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A

pytestmark = pytest.mark.django_db


def test_sign_out_clears_the_session_and_the_site_data(tien_giang: Any, make_user: Any) -> None:
    user = make_user(Role.VOLUNTEER, COMMUNE_A)
    client = Client()
    client.force_login(user)
    assert client.get("/thuc-dia/").status_code == 200

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    # The session is gone: the volunteer pages send the browser to sign in.
    after = client.get("/thuc-dia/")
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("login"))


def test_sign_out_by_get_is_refused_and_clears_nothing(tien_giang: Any, make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(Role.VOLUNTEER, COMMUNE_A))
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert "Clear-Site-Data" not in response
    assert client.get("/thuc-dia/").status_code == 200
