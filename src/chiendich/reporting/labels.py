"""What users read for the report tables' keys: column headers, table titles, units."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chiendich.core.numbers import vn_number
from chiendich.units.models import Level

# How each column's value is written: "pct" with two decimals and "%", "int" whole,
# "text" as is. Columns not listed are whole numbers.
COLUMN_KINDS = {
    "rate_of_eligible": "pct",
    "percent_of_target": "pct",
    "rate": "pct",
    "target_rate": "pct",
    "score": "dec",
    "total": "dec",
    "percent": "pct",
    "expected_percent": "pct",
    "recent_daily_pace": "dec",
    "indicator": "text",
    "met": "bool",
}

COLUMN_LABELS = {
    "name": _("Unit"),
    "parent": _("Part of"),
    "eligible": _("Eligible citizens"),
    "activated": _("Activated accounts"),
    "activated_l2": _("of which level 2"),
    "new_activations": _("Activated that day"),
    "rate_of_eligible": _("Activated of eligible (%)"),
    "target": _("Target"),
    "percent_of_target": _("Of target (%)"),
    "needed_daily_pace": _("Needed per day"),
    "recent_daily_pace": _("Per day, last 7 days"),
    "numerator": _("Numerator"),
    "denominator": _("Denominator"),
    "rate": _("Rate"),
    "met": _("Met"),
    "rank": _("Rank"),
    "score": _("Score"),
    "bonus": _("Bonus points"),
    "total": _("Total"),
    "indicator": _("Indicator"),
    "percent": _("Of target (%)"),
    "expected_percent": _("Expected by now (%)"),  # reports submitted before the status model
    "value": _("Value"),
    "forecast_end": _("Forecast at the period's end"),
    "needed_now": _("Needed by now (plan's share of the steady pace)"),
    "sessions": _("Sessions held"),
    "people_reached": _("People reached"),
    "posters": _("Posters and banners"),
    "posts": _("Social media posts"),
    "radio_spots": _("Radio spots"),
    "tv_spots": _("TV spots"),
    "video_guides": _("Video guides"),
}

TABLE_TITLES = {
    "vneid": _("VNeID accounts"),
    "tthc_indicators": _("Administrative procedure indicators"),
    "tthc_units": _("Indicators by unit (rate, %)"),
    "ranking": _("Emulation ranking (% of target per indicator)"),
    "lagging": _("Lagging units"),
    "forecast_miss": _("Forecast to miss the target by the deadline"),
    "activities": _("Communication activities since the campaign began"),
}

SHEET_NAMES = {
    Level.PROVINCE: _("Province level"),
    Level.DISTRICT: _("District level"),
    Level.COMMUNE: _("Commune level"),
    Level.HAMLET: _("Hamlet level"),
}

LEVEL_NAMES = {
    Level.PROVINCE: _("province"),
    Level.DISTRICT: _("districts"),
    Level.COMMUNE: _("communes"),
    Level.HAMLET: _("hamlets"),
}


def row_header(kind: str) -> str:
    """The first column's header: what a row is (a unit, or an indicator)."""
    return str(COLUMN_LABELS["indicator" if kind == "tthc_indicators" else "name"])


def column_label(column: str, plan_labels: dict[str, str]) -> str:
    """A column's header: the plan's indicator name, else our translated label."""
    if column in plan_labels:
        return plan_labels[column]
    return str(COLUMN_LABELS.get(column, column))


def table_title(kind: str, level: str) -> str:
    title = str(TABLE_TITLES.get(kind, kind))
    level_name = LEVEL_NAMES.get(level)  # type: ignore[call-overload]
    return f"{title} – {level_name}" if level_name else title


def row_name(row: dict[str, Any]) -> str:
    """A row's first cell: the unit's name, or for the remainder row (content.OWN) what
    its numbers are: the unit's own, in no unit below."""
    if row.get("own"):
        return str(_("%(unit)s itself (not in a unit below)") % {"unit": row.get("name", "")})
    return str(row.get("name") or "")


def constant_notes(table: Any, write: Callable[[str, Any], str]) -> list[str]:
    """ "Expected by now (%): 100,00% on every row" for each column a table leaves out
    because every row holds that value; `write(kind, value)` writes the value."""
    constants = getattr(table, "constants", None) or {}
    return [
        str(
            _("%(column)s: %(value)s on every row")
            % {"column": column_label(c, {}), "value": write(table.kind_of(c), v)}
        )
        for c, v in constants.items()
    ]


CENT = Decimal("0.01")


def document_value(kind: str, value: Any) -> str:
    """A value as the documents (PDF, notes in XLSX) write it, in Vietnamese numbers."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{vn_number(Decimal(str(value)).quantize(CENT))}%"
    if kind == "dec":
        return vn_number(Decimal(str(value)).quantize(CENT))
    if kind == "bool":
        return gettext("met") if value else gettext("not met")
    if kind == "text":
        return str(value)
    return vn_number(value)
