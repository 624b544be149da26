"""The overview's table, one row at a time from the rows rendered before.

A door-to-door outcome moves one hamlet's counts: its commune's row (and rarely a
neighbour's rank) changes, and the others stay as they were. Each row's HTML is kept
under what it shows (language, day, the unit and every figure of the row, and the row
template's own text), so the table of a province's hundred units below is rendered
again only for the rows whose figures moved. A row found under those figures is the
row of those figures: it cannot be stale. The rows of one table are one cache entry
(`Rows`, read once and written once per render of the page, shared by the server's
processes). Aggregate figures only (core/caching.py)."""

from __future__ import annotations

import hashlib
from functools import cache as once
from typing import Any

from django import template
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()
ROW_TEMPLATE = "web/_child_row.html"
ROWS_SECONDS = 6 * 3600


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
    return hashlib.sha256(repr(figures).encode()).hexdigest()


class Rows:
    """The rendered rows of one unit's table (in a language, on a day), kept from its
    last render: read once, and written back once if a row had to be rendered."""

    def __init__(self, unit_code: str, day: Any) -> None:
        when = day.isoformat() if day else "-"
        self.key = f"overview-rows:{get_language()}:{unit_code}:{when}"
        self.before: dict[str, str] = cache.get(self.key) or {}
        self.now: dict[str, str] = {}

    def row(self, row: Any, columns: list[tuple[str, str]], day: Any) -> str:
        key = row_key(row, columns, day)
        html = self.before.get(key)
        if html is None:
            html = render_to_string(ROW_TEMPLATE, {"r": row, "columns": columns, "day": day})
        self.now[key] = html
        return html

    def save(self) -> None:
        """Keep this render's rows (only those: a row whose figures moved is dropped)."""
        if self.now and self.now.keys() != self.before.keys():
            cache.set(self.key, self.now, ROWS_SECONDS)


@register.simple_tag(takes_context=True)
def child_row(
    context: template.Context, row: Any, columns: list[tuple[str, str]], day: Any
) -> SafeString:
    """The table row of `row` (dashboard.ChildRow): from the page's `rows` (Rows) when
    the view gives them, rendered otherwise."""
    rows = context.get("rows")
    if rows is None:
        html = render_to_string(ROW_TEMPLATE, {"r": row, "columns": columns, "day": day})
    else:
        html = rows.row(row, columns, day)
    return mark_safe(html)  # noqa: S308 - our own template, its values escaped by it
