"""Who may call the API: a token (or a signed-in session), an active user, a role that
may do what the method asks; tokens issued and revoked from the command line, audited."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A

from .conftest import token_client

pytestmark = pytest.mark.django_db

READS = [
    "/api/units/",
    f"/api/units/{COMMUNE_A}/",
    f"/api/units/{COMMUNE_A}/progress/",
    f"/api/units/{COMMUNE_A}/indicators/",
    f"/api/units/{COMMUNE_A}/targets/",
    "/api/citizens/",
    "/api/visits/",
    "/api/forms/",
]


@pytest.mark.parametrize("url", READS)
def test_no_token_is_401_and_a_bad_token_too(tien_giang, url) -> None:
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert bad.get(url).status_code == 401


@pytest.mark.parametrize("url", ["/api/visits/", "/api/forms/"])
def test_writes_without_a_token_are_401(tien_giang, url) -> None:
    assert APIClient().post(url, {}, format="json").status_code == 401


def test_a_token_works_and_a_session_too(tien_giang, make_user) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    response = token_client(user).get(f"/api/units/{COMMUNE_A}/")
    assert response.status_code == 200 and response.json()["code"] == COMMUNE_A
    session = Client()
    session.force_login(user)
    assert session.get(f"/api/units/{COMMUNE_A}/").status_code == 200


def test_an_inactive_users_token_stops_working(tien_giang, make_user) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client = token_client(user)
    user.is_active = False
    user.save()
    assert client.get("/api/units/").status_code == 401


def test_a_role_without_change_gets_403_on_writes(tien_giang, make_user) -> None:
    client = token_client(make_user(Role.PROVINCE_VIEWER, "82"))
    assert client.get("/api/units/").status_code == 200
    for url in ("/api/visits/", "/api/forms/"):
        response = client.post(url, {}, format="json")
        assert response.status_code == 403, url


def test_token_command_issues_rotates_and_revokes_audited(tien_giang, make_user) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    out = io.StringIO()
    call_command("api", "token", user.username, stdout=out, stderr=io.StringIO())
    first = out.getvalue().strip()
    assert Token.objects.get(user=user).key == first and len(first) == 40
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.get("/api/units/").status_code == 200

    out = io.StringIO()
    call_command("api", "token", user.username, "--note", "lost phone", stdout=out)
    second = out.getvalue().strip()
    assert second != first
    assert client.get("/api/units/").status_code == 401  # the old token is dead
    client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert client.get("/api/units/").status_code == 200

    call_command("api", "token", user.username, "--revoke", stdout=io.StringIO())
    assert client.get("/api/units/").status_code == 401
    events = list(
        AuditEvent.objects.filter(object_id=str(user.pk), type__startswith="api_token").order_by(
            "id"
        )
    )
    assert [(e.type, e.detail.get("replaced")) for e in events] == [
        (AuditEvent.Type.API_TOKEN_ISSUED, False),
        (AuditEvent.Type.API_TOKEN_ISSUED, True),
        (AuditEvent.Type.API_TOKEN_REVOKED, None),
    ]
    assert events[1].detail["note"] == "lost phone" and events[0].origin == "command"
    # The token itself is never written to the log.
    assert all(first not in str(e.detail) and second not in str(e.detail) for e in events)


def test_token_command_refuses_unknown_and_inactive_users(tien_giang, make_user) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Không có người dùng"):
        call_command("api", "token", "nobody")
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="bị khóa"):
        call_command("api", "token", user.username)
    assert not Token.objects.filter(user=user).exists()


def test_the_schema_is_served_without_signing_in(tien_giang) -> None:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.") and "/api/units/{code}/progress/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_docs_page_lists_every_operation_without_external_assets(tien_giang) -> None:
    page = Client().get("/api/docs/").content.decode()
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                assert f"{method.upper()} {path}" in page, (method, path)
    assert "Authorization: Token" in page and "chiendich api token USERNAME" in page
    assert "cdn" not in page.lower()
    # Only the site's own scripts (on every page since the CSP): nothing external.
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/static/web/app.js", "/static/web/day_input.js"]
