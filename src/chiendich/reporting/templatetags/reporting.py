"""Template filters that write a report table's cells the way the reader's language does."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..labels import (
    column_label,
    constant_notes,
    row_header,
    row_name,
    table_title,
)

register = template.Library()


def web_value(kind: str, value: Any) -> str:
    """A value written for the reader's language: rates with "%", counts grouped."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{number_format(value, 2, use_l10n=True, force_grouping=True)}%"
    if kind == "dec":
        return number_format(value, 2, use_l10n=True, force_grouping=True)
    if kind == "bool":
        return _("met") if value else _("not met")
    if kind == "text":
        return str(value)
    return number_format(value, 0, use_l10n=True, force_grouping=True)


@register.simple_tag
def cell(table: Any, row: dict[str, Any], column: str) -> str:
    """`row`'s value in `column` of `table`, written for the reader's language."""
    return web_value(table.kind_of(column, row), row.get(column))


@register.filter
def row_label(row: dict[str, Any]) -> str:
    return row_name(row)


@register.filter
def notes(table: Any) -> list[str]:
    """The columns left out because constant, each as one sentence."""
    return constant_notes(table, web_value)


@register.simple_tag
def change_value(change: Any, value: Any) -> str:
    """A number of the "changed since" list, written as its column is."""
    return web_value(getattr(change, "kind", "int"), value)


@register.filter
def header(table: dict[str, Any] | Any, column: str) -> str:
    return column_label(column, getattr(table, "labels", {}) or {})


@register.filter
def first_header(table: Any) -> str:
    return row_header(table.kind)


@register.filter
def title(table: Any) -> str:
    return table_title(table.kind, table.level)


@register.filter
def shows_parent(table: Any) -> bool:
    return len({r.get("parent") for r in table.rows}) > 1


@register.simple_tag
def state_badge(report: Any, today: Any) -> str:
    """A report's state as a coloured badge: overdue (red), due today (amber), open,
    submitted (blue), approved (green), locked (grey); "late" when sent after its
    deadline."""
    from ..models import ReportState

    if report.state == ReportState.OPEN:
        if report.deadline < today:
            css, label = "overdue", _("overdue")
        elif report.deadline == today:
            css, label = "due-today", _("due today")
        else:
            css, label = "open", report.get_state_display()
    else:
        css, label = report.state, report.get_state_display()
    badge = format_html('<span class="badge state-{}">{}</span>', css, label)
    if report.state != ReportState.OPEN and not report.on_time:
        badge += format_html(' <span class="badge state-late">{}</span>', _("late"))
    return badge
