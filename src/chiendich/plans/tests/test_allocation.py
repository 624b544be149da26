"""Splitting 903.203 accounts down the tree: exact sums, proportions, overrides."""

from __future__ import annotations

import pytest

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.accounts.roles import Role
from chiendich.plans.allocation import (
    AllocationError,
    largest_remainder,
    target_override,
    targets_allocate,
)
from chiendich.plans.models import TargetAllocation
from chiendich.units.models import Kind, Level, Unit
from chiendich.vneid.progress import vneid_target

pytestmark = pytest.mark.django_db


def test_largest_remainder_sums_exactly_and_is_proportional() -> None:
    assert largest_remainder(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(100, {"a": 2, "b": 1}) == {"a": 67, "b": 33}
    assert largest_remainder(0, {"a": 5}) == {"a": 0}
    assert largest_remainder(7, {"a": 0, "b": 0}) == {"a": 4, "b": 3}  # no basis: even
    shares = largest_remainder(903_203, {i: (i * 7919) % 1000 + 1 for i in range(164)})
    assert sum(shares.values()) == 903_203
    with pytest.raises(AllocationError):
        largest_remainder(-1, {"a": 1})


def basis_by_code(code: str) -> int:
    """A deterministic fake basis: communes weigh by their code, parents sum their children."""
    unit = Unit.objects.get(code=code)
    if unit.level == Level.COMMUNE:
        return int(code) % 97 + 50
    return sum(
        basis_by_code(c.code)
        for c in unit.children.filter(
            kind=Kind.TERRITORIAL, level__in=[Level.DISTRICT, Level.COMMUNE]
        )
    )


@pytest.fixture
def target(plan_383):
    return vneid_target(plan_383)


def check_sums(target) -> None:
    values = {a.unit_id: a.value for a in TargetAllocation.objects.filter(target=target)}
    for unit in Unit.objects.filter(pk__in=values, level__in=[Level.PROVINCE, Level.DISTRICT]):
        children = [c.pk for c in unit.children.filter(kind=Kind.TERRITORIAL)]
        assert sum(values[c] for c in children) == values[unit.pk], unit.code


def test_allocation_sums_exactly_at_every_level_and_a_rerun_changes_nothing(target) -> None:
    cache: dict[str, int] = {}
    basis = lambda u: cache.setdefault(u.code, basis_by_code(u.code))  # noqa: E731
    result = targets_allocate(target, basis)
    assert result.created == 1 + 11 + 164
    assert TargetAllocation.objects.get(target=target, unit__code="82").value == 903_203
    check_sums(target)
    # Proportional: the district with the largest basis gets the largest share.
    districts = TargetAllocation.objects.filter(target=target, unit__level=Level.DISTRICT)
    assert max(districts, key=lambda a: a.basis).value == max(a.value for a in districts)
    changes = ObjectChange.objects.count()
    again = targets_allocate(target, basis)
    assert (again.created, again.updated) == (0, 0) and ObjectChange.objects.count() == changes


def test_an_override_rebalances_the_siblings_and_is_audited(target, make_user) -> None:
    cache: dict[str, int] = {}
    basis = lambda u: cache.setdefault(u.code, basis_by_code(u.code))  # noqa: E731
    targets_allocate(target, basis)
    police = make_user(Role.POLICE_PROVINCE, "82")
    cho_gao = Unit.objects.get(code="822")
    before = {
        a.unit.code: a.value
        for a in TargetAllocation.objects.filter(target=target, unit__level=Level.DISTRICT)
    }
    target_override(
        target, cho_gao, before["822"] + 5_000, basis, acting_user=police, note="Huyện xin tăng"
    )

    after = {
        a.unit.code: a.value
        for a in TargetAllocation.objects.filter(target=target, unit__level=Level.DISTRICT)
    }
    assert after["822"] == before["822"] + 5_000
    assert sum(after.values()) == 903_203
    assert all(after[c] <= before[c] for c in after if c != "822")
    check_sums(target)
    event = AuditEvent.objects.get(type=AuditEvent.Type.TARGET_OVERRIDDEN)
    assert event.user == police and event.detail["after"]["value"] == before["822"] + 5_000
    # A re-allocation keeps the override.
    targets_allocate(target, basis)
    assert TargetAllocation.objects.get(target=target, unit=cho_gao).value == before["822"] + 5_000
    # Back to proportional.
    target_override(target, cho_gao, None, basis, acting_user=police)
    assert TargetAllocation.objects.get(target=target, unit=cho_gao).value == before["822"]


def test_an_override_larger_than_the_parent_is_refused_and_changes_nothing(
    target, make_user
) -> None:
    basis = lambda u: 1  # noqa: E731
    targets_allocate(target, basis)
    snapshot = list(TargetAllocation.objects.values_list("unit_id", "value", "is_override"))
    with pytest.raises(AllocationError, match="Huyện Chợ Gạo"):
        target_override(target, Unit.objects.get(code="822"), 2_000_000, basis, acting_user=None)
    assert list(TargetAllocation.objects.values_list("unit_id", "value", "is_override")) == snapshot


def test_a_province_without_districts_allocates_straight_to_communes(target) -> None:
    """Since 1/7/2025 communes sit under the province: nothing assumes a district level."""
    from chiendich.units.services import unit_upsert

    province = Unit.objects.get(code="82")
    for district in Unit.objects.filter(level=Level.DISTRICT):
        for commune in list(district.children.filter(kind=Kind.TERRITORIAL)):
            unit_upsert(
                code=commune.code,
                name=commune.name,
                unit_type=commune.type,
                level=commune.level,
                parent=province,
                source=commune.source,
            )
    Unit.objects.filter(level=Level.DISTRICT).delete()
    targets_allocate(target, lambda u: 1)
    communes = TargetAllocation.objects.filter(target=target, unit__level=Level.COMMUNE)
    assert communes.count() == 164 and sum(a.value for a in communes) == 903_203
