"""`chiendich db_worker`: django-tasks' database worker, made to heal.

The same options as django-tasks' own command (it is a subclass); the worker it
runs is imports.worker.HealingWorker: it survives database errors in its loop
(retried with a growing pause, logged), stamps a heartbeat, and on start and
while it runs marks failed the jobs of workers that vanished. This app is listed
before django_tasks_db in INSTALLED_APPS so that this command is the one run.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from chiendich.imports.worker import HealingWorker
from chiendich.imports.worker import logger as worker_logger


class Command(db_worker.Command):
    help = (
        "Run the worker of web imports (django-tasks' database worker that survives "
        "database errors and recovers the jobs of a worker that was killed)."
    )

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        # Retries and recoveries are warnings: shown unless -v 0.
        worker_logger.setLevel(logging.CRITICAL if verbosity == 0 else logging.INFO)
        if not worker_logger.hasHandlers():
            worker_logger.addHandler(logging.StreamHandler(self.stderr))

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options: Any,
    ) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = HealingWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
