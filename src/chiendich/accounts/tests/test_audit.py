"""The change log and the audit events."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.units.models import Unit

pytestmark = pytest.mark.django_db


def test_an_update_logs_who_when_before_and_after(tien_giang, make_user) -> None:
    admin = make_user(Role.PROVINCE_ADMIN, "82")
    unit = Unit.objects.get(code=COMMUNE_A)
    with acting_as(admin, origin="web"):
        unit.name = "Phường Năm"
        unit.save()
    change = ObjectChange.objects.filter(object_id=str(unit.pk)).first()
    assert change is not None
    assert (change.action, change.user, change.origin) == ("update", admin, "web")
    assert change.before["name"] == "Phường 5" and change.after["name"] == "Phường Năm"
    assert change.changed_fields() == ["name"]


def test_saving_without_a_change_logs_nothing(tien_giang) -> None:
    unit = Unit.objects.get(code=COMMUNE_A)
    count = ObjectChange.objects.count()
    unit.save()
    assert ObjectChange.objects.count() == count


def test_user_units_changes_are_logged_without_the_password(tien_giang, make_user) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    created = ObjectChange.objects.get(
        object_id=str(user.pk), action="create", content_type__model="user"
    )
    assert "password" not in created.after
    user.units.set([Unit.objects.get(code=COMMUNE_B)])
    a, b = Unit.objects.get(code=COMMUNE_A).pk, Unit.objects.get(code=COMMUNE_B).pk
    # set() removes then adds: two entries, oldest first.
    removed, added = ObjectChange.objects.filter(
        content_type__model="user", object_id=str(user.pk), action="update"
    ).order_by("-id")[:2][::-1]
    assert (removed.before, removed.after) == ({"units": [a]}, {"units": []})
    assert (added.before, added.after) == ({"units": []}, {"units": [b]})
    assert AuditEvent.objects.filter(
        type=AuditEvent.Type.USER_CREATED, object_id=str(user.pk)
    ).exists()


def test_sign_in_and_failed_sign_in_are_audited(tien_giang, make_user) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client = Client(REMOTE_ADDR="10.0.0.7")
    client.post(reverse("login"), {"username": user.username, "password": "wrong-password"})
    client.post(reverse("login"), {"username": user.username, "password": "correct-horse-383"})
    failed = AuditEvent.objects.get(type=AuditEvent.Type.LOGIN_FAILED)
    assert failed.detail == {"username": user.username} and failed.ip_address == "10.0.0.7"
    assert AuditEvent.objects.get(type=AuditEvent.Type.LOGIN).user == user


def test_failed_sign_ins_are_throttled(tien_giang, make_user, settings) -> None:
    user = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    client = Client(REMOTE_ADDR="10.0.0.8")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong-password"})
    # Locked now, even with the right password.
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-383"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out for the same user.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert (
        other.post(
            reverse("login"), {"username": user.username, "password": "correct-horse-383"}
        ).status_code
        == 302
    )


def test_passwords_are_hashed_with_argon2(tien_giang, make_user) -> None:
    assert make_user(Role.COMMUNE_OFFICER, COMMUNE_A).password.startswith("argon2$")
