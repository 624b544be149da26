"""Writes about users and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from .context import current_actor, current_origin
from .models import AuditEvent, User
from .roles import Role


def audit_event_record(
    event_type: str,
    *,
    user: User | None = None,
    unit: Any = None,
    obj: models.Model | None = None,
    ip_address: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Write one domain event. `user` defaults to whoever is acting now."""
    user = user if user is not None else current_actor()
    return AuditEvent.objects.create(
        type=event_type,
        user=user if user is not None and user.pk else None,
        user_name=user.get_username() if user is not None else "",
        origin=current_origin(),
        unit=unit,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=ip_address,
        detail=detail,
    )


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: Role | str,
    units: Iterable[Any],
    full_name: str = "",
    acting_user: User | None = None,
) -> User:
    """Create a user with a role bound to `units` (at least one unless superuser)."""
    units = list(units)
    if not units:
        raise ValueError("a user must be bound to at least one unit")
    user = User(username=username, role=str(role), full_name=full_name)
    user.set_password(password)
    user.save()
    user.units.set(units)
    audit_event_record(
        AuditEvent.Type.USER_CREATED,
        user=acting_user,
        obj=user,
        unit=units[0],
        role=str(role),
        units=[u.code for u in units],
    )
    return user


def error_file_write_audited(
    errors: Any, path: Any, *, what: str, source: str, acting_user: User | None
) -> int:
    """Write an import's error file that holds ID numbers (core.tabular.write_error_file)
    and record the export, as Decree 13/2023 asks for personal data. Returns rows written."""
    from chiendich.core.tabular import write_error_file

    written = write_error_file(errors, path)
    audit_event_record(
        AuditEvent.Type.PERSONAL_DATA_EXPORTED,
        user=acting_user,
        what=what,
        file=str(path),
        source=source,
        rows=written,
    )
    return written
