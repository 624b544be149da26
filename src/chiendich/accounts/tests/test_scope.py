"""The restrict mechanism: each user sees their units' subtrees and nothing else."""

from __future__ import annotations

import pytest

from chiendich.accounts.roles import PERMISSIONS, Action, Role
from chiendich.conftest import COMMUNE_A, COMMUNE_A2, COMMUNE_B
from chiendich.units.models import Level, Unit
from chiendich.units.services import unit_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(tien_giang: Unit) -> Unit:
    for commune in (COMMUNE_A, COMMUNE_A2, COMMUNE_B):
        parent = Unit.objects.get(code=commune)
        unit_upsert(
            code=f"{commune}-01", name="Ấp 1", unit_type="ap", level=Level.HAMLET, parent=parent
        )
        unit_upsert(
            code=f"{commune}-CA",
            name="Công an",
            unit_type="cong_an",
            level=Level.COMMUNE,
            parent=parent,
            kind="organization",
        )
    return tien_giang


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_commune_officer_sees_only_their_commune_subtree(tree, make_user) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    assert codes(Unit.objects.restrict(user)) == {COMMUNE_A, f"{COMMUNE_A}-01", f"{COMMUNE_A}-CA"}


def test_district_officer_sees_the_district_and_everything_under_it(tree, make_user) -> None:
    user = make_user(Role.DISTRICT_OFFICER, "815")
    visible = codes(Unit.objects.restrict(user))
    assert {"815", COMMUNE_A, COMMUNE_A2, f"{COMMUNE_A2}-01"} <= visible
    assert COMMUNE_B not in visible and "82" not in visible and "819" not in visible
    assert len(visible) == 1 + Unit.objects.get(code="815").children.count() + 4


def test_province_roles_see_the_whole_province(tree, make_user) -> None:
    for role in (Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.POLICE_PROVINCE):
        assert Unit.objects.restrict(make_user(role, "82")).count() == Unit.objects.count()


def test_a_user_with_several_units_sees_each_subtree(tree, make_user) -> None:
    user = make_user(Role.VOLUNTEER, f"{COMMUNE_A}-01", f"{COMMUNE_B}-01")
    assert codes(Unit.objects.restrict(user)) == {f"{COMMUNE_A}-01", f"{COMMUNE_B}-01"}


def test_prefix_of_a_code_is_not_a_subtree(tien_giang, make_user) -> None:
    """Path segments end with "/", so unit 28249 never covers a unit coded 282490."""
    commune = Unit.objects.get(code=COMMUNE_A)
    unit_upsert(
        code=f"{COMMUNE_A}0",
        name="Mã gần giống",
        unit_type="xa",
        level=Level.COMMUNE,
        parent=commune.parent,
    )
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    assert codes(Unit.objects.restrict(user)) == {COMMUNE_A}


def test_nobody_without_units_or_session_sees_anything(tree, make_user) -> None:
    from django.contrib.auth.models import AnonymousUser

    from chiendich.accounts.models import User

    assert not Unit.objects.restrict(AnonymousUser()).exists()
    assert not Unit.objects.restrict(None).exists()
    orphan = User.objects.create_user("orphan", password="x" * 12, role=Role.COMMUNE_OFFICER)
    assert not Unit.objects.restrict(orphan).exists()
    inactive = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    inactive.is_active = False
    assert not Unit.objects.restrict(inactive).exists()


def test_actions_follow_the_role(tree, make_user) -> None:
    viewer = make_user(Role.PROVINCE_VIEWER, "82")
    assert Unit.objects.restrict(viewer, Action.VIEW).exists()
    assert not Unit.objects.restrict(viewer, Action.CHANGE).exists()
    assert not Unit.objects.restrict(viewer, Action.VIEW_PERSONAL).exists()
    police = make_user(Role.POLICE_COMMUNE, COMMUNE_A)
    assert codes(Unit.objects.restrict(police, Action.VIEW_PERSONAL)) == codes(
        Unit.objects.restrict(police)
    )


def test_every_role_can_at_least_view() -> None:
    assert set(PERMISSIONS) == set(Role.values)
    assert all(Action.VIEW in actions for actions in PERMISSIONS.values())
