"""Static files go gzipped to a browser that accepts it (a phone at 400 kbit/s loads
the field pages' scripts in a quarter of the bytes); pages never do (BREACH)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from django.test import Client

from chiendich.accounts.roles import Role

FIELD_STATIC = Path(__file__).resolve().parents[2] / "field" / "static" / "field"


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("name", ["field.js", "outbox.js", "field.css"])
def test_a_static_file_is_sent_gzipped_when_the_browser_accepts_it(name: str) -> None:
    plain = (FIELD_STATIC / name).read_bytes()
    client = Client()
    zipped = client.get(f"/static/field/{name}", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    sent = body(zipped)
    assert gzip.decompress(sent) == plain
    assert len(sent) < len(plain) / 2

    asked_plain = client.get(f"/static/field/{name}")
    assert not asked_plain.has_header("Content-Encoding")
    assert body(asked_plain) == plain


def test_a_range_of_a_static_file_is_sent_as_it_is() -> None:
    plain = (FIELD_STATIC / "field.js").read_bytes()
    part = Client().get(
        "/static/field/field.js", HTTP_ACCEPT_ENCODING="gzip", HTTP_RANGE="bytes=0-99"
    )
    assert part.status_code == 206
    assert not part.has_header("Content-Encoding")
    assert body(part) == plain[:100]


@pytest.mark.django_db
def test_pages_are_never_compressed(make_user, tien_giang) -> None:  # type: ignore[no-untyped-def]
    """A page holds the CSRF token: compressing it would leak the token (BREACH)."""
    client = Client()
    assert not client.get("/dang-nhap/", HTTP_ACCEPT_ENCODING="gzip").has_header("Content-Encoding")
    client.force_login(make_user(Role.PROVINCE_ADMIN, tien_giang.code))
    page = client.get("/", HTTP_ACCEPT_ENCODING="gzip", follow=True)
    assert page.status_code == 200
    assert not page.has_header("Content-Encoding")
