"""Reads of the unit tree shared by pages, commands, imports and reports.

A code alone never names a unit (codes were reused on 1/7/2025): `unit_at`
takes the date the code was written for. Identities (`Unit.code`, e.g.
"28249.2025") are accepted too, whatever the date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import PATH_SEPARATOR, Kind, Level, Lineage, Unit, UnitQuerySet, valid_on


def unit_at(
    code: str,
    day: dt.date,
    *,
    level: str | None = None,
    kind: str | None = None,
    queryset: QuerySet[Unit] | None = None,
) -> Unit | None:
    """The unit `code` names on `day`: the one with that code in force then, or the
    unit whose identity is `code`. None when there is neither."""
    code = (code or "").strip()
    if not code:
        return None
    units = queryset if queryset is not None else Unit.objects.all()
    if level:
        units = units.filter(level=level)
    if kind:
        units = units.filter(kind=kind)
    found = list(units.filter(valid_on(day), gso_code=code).order_by("-valid_from")[:2])
    if found:
        return found[0]
    return units.filter(code=code).first()


def units_at(codes: set[str], day: dt.date, **filters: Any) -> dict[str, Unit]:
    """`unit_at` for many codes at once: code -> unit, for those found."""
    codes = {c.strip() for c in codes if c and c.strip()}
    if not codes:
        return {}
    out: dict[str, Unit] = {}
    for unit in (
        Unit.objects.filter(gso_code__in=codes, **filters).valid_on(day).order_by("valid_from")
    ):
        out[unit.gso_code] = unit
    for unit in Unit.objects.filter(code__in=codes - out.keys(), **filters):
        out[unit.code] = unit
    return out


def earlier_unit(code: str, *, level: str | None = None) -> Unit | None:
    """The most recent unit of an earlier tree that had `code` (it has an end date)."""
    units = Unit.objects.filter(gso_code=code, valid_to__isnull=False)
    if level:
        units = units.filter(level=level)
    return units.order_by("-valid_to").first()


def code_problem(code: str, day: dt.date, *, what: str, level: str | None = None) -> str:
    """Why `code` names no unit on `day`, for an error message: it names none at all, or
    only one outside that date ("Phường 5, đến 30/06/2025")."""
    units = Unit.objects.filter(gso_code=code)
    if level:
        units = units.filter(level=level)
    others = list(units.order_by("valid_from")[:3])
    if not others:
        return f"không có {what} mã này"
    when = "; ".join(f"{u.name}, {describe_validity(u)}" for u in others)
    return f"mã này không có hiệu lực vào ngày {day:%d/%m/%Y} ({when})"


@dataclass
class InTree:
    """Where a unit of one tree lands in the tree of another day (see `unit_in_tree`)."""

    unit: Unit | None  # the unit in force that day, None when it cannot be told
    candidates: list[Unit] = field(default_factory=list)  # a split commune's new communes
    mapped: bool = False  # True when lineage was followed


def unit_in_tree(unit: Unit, day: dt.date, *, hamlet: Unit | None = None) -> InTree:
    """The unit in force on `day` that `unit` (of any tree) is, or became.

    A unit in force on `day` is itself. Otherwise lineage is followed forward
    (a later reform would add a step): one successor is the answer; a commune
    split across several new ones is decided by `hamlet`, one of its hamlets
    that an officer assigned (units.lineage.hamlet_assign); without it the
    candidates are returned and `unit` is None, never a guess.
    """
    if unit.is_valid_on(day):
        return InTree(unit)
    if hamlet is not None:
        assigned = (
            Unit.objects.filter(
                predecessor_links__predecessor=hamlet,
                predecessor_links__source=Lineage.Source.ASSIGNED,
            )
            .valid_on(day)
            .first()
        )
        if assigned is not None:
            return InTree(assigned, mapped=True)
    frontier, seen = [unit.pk], {unit.pk}
    for _ in range(4):  # a few reforms at most
        successors = list(
            Unit.objects.filter(
                predecessor_links__predecessor_id__in=frontier,
                predecessor_links__source=Lineage.Source.GSO,
            ).distinct()
        )
        if not successors:
            break
        valid = [s for s in successors if s.is_valid_on(day)]
        if len(valid) == 1 and len(successors) == 1:
            return InTree(valid[0], mapped=True)
        if valid:
            return InTree(None, sorted(valid, key=lambda u: u.gso_code), mapped=True)
        frontier = [s.pk for s in successors if s.pk not in seen]
        seen.update(frontier)
    return InTree(None)


def unit_missing(code: str, day: dt.date) -> str:
    """The message for a command given a unit code that names nothing on `day`."""
    others = list(Unit.objects.filter(gso_code=code).order_by("valid_from")[:3])
    message = f"Không có đơn vị mã {code} vào ngày {day:%d/%m/%Y}"
    if others:
        when = "; ".join(f"{u.name}, {describe_validity(u)}" for u in others)
        message += f" (mã này là: {when}; --tree chọn địa giới theo ngày)"
    return message + "."


def describe_validity(unit: Unit) -> str:
    """ "từ 01/07/2025", "đến 30/06/2025", or "" for a unit with no dates."""
    if unit.valid_from and unit.valid_to:
        return f"{unit.valid_from:%d/%m/%Y}–{unit.valid_to:%d/%m/%Y}"
    if unit.valid_from:
        return f"từ {unit.valid_from:%d/%m/%Y}"
    if unit.valid_to:
        return f"đến {unit.valid_to:%d/%m/%Y}"
    return ""


def unit_tree_rows(queryset: UnitQuerySet) -> list[dict[str, Any]]:
    """Units in tree order as rows of code, name, type, level, parent code."""
    rows = list(queryset.order_by("path").select_related("parent"))
    return [
        {
            "code": u.gso_code or u.code,
            "key": u.code,
            "name": u.name,
            "kind": u.kind,
            "type": u.type,
            "level": u.level,
            "parent_code": (u.parent.gso_code or u.parent.code) if u.parent else "",
            "depth": u.path.count(PATH_SEPARATOR) - 1,
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
        }
        for u in rows
    ]


def province_at(code: str, day: dt.date) -> Unit | None:
    """The province with GSO code `code` in force on `day`."""
    return unit_at(code, day, level=Level.PROVINCE, kind=Kind.TERRITORIAL)


def province_units(province_code: str, day: dt.date | None = None) -> UnitQuerySet:
    """The subtree of the province `province_code` in force on `day` (any date when None:
    the province whose identity is the code)."""
    root = (
        province_at(province_code, day)
        if day is not None
        else Unit.objects.filter(code=province_code, parent__isnull=True).first()
    )
    if root is None:
        return Unit.objects.none()
    units = Unit.objects.subtree(root)
    return units.valid_on(day) if day is not None else units


def children_of(unit: Unit, queryset: UnitQuerySet) -> dict[str, list[Unit]]:
    """`unit`'s children inside `queryset`, territorial and organizations apart."""
    rows = list(queryset.filter(parent=unit).order_by("kind", "type", "name"))
    return {
        "territorial": [u for u in rows if u.kind == Kind.TERRITORIAL],
        "organizations": [u for u in rows if u.kind == Kind.ORGANIZATION],
    }


def _lineage_row(unit: Unit, source: str) -> dict[str, Any]:
    return {
        "code": unit.gso_code or unit.code,
        "key": unit.code,
        "name": unit.name,
        "type": unit.type,
        "level": unit.level,
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
        "source": source,
    }


def lineage_of(unit: Unit) -> dict[str, Any]:
    """`unit` with the units it was formed from and the units it became, from lineage."""
    predecessors = [
        _lineage_row(link.predecessor, link.source)
        for link in Lineage.objects.filter(successor=unit)
        .select_related("predecessor")
        .order_by("predecessor__gso_code")
    ]
    successors = [
        _lineage_row(link.successor, link.source)
        for link in Lineage.objects.filter(predecessor=unit)
        .select_related("successor")
        .order_by("successor__gso_code")
    ]
    return {
        "unit": _lineage_row(unit, ""),
        "predecessors": predecessors,
        "successors": successors,
        "split": sum(1 for s in successors if s["source"] == Lineage.Source.GSO) > 1,
    }


def predecessors_on(unit: Unit, day: dt.date) -> list[Unit]:
    """The units `unit` was formed from, when `day` is before it came into force (their
    records are its figures for that day); none otherwise."""
    if unit.valid_from is None or day >= unit.valid_from:
        return []
    return list(
        Unit.objects.filter(
            successor_links__successor=unit, successor_links__source=Lineage.Source.GSO
        )
        .distinct()
        .order_by("gso_code")
    )


def split_ids() -> list[int]:
    """Ids of the communes of an earlier tree split across several new ones: a few
    hundred nationally, so callers filter with this literal list (nested IN
    subqueries over the lineage table cost PostgreSQL seconds)."""
    return list(
        Lineage.objects.filter(source=Lineage.Source.GSO, predecessor__level=Level.COMMUNE)
        .values("predecessor_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("predecessor_id", flat=True)
        .order_by()
    )


def split_communes(queryset: UnitQuerySet | None = None) -> UnitQuerySet:
    """Communes of an earlier tree that the conversion table splits across several new ones."""
    units = queryset if queryset is not None else Unit.objects.all()
    return units.filter(pk__in=split_ids())


def territory_condition(unit: Unit, field: str = "") -> Q:
    """Rows whose unit lies in `unit`'s subtree or counts under it through lineage."""
    prefix = f"{field}__" if field else ""
    return Q(**{f"{prefix}path__startswith": unit.path}) | Q(
        **{f"{prefix}successor_path__startswith": unit.path}
    )


def covers_everything(unit: Unit) -> bool:
    """Whether every unit lies in `unit`'s territory (one province, with the old units it
    took over): then its rows are all rows, and a read needs no join on units."""
    if unit.parent_id is not None:
        return False
    return not Unit.objects.exclude(territory_condition(unit)).exists()


def in_territory[Q_T: QuerySet[Any]](queryset: Q_T, unit: Unit, field: str = "unit") -> Q_T:
    """Rows of `queryset` (whose unit is reached through `field`) in `unit`'s territory:
    its subtree and the old units whose records count under it."""
    if covers_everything(unit):
        return queryset
    return queryset.filter(territory_condition(unit, field))


def example_commune(user: Any) -> Unit | None:
    """The commune an import template's example row names for `user`: their own commune,
    the commune of their hamlet, or the first commune under their district or province
    (an officer copying the example keeps a code of their own district). None without a
    territorial unit (an agency, the command line)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    for unit in user.units.filter(kind=Kind.TERRITORIAL).order_by("path"):
        if unit.level == Level.COMMUNE:
            return unit
        if unit.level == Level.HAMLET:
            return unit.parent
        first = (
            Unit.objects.subtree(unit)
            .filter(kind=Kind.TERRITORIAL, level=Level.COMMUNE)
            .order_by("path")
            .first()
        )
        if first is not None:
            return first
    return None
