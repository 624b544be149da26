"""Reads behind the split-communes page (/don-vi/chia-tach/), and its one scoped write.

An old commune that the conversion table splits across several new ones counts
for the new province only, until an officer assigns each of its hamlets to one
of the new communes (lineage.hamlet_assign); records then follow their hamlet.
What no hamlet holds (citizens and households registered on the commune itself,
the commune desk's dossiers and aggregate forms) is listed here for an officer
to place, never guessed.

Who sees a split commune: whoever's scope holds it (restrict(): a user of
today's province sees the old communes that formed it), and the officers of a
new commune that received part of it, who need its hamlets to claim theirs.
Who writes an assignment: a role that records data (Action.CHANGE), volunteers
apart (they record visits, not the unit tree), whose units cover every new
commune the change touches, the hamlet's current one and the chosen one. So a
province officer assigns anywhere in the province; a commune officer claims an
unassigned hamlet for their commune or hands one back, never takes one from a
neighbour; a user still bound to a dissolved unit reads only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.http import Http404

from chiendich.accounts.roles import Action, Role
from chiendich.core.tabular import RowError, TabularError, read_csv
from chiendich.core.text import fold

from .lineage import ASSIGNMENT_COLUMNS, AssignmentResult, hamlet_assignments_import
from .models import Level, Lineage, Unit, UnitQuerySet
from .selectors import earlier_unit, split_ids

OUT_OF_SCOPE = "ngoài phạm vi các đơn vị của bạn"


def may_write(user: Any) -> bool:
    """Whether `user`'s role may assign hamlets and place records at all (scope aside)."""
    return bool(user.can(Action.CHANGE)) and (user.is_superuser or user.role != Role.VOLUNTEER)


def writable_units(user: Any, unit_ids: set[int]) -> set[int]:
    """Those of `unit_ids` the user may write in."""
    if not unit_ids or not may_write(user):
        return set()
    return set(
        Unit.objects.restrict(user, Action.CHANGE)
        .filter(pk__in=unit_ids)
        .values_list("pk", flat=True)
    )


def split_communes_for(user: Any) -> UnitQuerySet:
    """The split communes `user` may open: in their scope, or shared with a new commune
    of their scope."""
    split = split_ids()
    successors = dict(
        Lineage.objects.filter(source=Lineage.Source.GSO, predecessor_id__in=split).values_list(
            "successor_id", "predecessor_id"
        )
    )
    pairs = Lineage.objects.filter(source=Lineage.Source.GSO, predecessor_id__in=split).values_list(
        "predecessor_id", "successor_id"
    )
    visible = set(
        Unit.objects.restrict(user)
        .filter(pk__in=[*split, *successors])
        .values_list("pk", flat=True)
    )
    allowed = {p for p in split if p in visible} | {p for p, s in pairs if s in visible}
    return Unit.objects.filter(pk__in=sorted(allowed)).order_by("path")


def split_commune_get(user: Any, code: str) -> Unit:
    """One split commune `user` may open; 404 for any other code, exactly like a missing one."""
    commune = split_communes_for(user).filter(code=code).first()
    if commune is None:
        raise Http404
    return commune


def split_communes_of(unit: Unit) -> UnitQuerySet:
    """Split communes related to `unit`: inside it (an old province or district), counting
    under it (today's province), or sending part of themselves to it (a new commune).
    The unit pages ask it on every view: a literal list of the few split ids, no
    nested subqueries."""
    split = split_ids()
    if not split:
        return Unit.objects.none()
    sending = Lineage.objects.filter(
        source=Lineage.Source.GSO, successor=unit, predecessor_id__in=split
    ).values_list("predecessor_id", flat=True)
    return (
        Unit.objects.filter(pk__in=split)
        .filter(
            Q(path__startswith=unit.path)
            | Q(successor_path__startswith=unit.path)
            | Q(pk__in=list(sending))
        )
        .order_by("path")
    )


@dataclass
class HamletRow:
    """A hamlet of a split commune, where it is assigned, by whom, and whether `user` may
    change that."""

    hamlet: Unit
    assigned: Unit | None = None
    assigned_by: Any = None
    assigned_at: dt.datetime | None = None
    writable: bool = False


@dataclass
class SplitCommune:
    """A split commune as the page shows it to one user."""

    commune: Unit
    candidates: list[Unit]
    writable: list[Unit]  # the candidates the user may assign hamlets to
    hamlets: list[HamletRow] = field(default_factory=list)
    in_scope: bool = False  # the commune itself is in the user's scope (its records too)
    without_hamlet: int = 0  # citizens on the commune itself that the user may see

    @property
    def assigned(self) -> int:
        return sum(1 for h in self.hamlets if h.assigned is not None)

    @property
    def total(self) -> int:
        return len(self.hamlets)

    @property
    def share(self) -> int:
        """Percent of hamlets assigned, for the progress bar."""
        return round(self.assigned * 100 / self.total) if self.hamlets else 0


def split_rows(user: Any, communes: list[Unit]) -> list[SplitCommune]:
    """Candidates, hamlets and their assignments of `communes`, in five queries."""
    from chiendich.vneid.models import Citizen

    ids = [c.pk for c in communes]
    candidates: dict[int, list[Unit]] = {pk: [] for pk in ids}
    for link in (
        Lineage.objects.filter(predecessor_id__in=ids, source=Lineage.Source.GSO)
        .select_related("successor")
        .order_by("successor__gso_code")
    ):
        candidates[link.predecessor_id].append(link.successor)
    writable = writable_units(user, {u.pk for units in candidates.values() for u in units})
    hamlets = list(
        Unit.objects.filter(parent_id__in=ids, level=Level.HAMLET).order_by("parent_id", "path")
    )
    assigned = {
        link.predecessor_id: link
        for link in Lineage.objects.filter(
            predecessor__in=hamlets, source=Lineage.Source.ASSIGNED
        ).select_related("successor", "assigned_by")
    }
    in_scope = set(Unit.objects.restrict(user).filter(pk__in=ids).values_list("pk", flat=True))
    loose = dict(
        Citizen.objects.restrict(user)
        .filter(unit_id__in=ids)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = {
        c.pk: SplitCommune(
            commune=c,
            candidates=candidates[c.pk],
            writable=[u for u in candidates[c.pk] if u.pk in writable],
            in_scope=c.pk in in_scope,
            without_hamlet=loose.get(c.pk, 0),
        )
        for c in communes
    }
    for hamlet in hamlets:
        made = assigned.get(hamlet.pk)
        row = rows[hamlet.parent_id]  # type: ignore[index]
        row.hamlets.append(
            HamletRow(
                hamlet=hamlet,
                assigned=made.successor if made else None,
                assigned_by=made.assigned_by if made else None,
                assigned_at=made.assigned_at if made else None,
                writable=bool(row.writable) and (made is None or made.successor_id in writable),
            )
        )
    return [rows[pk] for pk in ids]


def may_assign(user: Any, hamlet: Unit, commune: Unit | None) -> bool:
    """Whether `user` may move `hamlet` from its current new commune to `commune` (None:
    back to unassigned): every new commune touched must lie in their units."""
    current = (
        Lineage.objects.filter(predecessor=hamlet, source=Lineage.Source.ASSIGNED)
        .values_list("successor_id", flat=True)
        .first()
    )
    touched = {pk for pk in (current, commune.pk if commune else None) if pk is not None}
    if not may_write(user):
        return False
    if not touched:  # unassigned stays unassigned: nothing to guard, nothing to write
        return True
    return writable_units(user, touched) == touched


# --- the CSV of many assignments ---------------------------------------------------------

TEMPLATE_HEADER = ["Mã xã cũ", "Tên xã cũ", "Ấp/Khu phố", "Mã xã mới", "Xã mới được chọn"]


def assignments_template_csv(rows: list[SplitCommune]) -> str:
    """The CSV an officer fills in: one row per hamlet of the split communes shown, with the
    current assignment and the new communes to choose from; only "Mã xã mới" to fill."""
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 Vietnamese text only with a BOM
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADER)
    for row in rows:
        choices = "; ".join(f"{c.gso_code} {c.name}" for c in row.candidates)
        for h in row.hamlets:
            writer.writerow(
                [
                    row.commune.gso_code,
                    row.commune.name,
                    h.hamlet.name,
                    h.assigned.gso_code if h.assigned else "",
                    choices,
                ]
            )
    return out.getvalue()


def _assignments() -> dict[int, int]:
    return dict(
        Lineage.objects.filter(source=Lineage.Source.ASSIGNED).values_list(
            "predecessor_id", "successor_id"
        )
    )


def _rows_of(path: Path, hamlets: list[Unit]) -> dict[int, int]:
    """The file row that names each of `hamlets` (read the way the import reads it)."""
    found: dict[int, int] = {}
    for r in read_csv(path, ASSIGNMENT_COLUMNS, required=["old_commune", "hamlet", "new_commune"]):
        old = earlier_unit(r.get("old_commune"), level=Level.COMMUNE)
        text = r.get("hamlet")
        for h in hamlets:
            named = text in (h.gso_code, h.code) or fold(h.name) == fold(text)
            if old is not None and h.parent_id == old.pk and h.pk not in found and named:
                found[h.pk] = r.number
    return found


@transaction.atomic
def assignments_upload(path: Path, *, user: Any) -> AssignmentResult:
    """`hamlet_assignments_import` on behalf of `user`, refused whole when a row changes a
    hamlet outside their units (NetBox's bulk import: write, check permission, roll back).

    The import itself checks every row first and names each bad one; the scope check
    runs on what it actually changed, so it judges the import's own reading of the file.
    """
    before = _assignments()
    result = hamlet_assignments_import(path, acting_user=user)
    after = _assignments()
    changed = [pk for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk)]
    if not changed:
        return result
    touched = {after[pk] for pk in changed if pk in after} | {
        before[pk] for pk in changed if pk in before
    }
    allowed = writable_units(user, touched)
    hamlets = list(Unit.objects.filter(pk__in=changed))
    refused = [
        h
        for h in hamlets
        if after.get(h.pk) not in allowed | {None} or before.get(h.pk) not in allowed | {None}
    ]
    if not refused:
        return result
    rows = _rows_of(path, refused)
    names = dict(Unit.objects.filter(pk__in=touched).values_list("pk", "name"))
    errors = []
    for h in refused:
        new, old = after.get(h.pk), before.get(h.pk)
        if new is not None and new not in allowed:
            errors.append(
                RowError(path.name, rows.get(h.pk, 0), "Mã xã mới", names[new], OUT_OF_SCOPE)
            )
        else:
            errors.append(
                RowError(
                    path.name,
                    rows.get(h.pk, 0),
                    "Ấp/Khu phố",
                    h.name,
                    f"đã gán cho {names[old]}, {OUT_OF_SCOPE}",  # type: ignore[index]
                )
            )
    raise TabularError(sorted(errors, key=lambda e: e.row))


# --- records without a hamlet -----------------------------------------------------------


@dataclass
class Unplaced:
    """What a split commune holds on itself, with no hamlet to follow (as `user` may see it)."""

    citizens: Any  # Citizen queryset, annotated with `event_count`
    households: Any  # Household queryset, annotated with `member_count`
    dossiers: int = 0
    dossiers_from: dt.date | None = None
    dossiers_to: dt.date | None = None
    forms: list[Any] = field(default_factory=list)
    can_place: bool = False


def records_without_hamlet(user: Any, commune: Unit) -> Unplaced:
    """Citizens and households recorded on `commune` itself, and the commune desk's
    dossiers and aggregate forms, inside `user`'s scope."""
    from chiendich.procedures.models import AggregateForm, Dossier
    from chiendich.vneid.models import Citizen, Household

    dossiers = (
        Dossier.objects.restrict(user)
        .filter(unit=commune)
        .aggregate(n=Count("id"), first=Min("received_on"), last=Max("received_on"))
    )
    return Unplaced(
        citizens=Citizen.objects.restrict(user)
        .filter(unit=commune)
        .select_related("household")
        .annotate(event_count=Count("events"))
        .order_by("full_name", "pk"),
        households=Household.objects.restrict(user)
        .filter(unit=commune)
        .annotate(member_count=Count("members"))
        .order_by("code"),
        dossiers=dossiers["n"],
        dossiers_from=dossiers["first"],
        dossiers_to=dossiers["last"],
        forms=list(AggregateForm.objects.restrict(user).filter(unit=commune).order_by("data_from")),
        can_place=bool(writable_units(user, {commune.pk})),
    )
