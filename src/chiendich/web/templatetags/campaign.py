"""Display helpers: numbers the way the reader's language writes them."""

from decimal import ROUND_HALF_UP, Decimal
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
    """A rate as "70,25%" ("—" when it has no denominator)."""
    if value is None or value == "":
        return "—"
    return f"{number_format(Decimal(str(value)), decimal_pos=2, use_l10n=True)}%"


@register.filter
def bar(value: Any) -> str:
    """A share of target as the width class of a bar, `w0` to `w100` (whole percent).

    A class, not an inline `style="width:…"`: the Content-Security-Policy forbids inline
    styles, and app.css holds one rule per percent.
    """
    if value is None or value == "":
        return "w0"
    share = min(max(Decimal(str(value)), Decimal(0)), Decimal(100))
    return f"w{share.quantize(Decimal(1), rounding=ROUND_HALF_UP)}"


@register.filter
def light(value: str | None) -> str:
    """met / on_pace / behind as the reader's language says it."""
    from chiendich.web.dashboard import light_label

    return str(light_label(value))


@register.filter
def measure(value: Any, kind: str) -> str:
    """A count as "903.203", a rate as "70,25%"."""
    return num(value) if kind == "count" else pct(value)


@register.filter
def raw(value: Any) -> str:
    """A number for a data- attribute (sorting): no grouping, dot decimal, "" for none."""
    if value is None or value == "":
        return ""
    return str(value)


@register.filter
def get(mapping: Any, key: str) -> Any:
    """mapping[key], None when absent (table cells by indicator key)."""
    return mapping.get(key) if mapping else None


@register.filter
def missing_staff(lines: Any) -> list[Any]:
    """The staff still below level 2 across an agency's category lines."""
    return [m for line in lines or [] for m in line.missing]


@register.simple_tag
def campaign_today() -> Any:
    """The campaign's today (core.clock): the replay's day in the demo, never the real
    clock's date beside it."""
    from chiendich.core import clock

    return clock.today()
