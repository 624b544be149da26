"""`{% split_communes_link unit %}`: on a unit's page, a link to the split communes that
concern it (inside it, counting under it, or sending part of themselves to it)."""

from __future__ import annotations

from typing import Any

from django import template

from chiendich.units.models import Unit
from chiendich.units.splits import split_communes_of

register = template.Library()


@register.inclusion_tag("units/_split_link.html")
def split_communes_link(unit: Unit) -> dict[str, Any]:
    return {"unit": unit, "count": split_communes_of(unit).count()}
