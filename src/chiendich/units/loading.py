"""Loading the GSO trees into the unit table, dated, with their lineage.

`units_load(province, day)` loads the tree in force on `day`: before 1/7/2025
a province with its districts and communes; from then on a province with its
communes, together with the provinces of the earlier tree that formed it and
the conversion table between the two. Both trees live side by side.

Written in bulk (a few statements per level, not one save per unit), so the
whole country (both trees, about 14,000 units and 10,500 lineage rows) loads
in seconds; like the other bulk writes it bypasses the per-row change log and
records one AuditEvent. Idempotent: a second load writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record

from . import gso
from .lineage import successor_paths_refresh
from .models import PATH_SEPARATOR, Kind, Level, Lineage, Unit
from .services import LoadResult

_GSO_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
_FIELDS = ("gso_code", "name", "type", "level", "parent_id", "valid_from", "valid_to", "source")


def _later(source: dt.date | None, kept: dt.date | None) -> dt.date | None:
    """The later start of the source's and an officer's (the narrower window)."""
    dates = [d for d in (source, kept) if d is not None]
    return max(dates) if dates else None


def _earlier(source: dt.date | None, kept: dt.date | None) -> dt.date | None:
    """The earlier end of the source's and an officer's (a unit dissolved early)."""
    dates = [d for d in (source, kept) if d is not None]
    return min(dates) if dates else None


def _divisions(province: int | None, day: dt.date) -> tuple[list[gso.Division], list[gso.Link]]:
    """Every division to store and every lineage link, read before any write."""
    numbers = [province] if province is not None else gso.province_numbers(day)
    divisions: dict[str, gso.Division] = {}
    links: list[gso.Link] = []
    for number in numbers:
        for d in gso.iter_province(number, day):
            divisions[d.key] = d
        if gso.is_reformed(day):
            for old in gso.legacy_sources(number):
                for d in gso.iter_province(old, gso.LAST_DAY_BEFORE_REFORM):
                    divisions[d.key] = d
            links.extend(gso.province_lineage(number))
    return list(divisions.values()), links


@transaction.atomic
def units_load(
    province: int | None, day: dt.date, *, acting_user: User | None = None
) -> LoadResult:
    """Load province `province` (None: every province) as in force on `day`.

    Raises gso.UnknownDivision before writing when the package does not know
    the province on that date.
    """
    divisions, links = _divisions(province, day)
    result = LoadResult()
    stored = _store(divisions, result)
    linked = _link(links, stored)
    _clamp_descendants(stored[d.key] for d in divisions if d.parent_key is None)
    successor_paths_refresh()
    if result.created or result.updated or linked:
        roots = [stored[d.key] for d in divisions if d.parent_key is None]
        audit_event_record(
            AuditEvent.Type.UNITS_LOADED,
            user=acting_user,
            unit=roots[0] if len(roots) == 1 else None,
            source=gso.SOURCE,
            date=day.isoformat(),
            provinces=[r.code for r in roots][:100],
            created=result.created,
            updated=result.updated,
            lineage=linked,
        )
    result.lineage = linked
    return result


def _store(divisions: list[gso.Division], result: LoadResult) -> dict[str, Unit]:
    """Create or update each division, a level at a time (parents get ids first)."""
    # At most the whole country's ~14,000 rows: one read beats a long IN list.
    existing = {
        u.code: u for u in Unit.objects.filter(kind=Kind.TERRITORIAL, level__in=_GSO_LEVELS)
    }
    by_key: dict[str, Unit] = {}
    moved: list[tuple[Unit, str]] = []
    for level in _GSO_LEVELS:
        created: list[Unit] = []
        updated: list[Unit] = []
        for d in (d for d in divisions if d.level == level):
            parent = by_key[d.parent_key] if d.parent_key else None
            unit = existing.get(d.key)
            if unit is None:
                unit = Unit(code=d.key, kind=Kind.TERRITORIAL)
                _assign(unit, d, parent, keep=None)
                created.append(unit)
                result.add("created", d.type)
            else:
                before = tuple(getattr(unit, f) for f in _FIELDS)
                old_path = unit.path
                _assign(unit, d, parent, keep=unit)
                if tuple(getattr(unit, f) for f in _FIELDS) == before and unit.path == old_path:
                    result.add("unchanged", d.type)
                else:
                    updated.append(unit)
                    result.add("updated", d.type)
                    if unit.path != old_path:
                        moved.append((unit, old_path))
            by_key[d.key] = unit
        _insert(created)
        _update(updated)
    for unit, old_path in moved:
        _move_subtree(old_path, unit.path)
    return by_key


_COLUMNS = ("code", "kind", *_FIELDS, "path", "successor_path")


def _column(attname: str) -> str:
    return str(next(f.column for f in Unit._meta.concrete_fields if f.attname == attname))


def _values(unit: Unit, columns: tuple[str, ...]) -> list[Any]:
    values = [getattr(unit, c) for c in columns]
    return [v.isoformat() if isinstance(v, dt.date) else v for v in values]


def _insert(units: list[Unit]) -> None:
    """Insert `units` and give them their ids: one prepared statement stepped per row
    (Django's bulk_create spends seconds building SQL for the country's 14,000)."""
    if not units:
        return
    table = Unit._meta.db_table
    names = ", ".join(_column(c) for c in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - our own names
            [_values(u, _COLUMNS) for u in units],
        )
    ids: dict[str, int] = {}
    codes = [u.code for u in units]
    for start in range(0, len(codes), 5_000):
        ids.update(
            Unit.objects.filter(code__in=codes[start : start + 5_000]).values_list("code", "pk")
        )
    for u in units:
        u.pk = ids[u.code]


def _update(units: list[Unit]) -> None:
    if not units:
        return
    columns = (*_FIELDS, "path")
    table = Unit._meta.db_table
    assignments = ", ".join(f"{_column(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 - our own names
            [[*_values(u, columns), u.pk] for u in units],
        )


def _assign(unit: Unit, d: gso.Division, parent: Unit | None, keep: Unit | None) -> None:
    unit.gso_code = d.gso_code
    unit.name = d.name
    unit.type = d.type
    unit.level = d.level
    unit.parent = parent
    unit.source = gso.SOURCE
    unit.valid_from = _later(d.valid_from, keep.valid_from if keep else None)
    unit.valid_to = _earlier(d.valid_to, keep.valid_to if keep else None)
    unit.path = f"{parent.path if parent else ''}{d.key}{PATH_SEPARATOR}"


def _move_subtree(old_path: str, new_path: str) -> None:
    """A unit moved under another parent: rewrite the paths below it (hamlets, organizations)."""
    below = list(Unit.objects.filter(path__startswith=old_path).exclude(path=new_path))
    for u in below:
        if u.path.startswith(old_path):
            u.path = new_path + u.path[len(old_path) :]
    Unit.objects.bulk_update(below, ["path"], batch_size=2_000)


def _link(links: list[gso.Link], stored: dict[str, Unit]) -> int:
    """Store the conversion table's links; drop the ones it no longer has. Returns rows written."""
    wanted = {(stored[k.predecessor].pk, stored[k.successor].pk) for k in links}
    successors = {s for _, s in wanted}
    have = set(
        Lineage.objects.filter(source=Lineage.Source.GSO, successor_id__in=successors).values_list(
            "predecessor_id", "successor_id"
        )
    )
    stale = have - wanted
    if stale:
        condition = Q()
        for p, s in stale:
            condition |= Q(predecessor_id=p, successor_id=s)
        Lineage.objects.filter(condition, source=Lineage.Source.GSO).delete()
    new = sorted(wanted - have)
    if new:
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {Lineage._meta.db_table} (predecessor_id, successor_id, source,"  # noqa: S608
                " assigned_at) VALUES (%s, %s, %s, %s)",
                [(p, s, Lineage.Source.GSO.value, now) for p, s in new],
            )
    return len(new) + len(stale)


def _clamp_descendants(roots: Iterable[Unit]) -> None:
    """Hamlets and organizations live within their unit's dates: a tree that ended on
    30/6/2025 ends for everything in it."""
    for root in roots:
        below = Unit.objects.filter(path__startswith=root.path).exclude(pk=root.pk)
        if root.valid_to is not None:
            below.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=root.valid_to)).update(
                valid_to=root.valid_to
            )
        if root.valid_from is not None:
            below.filter(Q(valid_from__isnull=True) | Q(valid_from__lt=root.valid_from)).update(
                valid_from=root.valid_from
            )
