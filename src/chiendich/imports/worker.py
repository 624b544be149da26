"""Starting and stopping `chiendich db_worker` beside a server (the demo does).

A production deployment runs the worker as its own service (systemd, a
container); the demo starts one so that an upload is checked without a
second terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings

STOP_SECONDS = 10  # a worker finishing a task gets this long before it is killed


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
    longer than STOP_SECONDS; an import cut short rolls back whole, and
    services.jobs_recover puts its job back. Returns the worker's exit code."""
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
