"""Abstract models shared by several apps (no tables of their own)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportHistory(models.Model):
    """One run of a file import: which file (by SHA-256), who ran it, how it ended, how
    many rows it read and refused, the error file, and a message.

    The police-list, dossier and results imports each keep their own history table
    (with their own counts) on this base, so a page or a job can read any of them the
    same way.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        DRY_RUN = "dry_run", _("dry run")

    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    error_file = models.CharField(max_length=500, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-started_at", "-id"]
