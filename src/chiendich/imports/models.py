"""Imports started from the web: one ImportJob per uploaded file.

A job goes uploaded → checking → checked (the dry-run report, with the errors
by row) → confirmed → importing → done, or failed at any step. The uploaded
file lives under $CHIENDICH_DATA_DIR/imports/<uuid>/, never in the database;
the job keeps its SHA-256 so the file confirmed is the file checked. The
domain apps keep their own history of what each run wrote (vneid.ImportBatch,
procedures.DossierImport; staff lists an audit event): the job links to it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.restrict import RestrictedQuerySet


class JobState(models.TextChoices):
    UPLOADED = "uploaded", _("waiting to be checked")
    CHECKING = "checking", _("checking")
    CHECKED = "checked", _("checked, waiting for confirmation")
    CONFIRMED = "confirmed", _("confirmed, waiting to be imported")
    IMPORTING = "importing", _("importing")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed")


# States a worker still has to move on; the page polls while the job is in one.
RUNNING_STATES = (JobState.UPLOADED, JobState.CHECKING, JobState.CONFIRMED, JobState.IMPORTING)


def imports_dir() -> Path:
    """Where uploaded files, error files and progress files live (read at call time,
    so tests and deployments can move the data directory)."""
    return Path(settings.DATA_DIR) / "imports"


class ImportJob(models.Model):
    """One file uploaded for import, its dry-run report, and the import it led to.

    Scoped by `unit`, the uploader's unit: the unit and those above it see the
    job; another commune's officer gets 404. `check_report` and `import_report`
    hold counts and the first row errors as JSON, with ID and phone numbers
    masked (report.py); the full errors are in the xlsx error files on disk.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind of file"), max_length=20)
    unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    file_name = models.CharField(_("file"), max_length=255)
    # Relative to imports_dir(), so the data directory can move.
    stored_path = models.CharField(max_length=500)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.UPLOADED
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    check_report = models.JSONField(default=dict, blank=True)
    import_report = models.JSONField(default=dict, blank=True)
    check_error_file = models.CharField(max_length=500, blank=True)
    import_error_file = models.CharField(max_length=500, blank=True)
    message = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # What the import wrote, in the kind's own history (object type as in AuditEvent).
    batch_type = models.CharField(max_length=60, blank=True)
    batch_id = models.CharField(max_length=64, blank=True)
    # Set when the worker running the job vanished (recovery.py): the step the user may
    # run again, "check" or "import"; cleared when it is queued again.
    rerun_step = models.CharField(max_length=6, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.get_state_display()})"

    @property
    def folder(self) -> Path:
        return imports_dir() / str(self.uuid)

    @property
    def path(self) -> Path:
        return imports_dir() / self.stored_path

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES

    @property
    def can_confirm(self) -> bool:
        """Checked, and the check found rows that can be imported."""
        return self.state == JobState.CHECKED and self.check_counts().get("rows_valid", 0) > 0

    @property
    def can_rerun(self) -> bool:
        """Failed because its worker vanished: the check or the import may run again."""
        return self.state == JobState.FAILED and bool(self.rerun_step)

    def check_counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = self.check_report.get("counts", {})
        return counts


class Worker(models.Model):
    """A `chiendich db_worker` process, as it registered itself on start.

    Its heartbeat thread stamps `heartbeat_at` every few seconds; a clean stop sets
    `stopped_at`. recovery.py reads these to tell a job whose worker is gone (killed,
    crashed, its machine lost) from one that is only slow, and /healthz can read them
    to tell whether any worker is alive. `worker_id` is the id django-tasks records on
    each task it claims (DBTaskResult.worker_ids), which links a task to its worker.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-heartbeat_at"]

    def __str__(self) -> str:
        return f"db_worker {self.worker_id} ({self.host}, pid {self.pid})"
