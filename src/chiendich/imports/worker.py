"""The worker that runs web imports, `chiendich db_worker`, and its lifecycle.

django-tasks' own worker loop ends on the first database error it does not
expect (on SQLite, one "database is locked" while it claims a task), and
nothing restarts it. HealingWorker runs the same loop but survives: any
database error in it is logged and retried with a growing pause. It also
registers itself (imports.models.Worker), stamps a heartbeat from a thread,
and on start and every half minute marks failed the jobs of workers that
vanished (recovery.py), so a SIGKILL mid-import never leaves a job
"importing" for ever.

A production deployment runs the worker as its own service (systemd, a
container); the demo starts one beside its server (worker_start below) so that
an upload is checked without a second terminal.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker as TasksWorker

STOP_SECONDS = 10  # a worker finishing a task gets this long before it is killed
HEARTBEAT_SECONDS = 5.0  # how often a worker stamps its Worker row
REAP_EVERY = 6  # heartbeats between two looks for jobs of vanished workers (30 s)
BACKOFF_FIRST = 0.5  # seconds before the first retry after a database error
BACKOFF_MAX = 30.0  # the pause doubles up to this

logger = logging.getLogger("chiendich.imports.worker")


def _retrying[T](what: str, call: Callable[[], T], stop: Callable[[], bool] = lambda: False) -> T:
    """call() until it returns without a database error, pausing BACKOFF_FIRST seconds
    and doubling up to BACKOFF_MAX, each failure logged. A worker must outlive a
    locked or restarting database: it has nothing better to do than wait."""
    delay = BACKOFF_FIRST
    while True:
        try:
            return call()
        except (DatabaseError, InterfaceError) as exc:
            if stop():
                raise
            logger.warning("db_worker: %s failed (%s); retrying in %.1f s", what, exc, delay)
            _close_connection()
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)


def _close_connection() -> None:
    """Drop this thread's connection (a broken one must not be reused); never fails."""
    # A dead connection may fail to close; it is gone anyway.
    with suppress(Exception):
        connection.close()


class Heartbeat(threading.Thread):
    """Stamps the worker's row every HEARTBEAT_SECONDS, and every REAP_EVERY stamps
    marks failed the jobs of workers that vanished. On its own connection (Django's
    are per thread), closed after each beat. A beat that fails (the database locked
    by a long import on SQLite, or down) is logged and tried again at the next one."""

    def __init__(self, worker_id: str, seconds: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(name="db_worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.seconds = seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        beats = 0
        while not self.stopping.wait(self.seconds):
            beats += 1
            try:
                self.beat(reap=beats % REAP_EVERY == 0)
            except (DatabaseError, InterfaceError) as exc:
                logger.warning(
                    "db_worker: heartbeat failed (%s); next in %.0f s", exc, self.seconds
                )
            except Exception:
                logger.exception("db_worker: heartbeat failed")
            finally:
                _close_connection()

    def beat(self, *, reap: bool = False) -> None:
        from chiendich.field.inbox import inbox_drain_quietly as field_inbox_drain_quietly

        from .models import Worker
        from .recovery import jobs_reap

        Worker.objects.filter(worker_id=self.worker_id).update(heartbeat_at=timezone.now())
        field_inbox_drain_quietly(seconds=HEARTBEAT_SECONDS)  # outcomes accepted while busy
        if reap:
            reaped = jobs_reap()
            if reaped:
                logger.warning("db_worker: %d job(s) of a vanished worker marked failed", reaped)

    def stop(self) -> None:
        self.stopping.set()


class HealingWorker(TasksWorker):
    """django-tasks' database worker that outlives database errors, registers itself,
    beats, and recovers the jobs of workers that vanished (module docstring)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.heartbeat: Heartbeat | None = None

    def run(self) -> None:
        from .recovery import jobs_reap, this_host

        stop = lambda: not self.running  # noqa: E731 - read at each retry
        _retrying("registering", lambda: self._register(this_host()), stop)
        reaped = _retrying("recovering jobs", jobs_reap, stop)
        if reaped:
            logger.warning("db_worker: %d job(s) left by a stopped worker marked failed", reaped)
        self.heartbeat = Heartbeat(self.worker_id)
        self.heartbeat.start()
        try:
            self._loop()
        finally:
            self.heartbeat.stop()
            self._unregister()

    def _loop(self) -> None:
        delay = BACKOFF_FIRST
        stop = lambda: not self.running  # noqa: E731 - read at each retry
        while True:
            started = time.monotonic()
            try:
                super().run()
                return
            except (DatabaseError, InterfaceError) as exc:
                if not self.running:
                    raise
                if time.monotonic() - started > BACKOFF_MAX:
                    delay = BACKOFF_FIRST  # it ran well for a while: a new spell
                logger.warning(
                    "db_worker: database error in the task loop (%s); retrying in %.1f s",
                    exc,
                    delay,
                )
                _close_connection()
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                self.startup_delay = False
                _retrying("releasing its tasks", self._release_claimed, stop)

    def _release_claimed(self) -> None:
        """Between two tasks nothing runs here: a task still "running" under this
        worker's id lost its ending to the database error (django-tasks could not
        record it). Marked failed, so that recovery.jobs_reap sees its job stuck and
        lets it be run again, instead of a live worker owning it for ever."""
        from django_tasks_db.models import DBTaskResult

        mine = [
            task.pk
            for task in DBTaskResult.objects.filter(status="RUNNING").only("pk", "worker_ids")
            if task.worker_ids and task.worker_ids[-1] == self.worker_id
        ]
        if mine:
            DBTaskResult.objects.filter(pk__in=mine, status="RUNNING").update(
                status="FAILED",
                finished_at=timezone.now(),
                exception_class_path="django.db.DatabaseError",
                traceback="chiendich: the worker lost this task's ending to a database error",
            )

    def _register(self, host: str) -> None:
        from .models import Worker

        now = timezone.now()
        Worker.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"host": host, "pid": os.getpid(), "heartbeat_at": now, "stopped_at": None},
        )
        # Rows of workers long gone only grow the table.
        Worker.objects.filter(heartbeat_at__lt=now - timedelta(days=7)).delete()

    def _unregister(self) -> None:
        from .models import Worker

        try:
            Worker.objects.filter(worker_id=self.worker_id).update(stopped_at=timezone.now())
        except (DatabaseError, InterfaceError) as exc:
            logger.warning("db_worker: could not record its stop (%s)", exc)


def worker_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's environment with what its settings were changed to in-process
    (data directory, the campaign's today), so the worker sees the same."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    env["CHIENDICH_DATA_DIR"] = str(Path(settings.DATA_DIR))
    if getattr(settings, "CAMPAIGN_TODAY", ""):
        env["CHIENDICH_TODAY"] = settings.CAMPAIGN_TODAY
    env.update(extra or {})
    return env


def worker_start(
    *args: str, extra_env: Mapping[str, str] | None = None, quiet: bool = True
) -> subprocess.Popen[bytes]:
    """Start `chiendich db_worker` (no autoreload) as a child process.

    In its own session: Ctrl-C in the server's terminal must not reach it, or the
    stop below would be its second signal, which aborts the task it is on.
    """
    command = [sys.executable, "-m", "chiendich", "db_worker", "--no-reload", *args]
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        command,
        env=worker_environment(extra_env),
        stdout=output,
        stderr=None,
        start_new_session=True,
    )


def worker_stop(process: subprocess.Popen[bytes]) -> int:
    """Ask the worker to stop (it finishes the task it is on), kill it if it takes
    longer than STOP_SECONDS; an import cut short rolls back whole, and the next
    worker marks its job failed, to be run again (recovery.jobs_reap). Returns the
    worker's exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            # Too slow, or a second Ctrl-C (a terminal may deliver one per process in
            # the group): the user wants out now.
            process.kill()
            process.wait()
    return int(process.returncode)
