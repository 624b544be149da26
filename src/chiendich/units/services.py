"""Writes to the unit tree: one unit created or updated through the change log
(`unit_upsert`), and the hamlets' and organizations' imports as functions (their kinds
of the import pipeline are in importing.py; GSO loads: loading.py).

Every loader is idempotent (a second run with the same input writes nothing) and
atomic (a bad row means nothing is written), and records one AuditEvent when it
changed something.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chiendich.accounts.models import User
from chiendich.core.tabular import TabularError
from chiendich.core.text import clean

from .models import Kind, Unit


class Outcomes:
    """Units counted by outcome ("created", "updated", "unchanged") and by type: the
    counting of a load's result and of an import's report (their dataclass fields)."""

    created: int
    updated: int
    unchanged: int
    by_type: Counter[str]

    def add(self, outcome: str, unit_type: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.by_type[unit_type] += 1

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class LoadResult(Outcomes):
    """What a load or import did, by outcome."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    lineage: int = 0  # lineage rows written (GSO loads)


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
    write: bool = True,
) -> tuple[Unit, str]:
    """Create or update the unit whose identity is `code`; returns it and "created",
    "updated" or "unchanged". `gso_code` is the code as written (default: `code`).
    Without `write`, only works the outcome out (a dry run): the unit returned is the
    stored one, or a new one not saved.

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
        if write:
            unit.save()
        return unit, "created"
    if all(getattr(unit, k) == v for k, v in wanted.items()):
        return unit, "unchanged"
    if not write:
        return unit, "updated"
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


def hamlets_import(
    path: Path, *, on: dt.date | None = None, acting_user: User | None = None
) -> LoadResult:
    """Import hamlets (ấp / khu phố) from a CSV or XLSX of commune code, hamlet name and
    optional code: the import pipeline's kind `hamlets` (units/importing.py), with the
    commune codes read as in force on `on` (an earlier tree's code mapped to the unit it
    became; default: today, no mapping).

    Written whole or not at all: any bad row raises TabularError naming the file, row
    and column (the error file beside `path` lists them all), and the tree is left as it
    was. A hamlet without a code is matched by its commune and name (ignoring case and
    diacritics) and, when new, gets the code "<commune code>-<nn>".
    """
    from .importing import hamlets_service

    return _load_result(hamlets_service(path, acting_user=acting_user, tree=on))


def organizations_import(
    path: Path, *, on: dt.date | None = None, acting_user: User | None = None
) -> LoadResult:
    """Import non-territorial organizations, each attached to a territorial unit and a
    level: the import pipeline's kind `organizations` (units/importing.py). Columns:
    code, name, type (e.g. "cong_an", "so_ban_nganh", or its name), level (tỉnh / huyện
    / xã), and the code of the territorial unit it belongs to, read as in force on `on`
    (default: today). Whole or nothing, like hamlets_import."""
    from .importing import organizations_service

    return _load_result(organizations_service(path, acting_user=acting_user, tree=on))


def _load_result(report: Any) -> LoadResult:
    """A pipeline report as a LoadResult; a file refused for its errors raises them."""
    if report.refused_whole:
        raise TabularError(report.errors)
    return LoadResult(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        by_type=Counter(report.by_type),
    )
