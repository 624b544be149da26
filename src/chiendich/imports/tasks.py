"""Background tasks of web imports, on Django's tasks framework (the django-tasks
backport; settings.TASKS stores them in the database and `chiendich db_worker`
runs them). Each takes the job's id: arguments must be JSON, and the job row
is the truth about what is left to do (a task run twice finds the job moved
on and does nothing)."""

from __future__ import annotations

from django_tasks import task

from .models import ImportJob
from .services import job_check_run, job_import_run


@task()
def import_check(job_id: int) -> str:
    """Dry-run check of an uploaded file: the report and errors by row."""
    job = ImportJob.objects.get(pk=job_id)
    job_check_run(job)
    return str(job.state)


@task()
def import_run(job_id: int) -> str:
    """The import of a confirmed file."""
    job = ImportJob.objects.get(pk=job_id)
    job_import_run(job)
    return str(job.state)
