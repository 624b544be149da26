"""The overview's table, one row at a time from the cache.

A door-to-door outcome moves one hamlet's counts: its commune's row (and rarely a
neighbour's rank) changes, and the others stay as they were. Each row's HTML is
cached under what it shows (language, day, the unit and every figure of the row,
and the row template's own text), so the table of a province's hundred units below
is rendered again only for the rows whose figures moved. The key holds the figures
themselves, so a row found in the cache is the row of those figures: it cannot be
stale. Aggregate figures only (core/caching.py)."""

from __future__ import annotations

import hashlib
from functools import cache as once
from typing import Any

from django import template
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from chiendich.web.stored import CACHE_SECONDS

register = template.Library()
ROW_TEMPLATE = "web/_child_row.html"


@once
def _template_version() -> str:
    """A fingerprint of the row template's text: a changed template is another key."""
    source = get_template(ROW_TEMPLATE).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def row_key(row: Any, columns: list[tuple[str, str]], day: Any) -> str:
    figures = (
        get_language(),
        _template_version(),
        day.isoformat() if day else "-",
        tuple(columns),
        row.unit.code,
        row.unit.name,
        row.rank,
        row.activated,
        row.target,
        row.percent_of_target,
        row.light,
        row.rate_of_eligible,
        row.eligible,
        row.forecast_end,
        tuple(sorted(row.cells.items())),
    )
    return "overview-row:" + hashlib.sha256(repr(figures).encode()).hexdigest()


@register.simple_tag
def child_row(row: Any, columns: list[tuple[str, str]], day: Any) -> SafeString:
    """The table row of `row` (dashboard.ChildRow), from the cache when those figures
    were rendered before."""
    key = row_key(row, columns, day)
    html = cache.get(key)
    if html is None:
        html = render_to_string(ROW_TEMPLATE, {"r": row, "columns": columns, "day": day})
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - our own template, its values escaped by it
