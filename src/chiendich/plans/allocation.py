"""Splitting a count target down the unit tree (Plan 383 II.1.a, V.2.b).

The province's floor (903,203 activated accounts for Tiền Giang) goes to the
district-level units and then to the communes, in proportion to eligible
citizens, as whole numbers that add up exactly to the parent (the largest
remainder method). An officer may fix any unit's value; its siblings then
share what is left, again in proportion. The tree depth is not assumed:
allocation walks territorial children down to commune level, so a province
with no district level (since 1/7/2025) allocates straight to communes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core.numbers import vn_number
from chiendich.units.models import Kind, Level, Unit

from .models import Measure, Target, TargetAllocation

K = TypeVar("K", bound=Hashable)

# Allocation stops at communes: hamlets get no target of their own.
ALLOCATED_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)


class AllocationError(ValueError):
    """Overrides that cannot be honoured (they exceed their parent's value)."""


def largest_remainder[K: Hashable](
    total: int, weights: Mapping[K, int], order: list[K] | None = None
) -> dict[K, int]:
    """Split `total` into integers proportional to `weights` that sum exactly to `total`.

    Each key gets the floor of its quota; the units left over go one each to the
    keys with the largest remainders (ties: the earlier key in `order`). With
    all weights zero the split is even.
    """
    if total < 0:
        raise AllocationError("không chia được một số âm")
    keys = order if order is not None else list(weights)
    if not keys:
        if total:
            raise AllocationError("không có đơn vị nào để chia")
        return {}
    w = {k: max(int(weights.get(k, 0)), 0) for k in keys}
    weight_sum = sum(w.values())
    if weight_sum == 0:
        w = dict.fromkeys(keys, 1)
        weight_sum = len(keys)
    shares = {k: total * w[k] // weight_sum for k in keys}
    rank = {k: i for i, k in enumerate(keys)}
    left = total - sum(shares.values())
    by_remainder = sorted(keys, key=lambda k: (-(total * w[k] % weight_sum), rank[k]))
    for k in by_remainder[:left]:
        shares[k] += 1
    return shares


@dataclass
class AllocationResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _children(unit: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(
            parent=unit, kind=Kind.TERRITORIAL, level__in=ALLOCATED_LEVELS
        ).order_by("code")
    )


@transaction.atomic
def targets_allocate(
    target: Target,
    basis: Callable[[Unit], int],
    *,
    acting_user: User | None = None,
) -> AllocationResult:
    """(Re)allocate `target` over its plan's province, keeping officers' overrides.

    `basis(unit)` gives the weight of a unit (its eligible citizens). Values that
    do not change are not rewritten, so a second run changes nothing.
    """
    if target.measure != Measure.COUNT:
        raise AllocationError(f"chỉ tiêu {target.key} không phải là số lượng")
    existing = {a.unit_id: a for a in TargetAllocation.objects.filter(target=target)}
    result = AllocationResult()
    province = target.plan.province
    root = existing.get(province.pk)
    root_value = root.value if root is not None and root.is_override else int(target.value)

    with acting_as(acting_user, origin="command"):
        queue = [(province, root_value)]
        while queue:
            unit, value = queue.pop(0)
            _store(target, unit, value, basis(unit), existing, result)
            children = _children(unit)
            if not children:
                continue
            fixed = {
                c.pk: existing[c.pk].value
                for c in children
                if c.pk in existing and existing[c.pk].is_override
            }
            free = [c for c in children if c.pk not in fixed]
            rest = value - sum(fixed.values())
            if rest < 0 or (not free and rest != 0):
                names = ", ".join(c.name for c in children if c.pk in fixed)
                raise AllocationError(
                    f"Chỉ tiêu giao tay cho {names} (cộng {vn_number(sum(fixed.values()))}) "
                    f"{'vượt' if rest < 0 else 'khác'} chỉ tiêu của {unit.name} ({vn_number(value)})"
                )
            shares = largest_remainder(rest, {c.pk: basis(c) for c in free}, [c.pk for c in free])
            queue.extend((c, fixed.get(c.pk, shares.get(c.pk, 0))) for c in children)
        if result.created or result.updated:
            audit_event_record(
                AuditEvent.Type.TARGETS_ALLOCATED,
                user=acting_user,
                unit=province,
                target=target.key,
                created=result.created,
                updated=result.updated,
            )
    return result


def _store(
    target: Target,
    unit: Unit,
    value: int,
    basis: int,
    existing: dict[int, TargetAllocation],
    result: AllocationResult,
) -> None:
    row = existing.get(unit.pk)
    if row is None:
        existing[unit.pk] = TargetAllocation.objects.create(
            target=target, unit=unit, value=value, basis=basis
        )
        result.created += 1
    elif (row.value, row.basis) != (value, basis):
        row.value, row.basis = value, basis
        row.save(update_fields=["value", "basis"])
        result.updated += 1
    else:
        result.unchanged += 1


@transaction.atomic
def target_override(
    target: Target,
    unit: Unit,
    value: int | None,
    basis: Callable[[Unit], int],
    *,
    acting_user: User | None,
    note: str = "",
) -> AllocationResult:
    """Fix `unit`'s share of `target` at `value` (None: back to proportional), then
    re-balance its siblings so every level still sums to its parent. Audited."""
    row, _ = TargetAllocation.objects.get_or_create(
        target=target, unit=unit, defaults={"value": value or 0, "basis": basis(unit)}
    )
    before = (row.value, row.is_override)
    with acting_as(acting_user, origin="web"):
        row.is_override = value is not None
        if value is not None:
            row.value = value
        row.note = note[:300]
        row.save()
        result = targets_allocate(target, basis, acting_user=acting_user)
    row.refresh_from_db()
    audit_event_record(
        AuditEvent.Type.TARGET_OVERRIDDEN,
        user=acting_user,
        unit=unit,
        obj=row,
        target=target.key,
        before={"value": before[0], "override": before[1]},
        after={"value": row.value, "override": row.is_override},
        note=note[:300],
    )
    return result
