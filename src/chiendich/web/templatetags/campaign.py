"""Display helpers: numbers the way the reader's language writes them."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """1234567 -> "1.234.567" in Vietnamese, "1,234,567" in English; decimals only when present."""
    if value is None or value == "":
        return "—"
    d = Decimal(str(value))
    places = 0 if d == d.to_integral_value() else min(2, -d.normalize().as_tuple().exponent)  # type: ignore[operator]
    return number_format(d, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def target_value(target: Any) -> str:
    """A target as read in the plan: "70%" or "903.203"."""
    shown = num(target.value)
    return f"{shown}%" if target.measure == "percent" else shown


@register.filter
def pct(value: Any) -> str:
    """A rate as "70,25%" ("N/A" when it has no denominator)."""
    if value is None or value == "":
        return "N/A"
    return f"{number_format(Decimal(str(value)), decimal_pos=2, use_l10n=True)}%"
