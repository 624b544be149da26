"""Import pages: upload a file, follow its check, read the errors by row, confirm,
follow the import. Views parse input, call selectors and services, render;
every job is fetched through the user's scope (selectors.job_get), so another
unit's job answers 404 like a missing one."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record

from .forms import UploadForm
from .kinds import has_personal_data, kind_allowed, kind_label, kind_template, kinds
from .models import ImportJob, JobState, imports_dir
from .recovery import job_reap_if_abandoned, job_rerun, workers_alive
from .report import ERRORS_KEPT, count_rows, masked_error_file, stored_tree
from .selectors import RECENT_JOBS, job_get, job_progress, jobs_visible, upload_units
from .services import ImportJobError, job_confirm, job_upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    return user


@login_required
@require_http_methods(["GET", "POST"])
def imports_home(request: HttpRequest) -> HttpResponse:
    """The upload form and the recent jobs of the user's units."""
    user = _user(request)
    units = upload_units(user)
    can_upload = user.can("change") and (units.exists() or user.is_superuser)
    form = UploadForm(request.POST or None, request.FILES or None, units=units, user=user)
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = job_upload(
                    acting_user=user,
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name or "",
                    chunks=upload.chunks(),
                    unit=form.cleaned_data.get("unit"),
                )
            except ImportJobError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("imports:job", job=str(job.uuid))
    jobs = list(jobs_visible(user)[:RECENT_JOBS])
    for job in jobs:
        job.kind_label = kind_label(job.kind)  # type: ignore[attr-defined]
    return render(
        request,
        "imports/home.html",
        {
            "form": form,
            "can_upload": can_upload,
            "jobs": jobs,
            "templates": [
                (name, kind_label(name))
                for name, spec in kinds().items()
                if spec.template and kind_allowed(name, user)
            ],
        },
    )


@login_required
def job_view(request: HttpRequest, job: str) -> HttpResponseBase:
    """A job: its state and progress, the dry-run report with the errors by row, the
    confirm button, then what the import wrote. ?xuat=loi downloads the error file
    of the check (?xuat=loi-nhap: of the import)."""
    user = _user(request)
    found = job_reap_if_abandoned(job_get(user, job))
    export = request.GET.get("xuat")
    if export in ("loi", "loi-nhap"):
        return _error_file(
            request, found, found.check_error_file if export == "loi" else found.import_error_file
        )
    may_change = jobs_visible(user, "change").filter(pk=found.pk).exists()
    return render(
        request,
        "imports/job.html",
        {
            "job": found,
            "kind_label": kind_label(found.kind),
            "progress": job_progress(found),
            "check_counts": count_rows(found.check_report),
            "check_tree": stored_tree(found.check_report),
            "check_mapped": found.check_report.get("mapped", []),
            "import_counts": count_rows(found.import_report),
            "import_tree": stored_tree(found.import_report),
            "import_mapped": found.import_report.get("mapped", []),
            "check_errors": found.check_report.get("errors", []),
            "check_error_count": found.check_report.get("error_count", 0),
            "import_errors": found.import_report.get("errors", []),
            "import_error_count": found.import_report.get("error_count", 0),
            "errors_kept": ERRORS_KEPT,
            "can_confirm": may_change and found.can_confirm,
            "can_rerun": may_change and found.can_rerun,
            "no_worker": _waits_for_no_worker(found),
        },
    )


def _waits_for_no_worker(job: ImportJob) -> bool:
    """Queued in the database with no worker alive to take it: the page says so
    rather than show a bar that will not move."""
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    return job.state in (JobState.UPLOADED, JobState.CONFIRMED) and (
        backend.endswith("DatabaseBackend") and not workers_alive()
    )


@login_required
def job_progress_view(request: HttpRequest, job: str) -> JsonResponse:
    """State and rows done, for the page's poll (plain JSON, never cached)."""
    # A job whose worker vanished is marked failed here too: the page then stops
    # showing a bar that will never move, and offers to run it again.
    response = JsonResponse(job_progress(job_reap_if_abandoned(job_get(_user(request), job))))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def job_confirm_view(request: HttpRequest, job: str) -> HttpResponse:
    """GET asks to confirm (the counts the check found); POST confirms and queues."""
    user = _user(request)
    found = job_get(user, job)
    if not jobs_visible(user, "change").filter(pk=found.pk).exists():
        raise PermissionDenied
    if request.method == "POST":
        try:
            job_confirm(acting_user=user, job=found)
        except ImportJobError as exc:
            messages.error(request, str(exc))
        return redirect("imports:job", job=str(found.uuid))
    return render(
        request,
        "imports/confirm.html",
        {
            "job": found,
            "kind_label": kind_label(found.kind),
            "check_counts": count_rows(found.check_report),
            "check_tree": stored_tree(found.check_report),
            "check_mapped": found.check_report.get("mapped", []),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def job_rerun_view(request: HttpRequest, job: str) -> HttpResponseBase:
    """POST runs again the check or the import of a job whose worker vanished; GET (a
    reload of that address) shows the job, with its run-again button."""
    user = _user(request)
    found = job_get(user, job)
    if request.method == "GET":
        return job_view(request, job)
    if not jobs_visible(user, "change").filter(pk=found.pk).exists():
        raise PermissionDenied
    try:
        job_rerun(acting_user=user, job=found)
    except ImportJobError as exc:
        messages.error(request, str(exc))
    return redirect("imports:job", job=str(found.uuid))


@login_required
def template_view(request: HttpRequest, kind: str) -> HttpResponse:
    """The blank spreadsheet of a kind of file: headers, example rows, a guide sheet."""
    content = kind_template(kind, request.user) if kind in kinds() else None
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="mau-{kind}.xlsx"'
    return response


def _error_file(request: HttpRequest, job: ImportJob, relative: str) -> FileResponse:
    """The error file as written for a user who may see the people's ID numbers (the
    download is audited), a masked copy for anyone else."""
    if not relative:
        raise Http404
    path = imports_dir() / relative
    if not path.is_file():
        raise Http404
    user = _user(request)
    name = path.name
    if has_personal_data(job.kind):
        if ImportJob.objects.restrict(user, "view_personal").filter(pk=job.pk).exists():
            audit_event_record(
                AuditEvent.Type.PERSONAL_DATA_EXPORTED,
                user=user,
                unit=job.unit,
                obj=job,
                ip_address=request.META.get("REMOTE_ADDR"),
                what="import error file",
                file=name,
            )
        else:
            masked = path.with_name(f"{path.stem}-an{path.suffix}")
            if not masked.is_file():
                masked_error_file(path, masked)
            path, name = masked, masked.name
    return FileResponse(Path(path).open("rb"), as_attachment=True, filename=name, content_type=XLSX)
