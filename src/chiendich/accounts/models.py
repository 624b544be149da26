"""Users bound to units, and the audit trail (change log and domain events)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .audit import ChangeLoggedModel
from .context import current_actor, current_origin
from .roles import Role, role_allows


class User(ChangeLoggedModel, AbstractUser):
    """A person who signs in, with one role and the units that role covers."""

    change_log_exclude = ("password", "last_login")

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    units = models.ManyToManyField(
        "units.Unit", verbose_name=_("units"), related_name="users", blank=True
    )
    full_name = models.CharField(_("full name"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def scope_paths(self) -> list[str]:
        """Tree paths of the user's units; every row they may see lies under one."""
        cached: list[str] | None = getattr(self, "_scope_paths", None)
        if cached is None:
            cached = sorted(self.units.values_list("path", flat=True))
            self._scope_paths = cached
        return cached

    def can(self, action: str) -> bool:
        return self.is_active and (self.is_superuser or role_allows(self.role, action))


class ObjectChange(models.Model):
    """One create, update or delete of a change-logged row, with its before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(max_length=150, blank=True)
    origin = models.CharField(max_length=20, default="system")
    action = models.CharField(max_length=10, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("change")
        verbose_name_plural = _("change log")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    @classmethod
    def record(
        cls,
        instance: models.Model,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> ObjectChange:
        user = current_actor()
        return cls.objects.create(
            user=user,
            user_name=user.get_username() if user else "",
            origin=current_origin(),
            action=action,
            content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
            object_id=str(instance.pk),
            object_repr=str(instance)[:200],
            before=before,
            after=after,
        )

    def changed_fields(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


class AuditEvent(models.Model):
    """A domain event worth proving later: personal data seen or exported, a
    plan or unit list loaded, an import written, a target overridden."""

    class Type(models.TextChoices):
        LOGIN = "login", _("signed in")
        LOGIN_FAILED = "login_failed", _("failed sign-in")
        PERSONAL_DATA_VIEWED = "personal_data_viewed", _("personal data viewed")
        PERSONAL_DATA_EXPORTED = "personal_data_exported", _("personal data exported")
        UNITS_LOADED = "units_loaded", _("units loaded")
        HAMLETS_IMPORTED = "hamlets_imported", _("hamlets imported")
        ORGANIZATIONS_IMPORTED = "organizations_imported", _("organizations imported")
        PLAN_LOADED = "plan_loaded", _("plan loaded")
        USER_CREATED = "user_created", _("user created")
        CITIZENS_IMPORTED = "citizens_imported", _("police list imported")
        TARGETS_ALLOCATED = "targets_allocated", _("targets allocated")
        TARGET_OVERRIDDEN = "target_overridden", _("target overridden")
        DOSSIERS_IMPORTED = "dossiers_imported", _("dossier export imported")
        PROCEDURES_LOADED = "procedures_loaded", _("procedure catalogue loaded")
        TTHC_FORM_SUBMITTED = "tthc_form_submitted", _("aggregate form submitted")
        TTHC_FORM_DELETED = "tthc_form_deleted", _("aggregate form deleted")
        STAFF_IMPORTED = "staff_imported", _("staff list imported")
        REPORT_SUBMITTED = "report_submitted", _("report submitted")
        REPORT_RETURNED = "report_returned", _("report returned")
        REPORT_APPROVED = "report_approved", _("report approved")
        REPORT_LOCKED = "report_locked", _("report locked")
        REPORT_EXPORTED = "report_exported", _("report exported")
        ACTIVITIES_RECORDED = "activities_recorded", _("communication activities recorded")
        IMPORT_UPLOADED = "import_uploaded", _("file uploaded for import")
        IMPORT_CONFIRMED = "import_confirmed", _("import confirmed")
        API_TOKEN_ISSUED = "api_token_issued", _("API token issued")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        RESULT_STORED = "result_stored", _("digitized result stored")
        RESULTS_IMPORTED = "results_imported", _("digitized results imported")
        RESULT_REVOKED = "result_revoked", _("digitized result revoked")
        RESULT_REVIEWED = "result_reviewed", _("scanned result's metadata checked")
        RESULT_LOOKUP = "result_lookup", _("once-only lookup of a citizen's results")
        RESULT_REUSED = "result_reused", _("digitized result reused for a dossier")
        RESULTS_VERIFIED = "results_verified", _("results store verified")
        RESULT_TYPES_LOADED = "result_types_loaded", _("result types loaded")
        HAMLET_ASSIGNED = "hamlet_assigned", _("hamlet of a split commune assigned")
        RECORD_PLACED = "record_placed", _("record without a hamlet given one")

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    type = models.CharField(_("event"), max_length=40, choices=Type.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(max_length=150, blank=True)
    origin = models.CharField(max_length=20, default="system")
    unit = models.ForeignKey(
        "units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.time:%d/%m/%Y %H:%M} {self.user_name or '-'} {self.get_type_display()}"
