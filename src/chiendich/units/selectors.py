"""Reads of the unit tree shared by pages, commands and reports."""

from __future__ import annotations

from typing import Any

from .models import Kind, Unit, UnitQuerySet


def unit_tree_rows(queryset: UnitQuerySet) -> list[dict[str, Any]]:
    """Units in tree order as rows of code, name, type, level, parent code."""
    return [
        {
            "code": u.code,
            "name": u.name,
            "kind": u.kind,
            "type": u.type,
            "level": u.level,
            "parent_code": u.parent_code,
            "depth": u.path.count("/") - 1,
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
        }
        for u in queryset.order_by("path")
    ]


def province_units(province_code: str) -> UnitQuerySet:
    root = Unit.objects.filter(code=province_code, parent__isnull=True).first()
    if root is None:
        return Unit.objects.none()
    return Unit.objects.subtree(root)


def children_of(unit: Unit, queryset: UnitQuerySet) -> dict[str, list[Unit]]:
    """`unit`'s children inside `queryset`, territorial and organizations apart."""
    rows = list(queryset.filter(parent=unit).order_by("kind", "type", "name"))
    return {
        "territorial": [u for u in rows if u.kind == Kind.TERRITORIAL],
        "organizations": [u for u in rows if u.kind == Kind.ORGANIZATION],
    }
