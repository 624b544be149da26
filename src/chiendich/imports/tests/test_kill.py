"""A real `chiendich db_worker` process killed with SIGKILL mid-check and mid-import,
then started again: the job is marked failed with a message (never left "checking"
or "importing"), it can be run again, and the citizens are stored exactly once or
not at all. Also: a worker outlives its database being locked for longer than the
driver waits (the probe's "database is locked" that ended it).

Needs a database another process can open: PostgreSQL, or SQLite in a file
(CHIENDICH_TEST_SQLITE); skipped on the default in-memory SQLite test database."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from chiendich.conftest import COMMUNE_A
from chiendich.imports.models import ImportJob, JobState, Worker
from chiendich.imports.progress import progress_read
from chiendich.imports.recovery import MESSAGE_CHECK, MESSAGE_IMPORT, job_rerun
from chiendich.imports.services import job_confirm
from chiendich.imports.worker import worker_start, worker_stop
from chiendich.vneid.models import AccountEvent, Citizen, ImportBatch

from .conftest import DATABASE, HEADER, cccd, upload
from .test_worker import _database_url

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough to be killed in the middle of: the set-based check reads about 100,000 rows
# a second, and the job's progress file is written at most twice a second (a file of
# 60,000 rows was checked between two writes, with nothing in the middle to kill in).
ROWS = 250_000


def big_police_csv(rows: int = ROWS) -> bytes:
    """`rows` valid citizens of commune A, each activated at level 2 on 01/09/2023 (one
    account event each): a row stored twice would show in either count."""
    lines = [HEADER]
    for i in range(rows):
        lines.append(
            f"{cccd(1950 + i % 50, i)},Người Số {i},01/02/{1950 + i % 50},Nam,{COMMUNE_A},,"
            f"H{i // 4},,Đã kích hoạt mức 2,01/09/2023"
        )
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


@pytest.fixture
def worker_env(settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    url = _database_url()
    if url is None:
        pytest.skip("an in-memory SQLite test database cannot be shared with a worker process")
    settings.TASKS = DATABASE
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def workers() -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start db_worker processes; every one still running is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = worker_start("--interval", "0.2", "--no-startup-delay")
        started.append(process)
        return process

    yield start
    for process in started:
        worker_stop(process)


def wait_until(what: str, test: Callable[[], bool], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if test():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def state_of(job: ImportJob) -> str:
    job.refresh_from_db()
    return str(job.state)


def kill_midway(process: subprocess.Popen[bytes], job: ImportJob, phase: str) -> int:
    """SIGKILL the worker once the job's progress file shows it past its first rows
    in `phase`; returns the rows it had done."""

    def midway() -> bool:
        live = progress_read(job.folder)
        return bool(live and live["phase"] == phase and 0 < live["done"] < ROWS)

    wait_until(f"{phase} under way", midway)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    live = progress_read(job.folder)
    assert live is not None
    return int(live["done"])


def test_a_worker_killed_mid_check_and_mid_import_heals_on_restart(
    officer, worker_env, workers
) -> None:
    job = upload(officer, big_police_csv())
    assert job.state == JobState.UPLOADED

    # 1. Killed while checking.
    first = workers()
    done = kill_midway(first, job, JobState.CHECKING)
    assert 0 < done < ROWS and state_of(job) == JobState.CHECKING
    # Started again, it finds the job of the worker that vanished and marks it failed.
    second = workers()
    wait_until("the check marked failed", lambda: state_of(job) == JobState.FAILED, 60)
    assert (job.message, job.rerun_step, job.can_rerun) == (MESSAGE_CHECK, "check", True)
    assert not Citizen.objects.exists() and not ImportBatch.objects.exists()
    # The page says so and offers to run it again; running it does.
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("imports:job", args=[job.uuid])).content.decode()
    assert 'id="rerun"' in page and reverse("imports:job-rerun", args=[job.uuid]) in page
    assert 'id="message"' in page
    response = client.post(reverse("imports:job-rerun", args=[job.uuid]))
    assert response.status_code == 302
    wait_until("the check run again", lambda: state_of(job) == JobState.CHECKED)
    assert job.check_report["counts"]["rows_valid"] == ROWS and not job.message

    # 2. Killed while importing: everything rolled back, nothing stored.
    job = job_confirm(acting_user=officer, job=job)
    done = kill_midway(second, job, JobState.IMPORTING)
    assert 0 < done < ROWS
    # Nothing of the import is visible: the transaction died with the process.
    assert Citizen.objects.count() == 0 and AccountEvent.objects.count() == 0
    # Even with no worker running, the job's page finds it abandoned.
    assert client.get(reverse("imports:job-progress", args=[job.uuid])).json()["state"] == (
        JobState.FAILED
    )
    job.refresh_from_db()
    assert (job.message, job.rerun_step) == (MESSAGE_IMPORT, "import")
    workers()
    job = job_rerun(acting_user=officer, job=job)
    assert job.state == JobState.CONFIRMED
    wait_until("the import run again", lambda: state_of(job) == JobState.DONE)
    # Stored exactly once.
    assert Citizen.objects.count() == ROWS
    assert Citizen.objects.values("id_number").distinct().count() == ROWS
    assert AccountEvent.objects.count() == ROWS
    assert ImportBatch.objects.filter(status=ImportBatch.Status.DONE).count() == 1
    assert job.batch_id == str(ImportBatch.objects.get(status=ImportBatch.Status.DONE).pk)
    # The killed workers are known as gone; the ones still running beat.
    assert Worker.objects.filter(stopped_at__isnull=True).count() >= 1


def test_a_worker_outlives_a_database_locked_longer_than_it_waits(
    officer, worker_env, workers
) -> None:
    """SQLite: another process holds the write lock for longer than the driver's busy
    timeout (20 s), so the worker's claim fails with "database is locked"; django-
    tasks' own loop died there. Ours logs, waits, retries, and runs the job after."""
    if connection.vendor != "sqlite":
        pytest.skip("the lock is SQLite's")
    process = workers()
    wait_until("the worker registered", lambda: Worker.objects.filter(pid=process.pid).exists())
    locker = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=60)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        time.sleep(25)  # past the worker's 20 s busy timeout, at least once
        assert process.poll() is None, "the worker died on a locked database"
    finally:
        locker.rollback()
        locker.close()
    job = upload(officer, big_police_csv(3))
    wait_until("the check after the lock", lambda: state_of(job) == JobState.CHECKED, 90)
    assert process.poll() is None
