"""How a job whose worker vanished is told from one that is only slow, what it
becomes, and running it again; and the worker loop that survives database errors.
In-process, on any test database (test_kill.py kills real worker processes)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.utils import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from chiendich.accounts.models import AuditEvent
from chiendich.imports import recovery, worker
from chiendich.imports.models import ImportJob, JobState, Worker
from chiendich.imports.recovery import (
    MESSAGE_CHECK,
    MESSAGE_IMPORT,
    MESSAGE_WRITTEN,
    job_rerun,
    jobs_reap,
    this_host,
    worker_alive,
    workers_alive,
)
from chiendich.imports.services import ImportJobError
from chiendich.vneid.models import Citizen, ImportBatch

from .conftest import DATABASE, GOOD_1, GOOD_3, police_csv, upload

NOW = timezone.now()


@pytest.fixture
def sleeping_worker() -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line names db_worker, as a real worker's does."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", "import time; time.sleep(60)", "db_worker"]
    )
    # Until it has exec'd, the child still shows pytest's command line.
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    deadline = time.monotonic() + 10
    while cmdline.exists() and b"db_worker" not in cmdline.read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    yield process
    process.kill()
    process.wait()


def gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    process.wait()
    return process.pid


def register(
    worker_id: str, *, pid: int, host: str | None = None, beat: dt.datetime = NOW
) -> Worker:
    return Worker.objects.create(
        worker_id=worker_id, host=host or this_host(), pid=pid, heartbeat_at=beat
    )


def running_on(job: ImportJob, state: str, worker_id: str | None, **task: Any) -> ImportJob:
    """Put `job` in `state` with a django-tasks task claimed by `worker_id`."""
    fields = {
        "status": "RUNNING",
        "started_at": NOW - dt.timedelta(seconds=5),
        "worker_ids": [worker_id] if worker_id else [],
    } | task
    step = "import_check" if state in (JobState.UPLOADED, JobState.CHECKING) else "import_run"
    fields.setdefault("task_path", f"chiendich.imports.tasks.{step}")
    result = DBTaskResult.objects.create(
        args_kwargs={"args": [job.pk], "kwargs": {}},
        backend_name="default",
        run_after=NOW,
        **fields,
    )
    ImportJob.objects.filter(pk=job.pk).update(state=state, task_id=str(result.pk))
    job.refresh_from_db()
    return job


@pytest.fixture
def job(officer: Any) -> ImportJob:
    return upload(officer, police_csv(GOOD_1, GOOD_3))  # checked at once (immediate backend)


@pytest.mark.django_db
def test_a_worker_on_this_machine_is_alive_while_its_process_runs(sleeping_worker) -> None:
    alive = register("w-live", pid=sleeping_worker.pid, beat=NOW - dt.timedelta(hours=1))
    # Its stamp may be old (a long SQLite transaction holds it back): its process counts.
    assert worker_alive(alive)
    assert not worker_alive(register("w-gone", pid=gone_pid()))
    # A reused pid that runs something else is not the worker.
    assert not worker_alive(register("w-other", pid=os.getpid()))
    stopped = register("w-stopped", pid=sleeping_worker.pid)
    stopped.stopped_at = NOW
    stopped.save()
    assert not worker_alive(stopped)
    assert [w.worker_id for w in workers_alive()] == ["w-live"]


@pytest.mark.django_db
def test_a_worker_on_another_machine_is_judged_by_its_heartbeat(settings) -> None:
    settings.WORKER_STALE_SECONDS = 60
    fresh = register("w-1", pid=1, host="may-khac", beat=NOW - dt.timedelta(seconds=30))
    stale = register("w-2", pid=1, host="may-khac", beat=NOW - dt.timedelta(seconds=90))
    assert worker_alive(fresh, NOW) and not worker_alive(stale, NOW)


@pytest.mark.django_db
def test_a_check_whose_worker_vanished_fails_with_a_message_and_runs_again(
    job, officer, sleeping_worker
) -> None:
    register("w-gone", pid=gone_pid())
    register("w-live", pid=sleeping_worker.pid)
    live = running_on(upload(officer, police_csv(GOOD_1)), JobState.CHECKING, "w-live")
    job = running_on(job, JobState.CHECKING, "w-gone")
    assert jobs_reap() == 1
    job.refresh_from_db()
    live.refresh_from_db()
    assert live.state == JobState.CHECKING  # its worker runs: left alone
    assert (job.state, job.message, job.rerun_step) == (JobState.FAILED, MESSAGE_CHECK, "check")
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "FAILED" and "vanished" in task.traceback
    assert jobs_reap() == 0  # once

    job = job_rerun(acting_user=officer, job=job)  # immediate backend: checked again here
    assert job.state == JobState.CHECKED and not job.rerun_step and not job.message
    assert job.check_report["counts"]["rows_valid"] == 2
    with pytest.raises(ImportJobError):
        job_rerun(acting_user=officer, job=job)  # nothing to run again


@pytest.mark.django_db
def test_an_import_whose_worker_vanished_runs_again_confirmed_and_audited(
    job, officer, make_user
) -> None:
    from chiendich.accounts.roles import Role
    from chiendich.conftest import COMMUNE_B

    register("w-gone", pid=gone_pid())
    ImportJob.objects.filter(pk=job.pk).update(confirmed_by=officer, confirmed_at=NOW)
    job = running_on(job, JobState.IMPORTING, "w-gone")
    assert jobs_reap() == 1
    job.refresh_from_db()
    assert (job.state, job.message, job.rerun_step) == (JobState.FAILED, MESSAGE_IMPORT, "import")
    # Another commune's officer cannot run it again.
    stranger = make_user(Role.COMMUNE_OFFICER, COMMUNE_B)
    with pytest.raises(ImportJobError):
        job_rerun(acting_user=stranger, job=job)
    job = job_rerun(acting_user=officer, job=job)
    assert job.state == JobState.DONE and Citizen.objects.count() == 2
    assert job.confirmed_by == officer and job.confirmed_at > NOW
    rerun = AuditEvent.objects.filter(type=AuditEvent.Type.IMPORT_CONFIRMED).get()
    assert rerun.detail["rerun"] is True and rerun.user == officer


@pytest.mark.django_db
def test_an_import_written_before_its_worker_died_is_done_not_run_twice(job, officer) -> None:
    """Killed between the import's commit and the job's update: its history row says
    the import was written, so the job is done and nothing runs again."""
    from chiendich.imports.services import job_confirm

    done = job_confirm(acting_user=officer, job=job)  # imported (immediate backend)
    assert Citizen.objects.count() == 2
    register("w-gone", pid=gone_pid())
    ImportJob.objects.filter(pk=done.pk).update(batch_id="", batch_type="")
    job = running_on(done, JobState.IMPORTING, "w-gone")
    assert jobs_reap() == 1
    job.refresh_from_db()
    batch = ImportBatch.objects.get(status=ImportBatch.Status.DONE)
    assert (job.state, job.message, job.batch_id) == (JobState.DONE, MESSAGE_WRITTEN, str(batch.pk))
    assert Citizen.objects.count() == 2
    assert ImportBatch.objects.exclude(status=ImportBatch.Status.DRY_RUN).count() == 1


@pytest.mark.django_db
def test_a_task_that_ended_without_moving_its_job_is_reaped_after_a_grace(job) -> None:
    """The task failed before it moved the job (the database locked at its first
    query): the job would wait for ever. Not within the grace: a confirm may be
    queuing the next task at that moment."""
    ended = NOW - dt.timedelta(seconds=recovery.TASK_ENDED_GRACE_SECONDS + 5)
    job = running_on(job, JobState.UPLOADED, None, status="FAILED", finished_at=NOW)
    assert jobs_reap(now=NOW) == 0
    DBTaskResult.objects.filter(pk=job.task_id).update(finished_at=ended)
    assert jobs_reap(now=NOW) == 1
    job.refresh_from_db()
    assert (job.state, job.rerun_step) == (JobState.FAILED, "check")


@pytest.mark.django_db
def test_a_job_just_confirmed_is_not_taken_for_abandoned_by_its_check_task(job) -> None:
    """Between a confirm's commit and its new task's id, the job still points at the
    check's task, ended long ago: that says nothing about the import."""
    ended = NOW - dt.timedelta(hours=1)
    job = running_on(
        job,
        JobState.CONFIRMED,
        None,
        status="SUCCESSFUL",
        finished_at=ended,
        task_path="chiendich.imports.tasks.import_check",
    )
    assert jobs_reap() == 0
    job.refresh_from_db()
    assert job.state == JobState.CONFIRMED


@pytest.mark.django_db
def test_jobs_of_the_immediate_backend_or_a_queued_task_are_left_alone(job, officer) -> None:
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.CHECKING)  # task id not a UUID
    queued = running_on(
        upload(officer, police_csv(GOOD_1)), JobState.UPLOADED, None, status="READY"
    )
    assert jobs_reap() == 0
    queued.refresh_from_db()
    assert queued.state == JobState.UPLOADED


@pytest.mark.django_db
def test_the_page_and_its_poll_mark_an_abandoned_job_and_offer_to_run_it_again(
    job, officer, other_officer
) -> None:
    register("w-gone", pid=gone_pid())
    job = running_on(job, JobState.CHECKING, "w-gone")
    client = Client()
    client.force_login(officer)
    progress = client.get(reverse("imports:job-progress", args=[job.uuid])).json()
    assert (progress["state"], progress["running"]) == (JobState.FAILED, False)
    page = client.get(reverse("imports:job", args=[job.uuid])).content.decode()
    assert 'id="rerun"' in page
    # Another commune's officer gets 404, as for any job of another unit.
    stranger = Client()
    stranger.force_login(other_officer)
    assert stranger.post(reverse("imports:job-rerun", args=[job.uuid])).status_code == 404
    # A GET of the address (a reload) only shows the job: nothing runs again.
    reloaded = client.get(reverse("imports:job-rerun", args=[job.uuid]))
    assert reloaded.status_code == 200 and 'id="rerun"' in reloaded.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    response = client.post(reverse("imports:job-rerun", args=[job.uuid]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.CHECKED


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_survives_database_errors_with_backoff(
    officer, settings, monkeypatch, caplog
) -> None:
    """django-tasks' loop ended on the first database error outside its claim; ours
    logs it, pauses (doubling) and goes on, and registers, beats and unregisters."""
    settings.TASKS = DATABASE
    job = upload(officer, police_csv(GOOD_1))
    real_ready = DBTaskResultQuerySet.ready
    failures = iter([OperationalError("database is locked"), OperationalError("disk I/O error")])

    def flaky(self: DBTaskResultQuerySet) -> DBTaskResultQuerySet:
        error = next(failures, None)
        if error is not None:
            raise error
        return real_ready(self)

    pauses: list[float] = []
    monkeypatch.setattr(DBTaskResultQuerySet, "ready", flaky)
    monkeypatch.setattr(worker.time, "sleep", pauses.append)
    caplog.set_level(logging.WARNING, logger="chiendich.imports.worker")
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO()
        )
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
    job.refresh_from_db()
    assert job.state == JobState.CHECKED
    assert pauses == [worker.BACKOFF_FIRST, 2 * worker.BACKOFF_FIRST]
    assert "database is locked" in caplog.text and "disk I/O error" in caplog.text
    (row,) = Worker.objects.all()
    assert row.stopped_at is not None and row.host == this_host()


@pytest.mark.django_db
def test_the_page_says_when_no_worker_runs_to_take_a_queued_file(
    officer, settings, sleeping_worker
) -> None:
    settings.TASKS = DATABASE
    job = upload(officer, police_csv(GOOD_1))
    assert job.state == JobState.UPLOADED
    client = Client()
    client.force_login(officer)
    url = reverse("imports:job", args=[job.uuid])
    assert 'id="no-worker"' in client.get(url).content.decode()
    register("w-live", pid=sleeping_worker.pid)
    assert 'id="no-worker"' not in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_ending_could_not_be_recorded_is_released(
    officer, settings, monkeypatch
) -> None:
    """The database fails as django-tasks records a task's end: the loop goes on, and
    the task is not left "running" under a live worker for ever."""
    settings.TASKS = DATABASE
    job = upload(officer, police_csv(GOOD_1))
    real = DBTaskResult.set_successful
    calls: list[int] = []

    def fails_once(self: DBTaskResult, value: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        real(self, value)

    def fails(self: DBTaskResult, exc: BaseException) -> None:
        raise OperationalError("database is locked")

    # Its success cannot be recorded, nor then its failure: the error leaves run().
    monkeypatch.setattr(DBTaskResult, "set_successful", fails_once)
    monkeypatch.setattr(DBTaskResult, "set_failed", fails)
    monkeypatch.setattr(worker.time, "sleep", lambda seconds: None)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO()
        )
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
    job.refresh_from_db()
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert job.state == JobState.CHECKED  # the task had moved its job before
    assert task.status == "FAILED" and "lost this task's ending" in task.traceback
    assert Worker.objects.get().stopped_at is not None  # it went on, then ended cleanly
