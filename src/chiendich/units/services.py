"""Writes to the unit tree: importing hamlets and organizations (GSO loads: loading.py).

Every loader is idempotent (a second run with the same input writes nothing)
and atomic (a bad row means nothing is written), and records one AuditEvent;
single rows go through the change log as usual.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.core.tabular import RowError, TabularError, read_csv
from chiendich.core.text import clean, fold

from .lineage import successor_paths_refresh
from .models import PATH_SEPARATOR, Kind, Level, Unit, UnitType
from .selectors import code_problem, units_at


@dataclass
class LoadResult:
    """What a load or import did, by outcome."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    lineage: int = 0  # lineage rows written (GSO loads)

    def add(self, outcome: str, unit_type: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.by_type[unit_type] += 1

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def unit_upsert(
    *,
    code: str,
    name: str,
    unit_type: str,
    level: str,
    parent: Unit | None,
    kind: str = Kind.TERRITORIAL,
    source: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    gso_code: str | None = None,
) -> tuple[Unit, str]:
    """Create or update the unit whose identity is `code`; returns it and "created",
    "updated" or "unchanged". `gso_code` is the code as written (default: `code`).

    A unit lives within its parent's dates (a hamlet of a commune that ended on
    30/6/2025 ends then too), and counts in today's tree where its parent does
    (`successor_path`) until lineage of its own says otherwise. Moving a unit under
    another parent rewrites the paths of its whole subtree.
    """
    if parent is not None:
        starts = [d for d in (valid_from, parent.valid_from) if d]
        valid_from = max(starts) if starts else None
        ends = [d for d in (valid_to, parent.valid_to) if d]
        valid_to = min(ends) if ends else None
    wanted: dict[str, Any] = {
        "name": clean(name),
        "gso_code": gso_code if gso_code is not None else code,
        "type": unit_type,
        "level": level,
        "kind": kind,
        "parent_id": parent.pk if parent else None,
        "source": source,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        unit = Unit(code=code, **wanted)
        unit.parent = parent
        unit.path = unit.compute_path()
        unit.successor_path = parent.successor_path if parent else ""
        unit.save()
        return unit, "created"
    if all(getattr(unit, k) == v for k, v in wanted.items()):
        return unit, "unchanged"
    old_path = unit.path
    for k, v in wanted.items():
        setattr(unit, k, v)
    unit.parent = parent
    unit.path = unit.compute_path()
    unit.save()
    if unit.path != old_path:
        for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            child.path = unit.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    return unit, "updated"


HAMLET_COLUMNS = {
    "commune_code": ["Mã xã", "Ma xa", "commune_code", "Mã đơn vị hành chính cấp xã"],
    "name": ["Tên ấp/khu phố", "Ấp/Khu phố", "hamlet_name", "Tên"],
    "code": ["Mã ấp/khu phố", "Mã ấp", "hamlet_code", "Mã"],
}


def _hamlet_type(name: str, commune: Unit) -> str:
    folded = fold(name)
    if folded.startswith("khu pho"):
        return UnitType.QUARTER
    if folded.startswith("ap"):
        return UnitType.HAMLET
    return UnitType.QUARTER if commune.type == UnitType.WARD else UnitType.HAMLET


@transaction.atomic
def hamlets_import(
    path: Path, *, on: dt.date | None = None, acting_user: User | None = None
) -> LoadResult:
    """Import hamlets (ấp / khu phố) from a CSV of commune code, hamlet name, optional code.

    Commune codes are read as in force on `on` (default: today). All rows are
    checked before anything is written; any error raises TabularError naming
    the file, row and column, and the tree is left as it was. A hamlet without
    a code is matched by its commune and name (ignoring case and diacritics)
    and, when new, gets the code "<commune code>-<nn>".
    """
    day = on or clock.today()
    rows = list(read_csv(path, HAMLET_COLUMNS, required=["commune_code", "name"]))
    communes = units_at(
        {r.get("commune_code") for r in rows}, day, level=Level.COMMUNE, kind=Kind.TERRITORIAL
    )
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    seen_codes: dict[str, int] = {}
    for r in rows:
        commune_code, name, code = r.get("commune_code"), r.get("name"), r.get("code")
        if not commune_code:
            errors.append(RowError(path.name, r.number, "Mã xã", "", "thiếu mã xã"))
        elif commune_code not in communes:
            errors.append(
                RowError(
                    path.name,
                    r.number,
                    "Mã xã",
                    commune_code,
                    code_problem(commune_code, day, what="xã/phường/thị trấn", level=Level.COMMUNE),
                )
            )
        if not name:
            errors.append(
                RowError(path.name, r.number, "Tên ấp/khu phố", "", "thiếu tên ấp/khu phố")
            )
        key = (commune_code, fold(name))
        if name and key in seen:
            errors.append(
                RowError(path.name, r.number, "Tên ấp/khu phố", name, f"trùng với dòng {seen[key]}")
            )
        seen.setdefault(key, r.number)
        if code:
            if PATH_SEPARATOR in code or len(code) > 40:
                errors.append(
                    RowError(path.name, r.number, "Mã ấp/khu phố", code, "mã không hợp lệ")
                )
            if code in seen_codes:
                errors.append(
                    RowError(
                        path.name,
                        r.number,
                        "Mã ấp/khu phố",
                        code,
                        f"trùng mã với dòng {seen_codes[code]}",
                    )
                )
            seen_codes.setdefault(code, r.number)
            commune = communes.get(commune_code)
            identity = code + (commune.tree_suffix if commune else "")
            clash = Unit.objects.filter(code=identity).exclude(parent=commune).first()
            if clash:
                errors.append(
                    RowError(
                        path.name, r.number, "Mã ấp/khu phố", code, f"mã đã dùng cho “{clash}”"
                    )
                )
    if errors:
        raise TabularError(errors)

    result = LoadResult()
    with acting_as(acting_user, origin="command"):
        existing: dict[str, dict[str, Unit]] = {}
        for r in rows:
            commune = communes[r.get("commune_code")]
            known = existing.get(commune.code)
            if known is None:
                known = existing[commune.code] = {
                    fold(h.name): h for h in Unit.objects.filter(parent=commune, level=Level.HAMLET)
                }
            name = r.get("name")
            code = r.get("code") or (known[fold(name)].gso_code if fold(name) in known else "")
            if not code:
                code = _next_hamlet_code(commune, known)
            unit, outcome = unit_upsert(
                code=code + commune.tree_suffix,
                gso_code=code,
                name=name,
                unit_type=_hamlet_type(name, commune),
                level=Level.HAMLET,
                parent=commune,
                source=path.name,
            )
            known[fold(unit.name)] = unit
            result.add(outcome, unit.type)
        if result.created or result.updated:
            successor_paths_refresh()
            audit_event_record(
                AuditEvent.Type.HAMLETS_IMPORTED,
                user=acting_user,
                file=path.name,
                created=result.created,
                updated=result.updated,
            )
    return result


def _next_hamlet_code(commune: Unit, known: dict[str, Unit]) -> str:
    """The next free "<commune code>-<nn>" (as written; its identity adds the tree suffix)."""
    taken = {h.gso_code for h in known.values()}
    n = len(known) + 1
    while (
        f"{commune.gso_code}-{n:02d}" in taken
        or Unit.objects.filter(code=f"{commune.gso_code}-{n:02d}{commune.tree_suffix}").exists()
    ):
        n += 1
    return f"{commune.gso_code}-{n:02d}"


ORGANIZATION_COLUMNS = {
    "code": ["Mã đơn vị", "Mã tổ chức", "code"],
    "name": ["Tên đơn vị", "Tên tổ chức", "name"],
    "type": ["Loại", "type"],
    "level": ["Cấp", "level"],
    "parent_code": ["Mã đơn vị hành chính", "Trực thuộc địa bàn", "parent_code"],
}

_ORG_TYPES = {
    UnitType.DEPARTMENT,
    UnitType.MASS_ORGANIZATION,
    UnitType.PEOPLES_COMMITTEE,
    UnitType.POLICE,
    UnitType.SCHOOL,
    UnitType.INDUSTRIAL_ZONE,
    UnitType.ENTERPRISE,
    UnitType.OTHER_ORGANIZATION,
}
_LEVEL_WORDS = {
    "tinh": Level.PROVINCE,
    "province": Level.PROVINCE,
    "huyen": Level.DISTRICT,
    "district": Level.DISTRICT,
    "xa": Level.COMMUNE,
    "commune": Level.COMMUNE,
    "ap": Level.HAMLET,
    "hamlet": Level.HAMLET,
}


def _org_type(text: str) -> str | None:
    """An organization type from its code or its name in Vietnamese or English."""
    folded = fold(text)
    for t in _ORG_TYPES:
        names = {t.value}
        for language in ("vi", "en"):
            with translation.override(language):
                names.add(fold(str(t.label)))
        if folded in names:
            return t.value
    return None


@transaction.atomic
def organizations_import(
    path: Path, *, on: dt.date | None = None, acting_user: User | None = None
) -> LoadResult:
    """Import non-territorial organizations, each attached to a territorial unit and a level.

    Columns: code, name, type (e.g. "cong_an", "so_ban_nganh"), level
    (tỉnh / huyện / xã), and the code of the territorial unit it belongs to, read
    as in force on `on` (default: today). Validated whole before any write, like
    hamlets_import.
    """
    day = on or clock.today()
    rows = list(
        read_csv(
            path, ORGANIZATION_COLUMNS, required=["code", "name", "type", "level", "parent_code"]
        )
    )
    parents = units_at({r.get("parent_code") for r in rows}, day, kind=Kind.TERRITORIAL)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parsed = []
    for r in rows:
        code, name = r.get("code"), r.get("name")
        unit_type = _org_type(r.get("type"))
        level = _LEVEL_WORDS.get(fold(r.get("level")).replace("cap ", ""))
        parent = parents.get(r.get("parent_code"))
        if not code or PATH_SEPARATOR in code or len(code) > 40:
            errors.append(
                RowError(path.name, r.number, "Mã đơn vị", code, "mã trống hoặc không hợp lệ")
            )
        elif code in seen:
            errors.append(
                RowError(path.name, r.number, "Mã đơn vị", code, f"trùng với dòng {seen[code]}")
            )
        seen.setdefault(code, r.number)
        if not name:
            errors.append(RowError(path.name, r.number, "Tên đơn vị", "", "thiếu tên"))
        if unit_type is None:
            errors.append(
                RowError(path.name, r.number, "Loại", r.get("type"), "loại tổ chức không hợp lệ")
            )
        if level is None:
            errors.append(
                RowError(
                    path.name, r.number, "Cấp", r.get("level"), "cấp phải là tỉnh, huyện hoặc xã"
                )
            )
        if parent is None or parent.kind != Kind.TERRITORIAL:
            errors.append(
                RowError(
                    path.name,
                    r.number,
                    "Mã đơn vị hành chính",
                    r.get("parent_code"),
                    code_problem(r.get("parent_code"), day, what="đơn vị hành chính"),
                )
            )
        key = code + (parent.tree_suffix if parent else "")
        existing = Unit.objects.filter(code=key).first() if code else None
        if existing is not None and existing.kind != Kind.ORGANIZATION:
            errors.append(
                RowError(path.name, r.number, "Mã đơn vị", code, f"mã đã dùng cho “{existing}”")
            )
        parsed.append((code, name, unit_type, level, parent))
    if errors:
        raise TabularError(errors)

    result = LoadResult()
    with acting_as(acting_user, origin="command"):
        for code, name, unit_type, level, parent in parsed:
            _, outcome = unit_upsert(
                code=code + (parent.tree_suffix if parent else ""),
                gso_code=code,
                name=name,
                unit_type=unit_type,  # type: ignore[arg-type]
                level=level,  # type: ignore[arg-type]
                parent=parent,
                kind=Kind.ORGANIZATION,
                source=path.name,
            )
            result.add(outcome, unit_type)  # type: ignore[arg-type]
        if result.created or result.updated:
            successor_paths_refresh()
            audit_event_record(
                AuditEvent.Type.ORGANIZATIONS_IMPORTED,
                user=acting_user,
                file=path.name,
                created=result.created,
                updated=result.updated,
            )
    return result
