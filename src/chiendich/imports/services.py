"""Writes of web imports: upload a file, confirm its import, and the two runs a
worker makes of it (the dry-run check, then the import).

Upload and confirm are what a request does: record, audit, enqueue, return.
The runs are what the tasks (tasks.py) call in the worker: they call the
kind's import service (the same one `chiendich import` calls) with a progress
callback writing the job's progress file, and store its report on the job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.core.tabular import (
    TabularError,
    file_sha256,
    table_row_estimate,
)
from chiendich.field.inbox import inbox_drain_quietly as field_inbox_drain_quietly
from chiendich.units.models import Unit

from .kinds import kind_service, kind_suffixes, kind_takes_tree, kinds
from .models import ImportJob, JobState, imports_dir
from .progress import ProgressFile
from .report import report_json, stored_tree
from .selectors import upload_units

# Not (yet) choices of AuditEvent.Type: the accounts app owns that list.
AUDIT_IMPORT_UPLOADED = AuditEvent.Type.IMPORT_UPLOADED
AUDIT_IMPORT_CONFIRMED = AuditEvent.Type.IMPORT_CONFIRMED

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # a national police list of 1.5 million rows is ~150 MB
NAME_MAX = 100


class ImportJobError(ValueError):
    """A request the job cannot take (bad file, wrong state); the message is for the user."""


def job_upload(
    *,
    acting_user: User,
    kind: str,
    file_name: str,
    chunks: Iterable[bytes],
    unit: Unit | None = None,
) -> ImportJob:
    """Store an uploaded file as a new job of `kind` for `unit` and queue its check.

    `unit` must be one of the user's own units they may import for (it scopes the
    job); it may be omitted when the user has exactly one, or is a superuser. The
    file is streamed to $CHIENDICH_DATA_DIR/imports/<uuid>/ while its SHA-256 is
    computed. Raises ImportJobError for an unknown kind, a suffix other than
    .csv/.xlsx, an empty or too large file, or a unit the user may not import for.
    """
    if kind not in kinds():
        raise ImportJobError(_("Unknown kind of file."))
    suffix = Path(file_name).suffix.lower()
    allowed = kind_suffixes(kind)
    if suffix not in allowed:
        if allowed == (".zip",):
            raise ImportJobError(_("Upload a zip file holding the files and their list."))
        raise ImportJobError(_("Upload a CSV (UTF-8) or XLSX file."))
    unit = _upload_unit(acting_user, unit)
    name = _safe_name(file_name)
    job = ImportJob(kind=kind, unit=unit, uploaded_by=acting_user, file_name=name[:255])
    job.stored_path = f"{job.uuid}/{name}"
    folder = job.folder
    folder.mkdir(parents=True, exist_ok=True)
    try:
        job.size, job.sha256 = _store(chunks, job.path)
        if job.size == 0:
            raise ImportJobError(_("The file is empty."))
        with transaction.atomic():
            job.save()
            audit_event_record(
                AUDIT_IMPORT_UPLOADED,
                user=acting_user,
                unit=unit,
                obj=job,
                kind=kind,
                file=job.file_name,
                sha256=job.sha256,
                size=job.size,
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # Queued after the job is saved: with the immediate backend the check runs here.
    _enqueue(job, "import_check")
    return job


def _upload_unit(user: User, unit: Unit | None) -> Unit | None:
    if not user.can("change"):
        raise ImportJobError(_("Your role cannot import data."))
    own = upload_units(user)
    if unit is None:
        if user.is_superuser and not own.exists():
            return None
        mine = list(own[:2])
        if len(mine) != 1:
            raise ImportJobError(_("Choose the unit you import for."))
        return mine[0]
    if not own.filter(pk=unit.pk).exists():
        raise ImportJobError(_("Choose the unit you import for."))
    return unit


def _safe_name(file_name: str) -> str:
    """The file's own name, without folders or characters a file system minds; it names
    the file in every error message, so the officer recognizes it."""
    base = Path(file_name.replace("\\", "/")).name
    path = Path(base)
    stem = get_valid_filename(path.stem) if path.stem.strip(". ") else "tep"
    return stem[: NAME_MAX - len(path.suffix)] + path.suffix.lower()


def _store(chunks: Iterable[bytes], path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ImportJobError(
                    _("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20}
                )
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def job_locked(acting_user: User, job: ImportJob) -> ImportJob:
    """`job` locked for the rest of the transaction, if `acting_user` may import for its
    unit: two clicks on one button act once."""
    locked = (
        ImportJob.objects.restrict(acting_user, "change")
        .select_for_update()
        .filter(pk=job.pk)
        .first()
    )
    if locked is None:
        raise ImportJobError(_("You cannot import for this unit."))
    return locked


def job_confirm(*, acting_user: User, job: ImportJob) -> ImportJob:
    """Confirm a checked job: the file is still the one checked (same SHA-256), the
    check found valid rows, and the user may import for the job's unit. Queues the
    import; a second confirm of the same job is refused."""
    with transaction.atomic():
        locked = job_locked(acting_user, job)
        if not locked.can_confirm:
            raise ImportJobError(_("This file cannot be confirmed now."))
        try:
            unchanged = file_sha256(locked.path) == locked.sha256
        except TabularError:
            unchanged = False
        if not unchanged:
            raise ImportJobError(
                _("The stored file changed since it was checked; upload it again.")
            )
        locked.state = JobState.CONFIRMED
        locked.confirmed_by = acting_user
        locked.confirmed_at = timezone.now()
        locked.rows_done = 0
        locked.message = ""
        locked.save(update_fields=["state", "confirmed_by", "confirmed_at", "rows_done", "message"])
        audit_event_record(
            AUDIT_IMPORT_CONFIRMED,
            user=acting_user,
            unit=locked.unit,
            obj=locked,
            kind=locked.kind,
            file=locked.file_name,
            sha256=locked.sha256,
            rows_valid=locked.check_counts().get("rows_valid", 0),
        )
    _enqueue(locked, "import_run")
    return locked


def _enqueue(job: ImportJob, task_name: str) -> None:
    from . import tasks

    task = getattr(tasks, task_name)
    result = task.enqueue(job.pk)
    # The immediate backend has run the task by now and moved the job on: keep its state.
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()


def _move(job: ImportJob, frm: Iterable[str], to: JobState, **fields: Any) -> bool:
    """Move the job from one of the states `frm` to `to` (with `fields`), unless another
    worker or request moved it first. Returns whether it moved."""
    moved = ImportJob.objects.filter(pk=job.pk, state__in=list(frm)).update(state=to, **fields)
    if moved:
        job.refresh_from_db()
    return bool(moved)


def job_check_run(job: ImportJob) -> None:
    """The dry run of a job's file (in the worker): every row checked, nothing written
    but the kind's dry-run record; the report and error file stored on the job."""
    if not _move(job, [JobState.UPLOADED], JobState.CHECKING, rows_done=0, message=""):
        return
    _run(job, dry_run=True, acting_user=job.uploaded_by)


def job_import_run(job: ImportJob) -> None:
    """The import of a confirmed job (in the worker), in the kind's one transaction."""
    if not _move(job, [JobState.CONFIRMED], JobState.IMPORTING, rows_done=0, message=""):
        return
    _run(job, dry_run=False, acting_user=job.confirmed_by)
    field_inbox_drain_quietly()  # outcomes accepted while the import held the lock


def job_tree(job: ImportJob) -> dt.date | None:
    """The unit tree a web import maps its rows to: that of the unit the job is filed
    under (one of the uploader's own units). A unit in force today is on today's tree,
    so T = today and old codes are mapped to it; a unit of an earlier tree (an officer
    still bound to 2023 units) imports without mapping, as does a job with no unit."""
    today = clock.today()
    if job.unit is None or not job.unit.is_valid_on(today):
        return None
    return today


def _run(job: ImportJob, *, dry_run: bool, acting_user: User | None) -> None:
    path = job.path
    total = table_row_estimate(path) if path.exists() else None
    ImportJob.objects.filter(pk=job.pk).update(rows_total=total)
    progress = ProgressFile(job.folder, job.state, total)
    stem = Path(job.file_name).stem
    errors_path = job.folder / (f"{stem}-loi.xlsx" if dry_run else f"{stem}-loi-khi-nhap.xlsx")
    try:
        if file_sha256(path) != job.sha256:
            _fail(job, gettext_noop("The stored file changed since it was uploaded."))
            return
        extra: dict[str, Any] = {}
        if kind_takes_tree(job.kind):
            # The import maps to the tree its check showed, even past midnight.
            extra["tree"] = job_tree(job) if dry_run else stored_tree(job.check_report)
        report = kind_service(job.kind)(
            path,
            dry_run=dry_run,
            acting_user=acting_user,
            progress=progress,
            errors_path=errors_path,
            **extra,
        )
    except TabularError as exc:
        _fail(job, str(exc))
        return
    except Exception:
        _fail(job, gettext_noop("The import stopped on an unexpected error; nothing was written."))
        raise  # the task's result keeps the traceback for whoever runs the worker
    progress.finish()
    stored = report_json(report)
    error_file = _relative(report.error_file) if report.error_file else ""
    now = timezone.now()
    if dry_run:
        ImportJob.objects.filter(pk=job.pk).update(
            state=JobState.CHECKED,
            check_report=stored,
            check_error_file=error_file,
            rows_done=report.rows_read,
            rows_total=report.rows_read,
            checked_at=now,
        )
    else:
        batch = getattr(report, "batch_id", None)
        ImportJob.objects.filter(pk=job.pk).update(
            state=JobState.FAILED if report.all_rejected else JobState.DONE,
            import_report=stored,
            import_error_file=error_file,
            rows_done=report.rows_read,
            rows_total=report.rows_read,
            batch_type=_batch_type(job.kind) if batch else "",
            batch_id=str(batch or ""),
            message=gettext_noop("No row could be imported; nothing was written.")
            if report.all_rejected
            else "",
            finished_at=now,
        )
    job.refresh_from_db()


def _fail(job: ImportJob, message: str) -> None:
    """Stop the job with `message`: an English msgid (translated when shown) or the
    file's own errors as the reader wrote them."""
    ImportJob.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, message=message, finished_at=timezone.now()
    )
    job.refresh_from_db()


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(imports_dir().resolve()))
    except ValueError:
        return ""


def _batch_type(kind: str) -> str:
    """The model (as AuditEvent.object_type names it) holding the kind's import history."""
    return {
        "citizens": "vneid.importbatch",
        "dossiers": "procedures.dossierimport",
        "results": "results.resultimport",
    }.get(kind, "")
