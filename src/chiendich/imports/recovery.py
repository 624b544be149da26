"""Jobs whose worker vanished: found, marked failed with a message, run again.

A worker can die mid-job (SIGKILL, out of memory, a lost machine). Its task then
stays "running" in django-tasks and its job stays "checking" or "importing" for
ever. Nothing it did is kept: a check writes nothing, and an import is one
transaction that the database rolled back when the connection died. So such a
job is marked failed with a message saying so, and the user may run the step
again ("chạy lại"): a check is queued again, an import is confirmed and queued
again. It is not re-queued by itself: a file that kills the worker would kill
every worker that picks it up, for ever.

How a vanished worker is told from a slow one: each `chiendich db_worker`
registers a Worker row and stamps it every few seconds (worker.py). On the
worker's own machine its process is looked up directly (a SIGKILL is seen at
once, even while a long SQLite transaction keeps the stamp from being written);
from another machine, a stamp older than WORKER_STALE_SECONDS means it is gone.
django-tasks records on each task the id of the worker that claimed it, which
links a job (by its task) to its worker.

Reaped by: a worker when it starts and every half minute while it runs, and a
request for the job's page or progress (so a job never shows "importing" for
ever, even with no worker left to notice).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks_db.models import DBTaskResult

from chiendich.accounts.models import User
from chiendich.accounts.services import audit_event_record

from .models import RUNNING_STATES, ImportJob, JobState, Worker
from .services import AUDIT_IMPORT_CONFIRMED, ImportJobError, job_locked

# A worker stamps every HEARTBEAT_SECONDS; from another machine it counts as gone
# once its stamp is this old (settings.WORKER_STALE_SECONDS overrides).
WORKER_STALE_SECONDS = 60
# A task that ended (successfully or not) without moving its job on: after this long
# it is not a job being handed over between the request and the worker.
TASK_ENDED_GRACE_SECONDS = 30

CHECK_STEPS = (JobState.UPLOADED, JobState.CHECKING)
MESSAGE_CHECK = gettext_noop(
    "The worker checking this file stopped before it finished (it was stopped or "
    "crashed); nothing was written. Run the check again."
)
MESSAGE_IMPORT = gettext_noop(
    "The worker importing this file stopped before it finished (it was stopped or "
    "crashed); the import was rolled back whole and nothing was written. Run it again."
)
MESSAGE_WRITTEN = gettext_noop(
    "The worker stopped right after this import was written: the import is complete."
)
TASK_TRACEBACK = "chiendich: the worker running this task vanished (see imports.recovery)"


def stale_seconds() -> float:
    return float(getattr(settings, "WORKER_STALE_SECONDS", WORKER_STALE_SECONDS))


@cache
def this_host() -> str:
    """The machine and its process namespace: a pid means the same process only for
    a reader in the same namespace (two containers may share a host name)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()} {namespace}".strip()[:255]


def _pid_runs_a_worker(pid: int) -> bool:
    try:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        # No /proc (not Linux), or it hides other users' processes (hidepid): ask
        # the kernel whether the pid exists at all.
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # it exists, run by another user
        return True
    # A zombie has an empty command line; a reused pid runs something else.
    return b"db_worker" in command


def worker_alive(worker: Worker, now: dt.datetime | None = None) -> bool:
    """Whether `worker` still runs: its process, seen from its own machine; its
    heartbeat, seen from another one."""
    if worker.stopped_at is not None:
        return False
    if worker.host == this_host():
        return _pid_runs_a_worker(worker.pid)
    now = now or timezone.now()
    return worker.heartbeat_at >= now - dt.timedelta(seconds=stale_seconds())


def workers_alive(now: dt.datetime | None = None) -> list[Worker]:
    """The workers running now (for /healthz: none means uploads wait)."""
    now = now or timezone.now()
    recent = Worker.objects.filter(stopped_at__isnull=True)
    return [w for w in recent if worker_alive(w, now)]


def _abandoned(task: DBTaskResult, workers: dict[str, Worker], now: dt.datetime) -> bool:
    """Whether the task of a job in a running state can no longer move it on."""
    if task.status == "READY":
        return False
    if task.status == "RUNNING":
        worker = workers.get(task.worker_ids[-1]) if task.worker_ids else None
        if worker is not None:
            return not worker_alive(worker, now)
        # Claimed by a worker that never registered (not ours): judged by its age.
        started = task.started_at or task.enqueued_at
        return started < now - dt.timedelta(seconds=stale_seconds())
    ended = task.finished_at or task.enqueued_at
    return ended < now - dt.timedelta(seconds=TASK_ENDED_GRACE_SECONDS)


def jobs_reap(jobs: Iterable[ImportJob] | None = None, *, now: dt.datetime | None = None) -> int:
    """Mark failed (or done, when its import was written) every job in a running
    state whose task can no longer move it on: the worker that claimed it is gone,
    or the task ended without moving it. Only `jobs` when given. A job queued on
    another backend (the immediate one, in tests) or whose task was pruned is left
    alone: nothing tells. Returns the jobs reaped."""
    now = now or timezone.now()
    found = ImportJob.objects.filter(state__in=RUNNING_STATES).exclude(task_id="")
    if jobs is not None:  # read again: the caller's copies may be behind the worker
        found = found.filter(pk__in=[j.pk for j in jobs])
    # Only tasks of the database backend (their ids are UUIDs) tell anything.
    candidates = [j for j in found if _is_uuid(j.task_id)]
    if not candidates:
        return 0
    tasks = {
        str(t.pk): t for t in DBTaskResult.objects.filter(pk__in=[j.task_id for j in candidates])
    }
    claimed = {t.worker_ids[-1] for t in tasks.values() if t.worker_ids}
    workers = {w.worker_id: w for w in Worker.objects.filter(worker_id__in=claimed)}
    reaped = 0
    for job in candidates:
        task = tasks.get(job.task_id)
        # A task of the other step is the one before: a confirm (or a run again) is
        # queuing this step's task right now.
        if (
            task is not None
            and task.task_path == _TASK_OF_STEP[_step(job)]
            and _abandoned(task, workers, now)
        ):
            reaped += _interrupt(job, task, now)
    return reaped


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def job_reap_if_abandoned(job: ImportJob) -> ImportJob:
    """jobs_reap for the one job a page shows; the job as it now stands."""
    if job.is_running and jobs_reap([job]):
        job.refresh_from_db()
    return job


_TASK_OF_STEP = {
    "check": "chiendich.imports.tasks.import_check",
    "import": "chiendich.imports.tasks.import_run",
}


def _step(job: ImportJob) -> str:
    return "check" if job.state in CHECK_STEPS else "import"


def _interrupt(job: ImportJob, task: DBTaskResult, now: dt.datetime) -> int:
    step = _step(job)
    written = _written_batch(job) if step == "import" else None
    with transaction.atomic():
        # Only from the state seen, with the task seen: a worker or a request that
        # moved the job meanwhile wins.
        still = ImportJob.objects.filter(pk=job.pk, state=job.state, task_id=job.task_id)
        if written is not None:
            moved = still.update(
                state=JobState.DONE,
                batch_type=written[0],
                batch_id=written[1],
                message=MESSAGE_WRITTEN,
                finished_at=now,
            )
        else:
            moved = still.update(
                state=JobState.FAILED,
                rerun_step=step,
                message=MESSAGE_CHECK if step == "check" else MESSAGE_IMPORT,
                finished_at=now,
            )
        DBTaskResult.objects.filter(pk=task.pk, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path="chiendich.imports.recovery.WorkerVanished",
            traceback=TASK_TRACEBACK,
        )
    return moved


def _written_batch(job: ImportJob) -> tuple[str, str] | None:
    """The kind's history row of this job's import, when the import was written (the
    worker died between its commit and the job's update): (batch_type, batch_id)."""
    from chiendich.procedures.models import DossierImport
    from chiendich.results.models import ResultImport
    from chiendich.vneid.models import ImportBatch

    histories = {
        "citizens": ("vneid.importbatch", ImportBatch),
        "dossiers": ("procedures.dossierimport", DossierImport),
        "results": ("results.resultimport", ResultImport),
    }
    if job.kind not in histories or job.confirmed_at is None:
        return None
    label, model = histories[job.kind]
    batch = (
        model._default_manager.filter(
            sha256=job.sha256, status="done", started_at__gte=job.confirmed_at
        )
        .order_by("-started_at")
        .first()
    )
    return (label, str(batch.pk)) if batch is not None else None


def job_rerun(*, acting_user: User, job: ImportJob) -> ImportJob:
    """Run again the step of a job whose worker vanished: the check is queued again;
    the import is confirmed again by `acting_user` (audited) and queued. The import
    still runs in one transaction, the file must still be the one checked, and the
    import of a file already written is not run twice (jobs_reap marks it done)."""
    from .tasks import import_check, import_run

    job_reap_if_abandoned(job)
    with transaction.atomic():
        locked = job_locked(acting_user, job)
        if not locked.can_rerun:
            raise ImportJobError(_("This job cannot be run again now."))
        step = locked.rerun_step
        written = _written_batch(locked) if step == "import" else None
        if written is not None:
            ImportJob.objects.filter(pk=locked.pk).update(
                state=JobState.DONE,
                rerun_step="",
                batch_type=written[0],
                batch_id=written[1],
                message=MESSAGE_WRITTEN,
            )
            locked.refresh_from_db()
            return locked
        # No task until the new one is queued: the old one, failed, must not make the
        # job look abandoned again in between.
        fields = {
            "rerun_step": "",
            "message": "",
            "rows_done": 0,
            "finished_at": None,
            "task_id": "",
        }
        if step == "check":
            fields["state"] = JobState.UPLOADED
        else:
            fields |= {
                "state": JobState.CONFIRMED,
                "confirmed_by": acting_user,
                "confirmed_at": timezone.now(),
            }
            audit_event_record(
                AUDIT_IMPORT_CONFIRMED,
                user=acting_user,
                unit=locked.unit,
                obj=locked,
                kind=locked.kind,
                file=locked.file_name,
                sha256=locked.sha256,
                rerun=True,
            )
        ImportJob.objects.filter(pk=locked.pk).update(**fields)
    task = import_check if step == "check" else import_run
    result = task.enqueue(locked.pk)
    ImportJob.objects.filter(pk=locked.pk).update(task_id=str(result.id)[:64])
    locked.refresh_from_db()
    return locked
