"""Writes of lineage: where each unit of an earlier tree counts in today's tree.

`successor_paths_refresh` turns the lineage rows into `Unit.successor_path`:
a unit with one successor counts under it (following chains, should a later
reform come); a unit with several (a commune split across new ones) counts
only under the smallest unit holding all of them (the new province), so its
records are never given to one new commune by guess; a unit without lineage
of its own (a hamlet, an organization, a district) counts where its parent
does. A hamlet of a split commune gets its own successor when an officer
assigns it (`hamlet_assign`, or a CSV through `hamlet_assignments_import`),
and its records follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.tabular import RowError, TabularError, read_csv
from chiendich.core.text import fold

from .models import PATH_SEPARATOR, Level, Lineage, Unit


def _common_path(paths: list[str]) -> str:
    """The longest run of whole path segments every path starts with."""
    parts = [p.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR) for p in paths]
    common: list[str] = []
    for segment in zip(*parts, strict=False):
        if len(set(segment)) != 1:
            break
        common.append(segment[0])
    return "".join(s + PATH_SEPARATOR for s in common)


def successor_paths_refresh() -> int:
    """Recompute every unit's `successor_path` from the lineage rows; returns rows changed.

    Reads (id, parent, path) of all units once: a few hundred milliseconds for the
    whole country with its hamlets.
    """
    links: dict[int, list[int]] = {}
    for predecessor, successor in Lineage.objects.values_list("predecessor_id", "successor_id"):
        links.setdefault(predecessor, []).append(successor)
    if not links:
        stale = Unit.objects.exclude(successor_path="")
        return stale.update(successor_path="")
    rows = {
        pk: (parent, path, successor_path)
        for pk, parent, path, successor_path in Unit.objects.values_list(
            "pk", "parent_id", "path", "successor_path"
        )
    }
    memo: dict[int, str] = {}

    def final(pk: int) -> str:
        """Where `pk`'s records count in today's tree ("" for a unit of today's tree)."""
        if pk in memo:
            return memo[pk]
        memo[pk] = ""  # a cycle in hand-made lineage must not recurse forever
        successors = links.get(pk)
        if successors:
            targets = [final(s) or rows[s][1] for s in successors if s in rows]
            found = targets[0] if len(targets) == 1 else _common_path(targets)
        else:
            parent = rows[pk][0]
            found = final(parent) if parent is not None else ""
        memo[pk] = found
        return found

    changed = [(final(pk), pk) for pk, (_, _, current) in rows.items() if final(pk) != current]
    if changed:
        # One prepared statement stepped per row: Django's bulk_update builds a CASE per
        # row and spends seconds on the country's 14,000 units.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Unit._meta.db_table} SET successor_path = %s WHERE id = %s",  # noqa: S608
                changed,
            )
    return len(changed)


def split_successors(commune: Unit) -> list[Unit]:
    """The new communes a split commune went to (empty when it is not split)."""
    successors = list(
        Unit.objects.filter(
            predecessor_links__predecessor=commune,
            predecessor_links__source=Lineage.Source.GSO,
        ).order_by("gso_code")
    )
    return successors if len(successors) > 1 else []


class AssignmentError(ValueError):
    """A hamlet that cannot be assigned to that commune."""


@transaction.atomic
def hamlet_assign(
    hamlet: Unit, commune: Unit | None, *, acting_user: User | None, refresh: bool = True
) -> bool:
    """Put `hamlet` (of a split commune) under `commune`, one of its commune's successors;
    None takes the assignment back. Its records then count for that commune. Audited;
    returns whether anything changed."""
    old_commune = hamlet.parent
    if hamlet.level != Level.HAMLET or old_commune is None:
        raise AssignmentError(f"{hamlet} không phải là ấp/khu phố")
    candidates = split_successors(old_commune)
    if not candidates:
        raise AssignmentError(f"{old_commune} không bị chia cho nhiều xã mới: ấp đi theo xã")
    if commune is not None and commune.pk not in {c.pk for c in candidates}:
        names = ", ".join(f"{c.name} ({c.gso_code})" for c in candidates)
        raise AssignmentError(f"{commune} không nhận phần nào của {old_commune}; chọn: {names}")
    current = Lineage.objects.filter(predecessor=hamlet, source=Lineage.Source.ASSIGNED).first()
    before = current.successor_id if current else None
    if before == (commune.pk if commune else None):
        return False
    if current is not None:
        current.delete()
    if commune is not None:
        Lineage.objects.create(
            predecessor=hamlet,
            successor=commune,
            source=Lineage.Source.ASSIGNED,
            assigned_by=acting_user if acting_user and acting_user.pk else None,
        )
    if refresh:
        successor_paths_refresh()
    audit_event_record(
        AuditEvent.Type.HAMLET_ASSIGNED,
        user=acting_user,
        unit=commune or old_commune,
        hamlet=hamlet.code,
        old_commune=old_commune.code,
        before=(
            Unit.objects.filter(pk=before).values_list("code", flat=True).first()
            if before
            else None
        ),
        after=commune.code if commune else None,
    )
    return True


ASSIGNMENT_COLUMNS = {
    "old_commune": ["Mã xã cũ", "Ma xa cu", "old_commune_code"],
    "hamlet": ["Ấp/Khu phố", "Tên ấp/khu phố", "Mã ấp/khu phố", "hamlet"],
    "new_commune": ["Mã xã mới", "Ma xa moi", "new_commune_code"],
}


@dataclass
class AssignmentResult:
    assigned: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows whose new commune was left blank


@transaction.atomic
def hamlet_assignments_import(path: Path, *, acting_user: User | None = None) -> AssignmentResult:
    """Assign hamlets of split communes from a CSV: old commune code, hamlet (name or
    code), new commune code (a row left blank there is skipped, for later). Every row
    is checked first; any problem refuses the whole file, naming its row and column."""
    from .selectors import earlier_unit

    rows = list(
        read_csv(path, ASSIGNMENT_COLUMNS, required=["old_commune", "hamlet", "new_commune"])
    )
    errors: list[RowError] = []
    plan: list[tuple[Unit, Unit]] = []
    result_skipped = 0
    seen: dict[int, int] = {}
    for r in rows:
        old_code, hamlet_text, new_code = (
            r.get("old_commune"),
            r.get("hamlet"),
            r.get("new_commune"),
        )
        if not new_code:
            result_skipped += 1  # a row left blank in the template: for later
            continue
        old = earlier_unit(old_code, level=Level.COMMUNE)
        if old is None:
            errors.append(
                RowError(path.name, r.number, "Mã xã cũ", old_code, "không có xã cũ mã này")
            )
            continue
        candidates = split_successors(old)
        if not candidates:
            errors.append(
                RowError(
                    path.name,
                    r.number,
                    "Mã xã cũ",
                    old_code,
                    f"{old} không bị chia cho nhiều xã mới: các ấp đi theo xã, không cần gán",
                )
            )
            continue
        hamlets = list(Unit.objects.filter(parent=old, level=Level.HAMLET))
        hamlet = next((h for h in hamlets if hamlet_text in (h.gso_code, h.code)), None) or next(
            (h for h in hamlets if fold(h.name) == fold(hamlet_text)), None
        )
        if hamlet is None:
            errors.append(
                RowError(
                    path.name, r.number, "Ấp/Khu phố", hamlet_text, f"{old} không có ấp/khu phố này"
                )
            )
        new = next((c for c in candidates if new_code in (c.gso_code, c.code)), None)
        if new is None:
            names = ", ".join(f"{c.gso_code} {c.name}" for c in candidates)
            errors.append(
                RowError(
                    path.name,
                    r.number,
                    "Mã xã mới",
                    new_code,
                    f"không phải xã mới nhận phần của {old}; chọn một trong: {names}",
                )
            )
            continue
        if hamlet is not None:
            if hamlet.pk in seen:
                errors.append(
                    RowError(
                        path.name,
                        r.number,
                        "Ấp/Khu phố",
                        hamlet_text,
                        f"trùng với dòng {seen[hamlet.pk]}",
                    )
                )
            seen.setdefault(hamlet.pk, r.number)
            plan.append((hamlet, new))
    if errors:
        raise TabularError(errors)
    result = AssignmentResult(skipped=result_skipped)
    for hamlet, new in plan:
        if hamlet_assign(hamlet, new, acting_user=acting_user, refresh=False):
            result.assigned += 1
        else:
            result.unchanged += 1
    if result.assigned:
        successor_paths_refresh()
    return result
