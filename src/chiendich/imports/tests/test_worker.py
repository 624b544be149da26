"""The real task queue: jobs stored by django-tasks' database backend and run by its
worker, in-process (`db_worker --batch`, any database) and as the separate process
the demo starts (needs a database another process can open: PostgreSQL, or SQLite
in a file with CHIENDICH_TEST_SQLITE; the default in-memory test database is not)."""

from __future__ import annotations

import io
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from chiendich.imports.models import ImportJob, JobState
from chiendich.imports.progress import progress_read
from chiendich.imports.services import job_confirm
from chiendich.imports.worker import worker_start
from chiendich.vneid.models import Citizen

from .conftest import BAD_FUTURE, DATABASE, GOOD_1, GOOD_3, police_csv, upload


@pytest.fixture
def database_backend(settings: Any) -> None:
    settings.TASKS = DATABASE


@pytest.fixture
def keep_signals() -> Iterator[None]:
    """db_worker installs its own SIGINT/SIGTERM handlers: give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


# Committed for real: the worker closes and reopens connections between tasks, which
# would end a test wrapped in one transaction.
@pytest.mark.django_db(transaction=True)
def test_the_database_backend_queues_and_its_worker_runs_both_steps(
    officer, database_backend, keep_signals
) -> None:
    job = upload(officer, police_csv(GOOD_1, BAD_FUTURE, GOOD_3))

    # Queued, not run: the request returns at once.
    assert job.state == JobState.UPLOADED
    queued = DBTaskResult.objects.get(pk=job.task_id)
    assert (queued.status, queued.task_path) == ("READY", "chiendich.imports.tasks.import_check")
    assert queued.args_kwargs == {"args": [job.pk], "kwargs": {}}

    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.CHECKED
    assert job.check_report["counts"]["rows_valid"] == 2
    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    assert not Citizen.objects.exists()

    job = job_confirm(acting_user=officer, job=job)
    assert job.state == JobState.CONFIRMED
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and Citizen.objects.count() == 2
    assert DBTaskResult.objects.get(pk=job.task_id).return_value == "done"


def _database_url() -> str | None:
    """The test database as DATABASE_URL for another process, or None when it is
    SQLite in memory (which no other process can open)."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:"
            f"{s['PORT'] or 5432}/{s['NAME']}"
        )
    name = str(s["NAME"])
    if connection.vendor == "sqlite" and "memory" not in name and name != ":memory:":
        return f"sqlite:///{name}"
    return None


def wait_for(job: ImportJob, state: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state == state:
            return
        time.sleep(0.2)
    raise AssertionError(f"job still {job.state}, expected {state}")


@pytest.mark.django_db(transaction=True)
def test_the_demo_serves_with_a_worker_process_and_stops_it(
    officer, database_backend, data_dir, monkeypatch
) -> None:
    """`chiendich demo` (building stubbed out): while its server runs, the worker it
    started checks and imports a file; when the server stops, so does the worker."""
    url = _database_url()
    if url is None:
        pytest.skip("an in-memory SQLite test database cannot be shared with a worker process")
    from chiendich.demo.management.commands import demo
    from chiendich.imports import worker as worker_module

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(demo, "build", lambda *args, **kwargs: [])
    started: list[Any] = []

    def start(*args: str, **kwargs: Any) -> Any:
        process = worker_start("--interval", "0.2", *args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(worker_module, "worker_start", start)

    def serve(name: str, *args: Any, **kwargs: Any) -> None:
        if name != "serve":
            return  # migrate: the test database is migrated
        job = upload(officer, police_csv(GOOD_1, BAD_FUTURE, GOOD_3))
        wait_for(job, JobState.CHECKED)
        assert job.check_report["counts"]["rows_rejected"] == 1
        live = progress_read(job.folder)
        assert live is not None and (live["phase"], live["done"]) == ("checking", 3)
        job_confirm(acting_user=officer, job=job)
        wait_for(job, JobState.DONE)
        assert Citizen.objects.count() == 2
        raise SystemExit(0)  # Ctrl-C in the server (gunicorn exits with SystemExit)

    monkeypatch.setattr(demo, "call_command", serve)
    with pytest.raises(SystemExit):
        call_command("demo", "--scale", "0", stdout=io.StringIO())
    (process,) = started
    assert process.returncode == 0  # stopped, and cleanly
