"""The change log: every write to a change-logged model leaves a before/after row.

Modelled on NetBox's ObjectChange: models opt in by subclassing
ChangeLoggedModel; a pre_save snapshot and a post_save/post_delete handler
write an ObjectChange inside the same transaction as the change. Bulk writes
(imports) bypass model signals by design and record one AuditEvent each
instead (see services.audit_event_record).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save


class ChangeLoggedModel(models.Model):
    """Base for models whose every save and delete is written to the change log."""

    class Meta:
        abstract = True

    # Fields never copied into the log (secrets, bulky derived data).
    change_log_exclude: tuple[str, ...] = ()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of `instance` as JSON-ready data (FKs as ids)."""
    exclude = getattr(instance, "change_log_exclude", ())
    return {
        f.attname: _jsonable(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if f.attname not in exclude
    }


def _before_save(sender: type[models.Model], instance: models.Model, raw: bool, **_: Any) -> None:
    if raw or instance._state.adding or instance.pk is None:
        instance._change_log_before = None  # type: ignore[attr-defined]
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._change_log_before = snapshot(old) if old else None  # type: ignore[attr-defined]


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool, **_: Any
) -> None:
    if raw:
        return
    from .models import ObjectChange

    before = getattr(instance, "_change_log_before", None)
    after = snapshot(instance)
    if not created and before == after:
        return
    ObjectChange.record(
        instance,
        ObjectChange.Action.CREATE if created else ObjectChange.Action.UPDATE,
        before,
        after,
    )


def _after_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    from .models import ObjectChange

    ObjectChange.record(instance, ObjectChange.Action.DELETE, snapshot(instance), None)


def _m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    **_: Any,
) -> None:
    """Log a change to a many-to-many field (say, a user's units) as an update of its owner."""
    if reverse or not isinstance(instance, ChangeLoggedModel):
        return
    field = next(
        f
        for f in instance._meta.many_to_many
        if f.remote_field.through is sender  # type: ignore[union-attr]
    )
    if action.startswith("pre_"):
        instance._m2m_before = sorted(  # type: ignore[attr-defined]
            getattr(instance, field.name).values_list("pk", flat=True)
        )
        return
    if not action.startswith("post_"):
        return
    from .models import ObjectChange

    before = getattr(instance, "_m2m_before", [])
    after = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    if before != after:
        ObjectChange.record(
            instance, ObjectChange.Action.UPDATE, {field.name: before}, {field.name: after}
        )


def connect_change_logging() -> None:
    """Hook the handlers to every concrete ChangeLoggedModel (called from AppConfig.ready)."""
    from django.apps import apps

    for model in apps.get_models():
        if issubclass(model, ChangeLoggedModel):
            uid = f"changelog-{model._meta.label_lower}"
            pre_save.connect(_before_save, sender=model, dispatch_uid=uid + "-pre")
            post_save.connect(_after_save, sender=model, dispatch_uid=uid + "-post")
            post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + "-del")
            for field in model._meta.many_to_many:
                m2m_changed.connect(
                    _m2m_changed,
                    sender=field.remote_field.through,  # type: ignore[union-attr]
                    dispatch_uid=f"{uid}-m2m-{field.name}",
                )
