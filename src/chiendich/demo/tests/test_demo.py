"""The default demo build (Plan 383's 2023 replay): deterministic, idempotent, one
signed-in user per role, with today's tree loaded beside the 2023 one."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from chiendich.accounts.models import ObjectChange, User
from chiendich.accounts.roles import Role
from chiendich.demo.tree import hamlet_names
from chiendich.units.models import Kind, Level, Unit, UnitType

pytestmark = pytest.mark.django_db(transaction=False)
DEMO_PASSWORD = "tiengiang-383"  # printed for the demo users on purpose


@pytest.fixture
def demo(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def test_demo_builds_the_province_hamlets_organizations_plan_and_users(demo) -> None:
    assert "tiengiang-383" in demo and "xa.trunghoa" in demo
    tien_giang = Unit.objects.get(code="82")
    assert Unit.objects.subtree(tien_giang).territorial().filter(level=Level.COMMUNE).count() == 164
    # Today's tree is there too, with its lineage: the new Đồng Tháp and its 102 communes.
    dong_thap = Unit.objects.get(code="82.2025")
    assert Unit.objects.subtree(dong_thap).filter(level=Level.COMMUNE).count() == 102
    assert Unit.objects.get(code="28597").successor_path.startswith("82.2025/")
    per_commune = Counter(
        Unit.objects.filter(level=Level.HAMLET).values_list("parent__code", flat=True)
    )
    assert len(per_commune) == 164
    assert all(5 <= n <= 12 for n in per_commune.values())
    wards = Unit.objects.filter(level=Level.HAMLET, parent__type=UnitType.WARD)
    assert all(u.name.startswith("Khu phố ") for u in wards)
    communes = Unit.objects.filter(level=Level.HAMLET, parent__type=UnitType.COMMUNE)
    assert all(u.name.startswith("Ấp ") for u in communes)
    assert (
        Unit.objects.filter(
            kind=Kind.ORGANIZATION, type=UnitType.POLICE, level=Level.COMMUNE
        ).count()
        == 164
    )
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    # The province's administrator and chairman see 2023 under today's units as well.
    for username in ("admin", "chutich"):
        codes = set(User.objects.get(username=username).units.values_list("code", flat=True))
        assert codes == {"82", "82.2025"}


def test_hamlet_names_are_the_same_every_time(tien_giang) -> None:
    commune = Unit.objects.get(code="28597")
    assert hamlet_names(commune) == hamlet_names(commune)
    assert len(set(hamlet_names(commune))) == len(hamlet_names(commune))


def test_building_again_changes_nothing(demo) -> None:
    changes, units = ObjectChange.objects.count(), Unit.objects.count()
    call_command("demo", "--no-serve", stdout=StringIO())
    assert (ObjectChange.objects.count(), Unit.objects.count()) == (changes, units)


def test_every_demo_user_signs_in_and_sees_the_campaign(demo) -> None:
    for user in User.objects.all():
        client = Client()
        response = client.post(
            reverse("login"), {"username": user.username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, user.username
        text = client.get(reverse("web:plan")).content.decode()
        assert "Tiền Giang" in text and "383/KH-UBND" in text, user.username
