"""The 500 page: branded, in Vietnamese and English, rendered without the database."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db


def broken(request):  # noqa: ANN001, ANN201 - a view that fails, for the test
    raise RuntimeError("a bug")


urlpatterns = [
    path("hong/", broken),
    path("", include("chiendich.urls")),
]


@pytest.mark.urls("chiendich.web.tests.test_errors")
def test_a_raising_view_answers_the_branded_500_page(settings) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/hong/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "chiendich" in text and 'id="server-error"' in text
    assert "Đã có lỗi ở máy chủ" in text and "Server error" in text
    assert "/static/web/app.css" in text
    assert "a bug" not in text and "Traceback" not in text  # nothing of the fault shown


def test_the_500_page_reads_nothing_from_the_database(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        text = render_to_string("500.html")
    assert "Đã có lỗi ở máy chủ" in text
