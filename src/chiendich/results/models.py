"""Digitized results of resolved dossiers (Plan 383 II.1.đ, V.3.b; R6, R12).

Circular 01/2023/TT-VPCP chapter II asks that the result of every resolved
dossier be digitized, stored with its metadata and reusable; Decision
468/QĐ-TTg that a citizen is not asked for it again. A `Result` row is one
version of one digitized document: the file itself lives in a storage backend
(storage.py, content-addressed by SHA-256), the row holds its checksum and
metadata. An amendment or a replacement is a new row in the same lineage
(`root`), and only the lineage's latest version is `is_current`.

`AcceptedEvidence` maps a procedure to the result types it accepts as a
dossier component: the once-only lookup (selectors.once_only_results) lists a
citizen's still-valid results of those types. `ResultReuse` logs each reuse an
officer confirms for a dossier.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.audit import ChangeLoggedModel
from chiendich.accounts.restrict import RestrictedQuerySet
from chiendich.core.models import ImportHistory


class ResultType(ChangeLoggedModel):
    """A kind of result a procedure produces (Giấy khai sinh, Giấy chứng nhận quyền sử
    dụng đất...), coded in the result-type catalogue (data/loai-ket-qua.csv)."""

    code = models.CharField(_("result type code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure that issues it"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="result_types",
    )
    validity_months = models.PositiveIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        help_text=_("Empty when the result has no expiry (a birth certificate)."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("result type")
        verbose_name_plural = _("result types")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AcceptedEvidence(models.Model):
    """A procedure accepts results of a type in place of a paper a citizen would hand in
    (R6: "not asked to provide it again")."""

    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.CASCADE, related_name="accepted_evidence"
    )
    result_type = models.ForeignKey(ResultType, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("accepted evidence")
        verbose_name_plural = _("accepted evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "result_type"], name="results_evidence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} <- {self.result_type_id}"


class SubjectKind(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    ENTERPRISE = "enterprise", _("enterprise or organization")


class ChangeKind(models.TextChoices):
    ORIGINAL = "original", _("original")
    AMENDMENT = "amendment", _("amendment")
    REPLACEMENT = "replacement", _("replacement")


class Result(ChangeLoggedModel):
    """One version of one digitized result (the file kept unchanged, its SHA-256 and
    metadata). `unit` is the issuing unit and decides who sees the row; the subject's
    ID number is personal data, masked for users outside `unit` and `subject_unit`.

    `search_text` is the folded (lower-case, no diacritics, đ -> d) text the full-text
    index reads: SQLite's FTS5 table and PostgreSQL's tsvector column are created by
    migration 0002 and kept in step by the database itself.
    """

    unit = models.ForeignKey(
        "units.Unit",
        verbose_name=_("issuing unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (unit, number_key, issued_on) constraint covers it
    )
    number_symbol = models.CharField(_("number and symbol"), max_length=100)
    number_key = models.CharField(max_length=100, db_index=True, editable=False)
    issued_on = models.DateField(_("issue date"))
    title = models.CharField(_("title"), max_length=500)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    result_type = models.ForeignKey(
        ResultType,
        verbose_name=_("result type"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (subject_id, result_type) index covers it
    )
    subject_kind = models.CharField(
        _("subject"), max_length=12, choices=SubjectKind.choices, default=SubjectKind.CITIZEN
    )
    subject_id = models.CharField(_("ID number or enterprise code"), max_length=20)
    subject_name = models.CharField(_("subject's name"), max_length=200)
    subject_unit = models.ForeignKey(
        "units.Unit",
        verbose_name=_("subject's commune"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    source_dossier_code = models.CharField(
        _("source dossier code"), max_length=60, blank=True, db_index=True
    )
    # The file: content-addressed in the storage backend, never in the database.
    file_name = models.CharField(_("stored file"), max_length=200, editable=False)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    has_text = models.BooleanField(_("has a text layer"), default=False)
    needs_review = models.BooleanField(
        _("scan waiting for an officer's metadata check"), default=False
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("extracted text"), blank=True)
    search_text = models.TextField(blank=True, editable=False)
    # Versions: the first version is its own lineage (root is NULL); later ones point to it.
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="later_versions",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    change_kind = models.CharField(
        _("kind of version"), max_length=12, choices=ChangeKind.choices, default=ChangeKind.ORIGINAL
    )
    change_note = models.TextField(_("what changed"), blank=True)
    is_current = models.BooleanField(_("latest version"), default=True)
    digitized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("digitized by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    digitized_at = models.DateTimeField(_("digitized at"))
    batch = models.ForeignKey(
        "ResultImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"
    change_log_exclude = ("text", "search_text")

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("digitized result")
        verbose_name_plural = _("digitized results")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number_key", "issued_on"], name="results_result_unique_number"
            ),
        ]
        indexes = [
            # The once-only lookup: one citizen's results of the accepted types.
            models.Index(fields=["subject_id", "result_type"], name="results_subject_type"),
        ]

    def __str__(self) -> str:
        return f"{self.number_symbol} {self.title}"

    @property
    def lineage_id(self) -> int:
        return self.root_id or self.pk

    def is_valid_on(self, day: dt.date) -> bool:
        """Still in force on `day`: not revoked by then and not expired."""
        if self.revoked_on is not None and self.revoked_on <= day:
            return False
        return self.valid_until is None or self.valid_until >= day


class ResultReuse(models.Model):
    """An officer confirmed that a dossier takes a stored result instead of asking the
    citizen for it again (R6). Who, when, which dossier, which result."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="reuses")
    dossier_code = models.CharField(_("dossier code"), max_length=60, db_index=True)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)
    origin = models.CharField(_("through"), max_length=20, default="web")

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "result__unit"

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        verbose_name = _("result reuse")
        verbose_name_plural = _("result reuses")
        constraints = [
            models.UniqueConstraint(
                fields=["result", "dossier_code"], name="results_reuse_once_per_dossier"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_code} <- {self.result_id}"


class ResultImport(ImportHistory):
    """One bulk import (zip or folder with a metadata CSV): what it held and wrote."""

    source = models.CharField(_("file or folder"), max_length=500)
    created = models.PositiveIntegerField(default=0)
    already_stored = models.PositiveIntegerField(default=0)

    class Meta(ImportHistory.Meta):
        verbose_name = _("result import")
        verbose_name_plural = _("result imports")

    def __str__(self) -> str:
        return f"{self.source} ({self.get_status_display()})"
