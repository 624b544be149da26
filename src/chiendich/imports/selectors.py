"""Reads of import jobs, already scoped to the user."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext

from chiendich.accounts.models import User
from chiendich.units.models import Unit

from .models import ImportJob
from .progress import progress_read

RECENT_JOBS = 20


def jobs_visible(user: User | Any, action: str = "view") -> QuerySet[ImportJob]:
    """Jobs of the user's units and those below them."""
    return ImportJob.objects.restrict(user, action).select_related(
        "unit", "uploaded_by", "confirmed_by"
    )


def job_get(user: User | Any, key: str, action: str = "view") -> ImportJob:
    """The job whose uuid is `key`, if the user may see it; 404 otherwise, the same
    for another unit's job as for one that does not exist or a malformed key."""
    try:
        value = uuid.UUID(str(key))
    except ValueError:
        raise Http404 from None
    job = jobs_visible(user, action).filter(uuid=value).first()
    if job is None:
        raise Http404
    return job


def upload_units(user: User | Any) -> QuerySet[Unit]:
    """The user's own units they may import for: the units a job can be filed under."""
    return (
        Unit.objects.restrict(user, "change")
        .filter(pk__in=user.units.values_list("pk", flat=True))
        .order_by("path")
    )


def job_progress(job: ImportJob) -> dict[str, Any]:
    """State and rows done of `job`: from its progress file while a worker is on it,
    from the row otherwise. A reload reads the same numbers."""
    done, total = job.rows_done, job.rows_total
    if job.is_running:
        live = progress_read(job.folder)
        if live is not None and live.get("phase") == job.state:
            done, total = int(live.get("done") or 0), live.get("total")
    percent = min(100, round(100 * done / total)) if total else (100 if not job.is_running else 0)
    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "running": job.is_running,
        "done": done,
        "total": total,
        "percent": percent,
        # Our own messages are stored as English msgids; a file's errors as written.
        "message": gettext(job.message) if job.message else "",
    }
