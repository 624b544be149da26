"""Every list of the API pages with the capped paginator, which clamps what it is given."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from chiendich.api.pagination import MAX_LIMIT, MAX_OFFSET, ApiPagination


def api_views() -> Iterator[tuple[str, Any]]:
    """(route, view class) of every DRF view mounted under /api/."""

    def walk(patterns: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "cls", None)
                if view is not None and (prefix + str(p.pattern)).startswith("api/"):
                    yield prefix + str(p.pattern), view

    yield from walk(get_resolver().url_patterns, "")


def test_every_api_list_pages_with_the_capped_paginator() -> None:
    lists = [(route, view) for route, view in api_views() if issubclass(view, ListModelMixin)]
    assert len(lists) >= 6, lists
    for route, view in lists:
        assert view.pagination_class is ApiPagination, route


def _page(query: str) -> tuple[int | None, int]:
    request = Request(APIRequestFactory().get(f"/api/units/?{query}"))
    paginator = ApiPagination()
    return paginator.get_limit(request), paginator.get_offset(request)


@pytest.mark.parametrize(
    ("query", "limit", "offset"),
    [
        ("", 100, 0),
        ("limit=10&offset=20", 10, 20),
        ("limit=99999999999999999999999", MAX_LIMIT, 0),
        ("offset=99999999999999999999999", 100, MAX_OFFSET),
        (f"limit={'9' * 5000}&offset={'9' * 5000}", 100, 0),  # past int()'s digit limit
        ("limit=²&offset=²", 100, 0),
        ("limit=-1&offset=-1", 100, 0),
        ("limit=0", 100, 0),
    ],
)
def test_limit_and_offset_are_clamped(query: str, limit: int, offset: int) -> None:
    assert _page(query) == (limit, offset)
