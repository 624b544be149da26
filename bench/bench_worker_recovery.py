"""How long a killed worker's job takes to heal (issue 16, item 2).

    uv run python bench/bench_worker_recovery.py [--rows 100000] [--runs 3] [--work /tmp/bw]
    DATABASE_URL=postgres://... uv run python bench/bench_worker_recovery.py --database postgres

A fresh database with province 82 and its hamlets (bench/_common.py base), and a
police list of --rows citizens. This script is the web side (it uploads, confirms,
reads the job as a page would); `chiendich db_worker` runs as real child processes,
started the way the demo starts them (imports.worker.worker_start). Each run:

- baseline, a cold start: a worker is started with a 3-row check queued; time until
  the job is checked. This is what any restart of the worker costs (a new
  interpreter, Django, the first poll), the floor of a recovery by restart.
- kill mid-check, restart: the worker checking the --rows file gets SIGKILL once its
  progress file shows rows done; a new worker is started at once (as systemd's
  Restart=always would); time from the kill until the job is marked failed with its
  message (the new worker recovers it on start).
- kill mid-import, no worker: the worker importing the file gets SIGKILL; time from
  the kill until a read of the job's page (imports.recovery.job_reap_if_abandoned,
  what the page and its poll call) has marked it failed; then the rows are counted:
  none may be stored.
- run again: the import is run again on a new worker; time until done, then the
  rows are counted again: exactly --rows citizens and --rows account events.

Recovery by restart is reported against the cold start of the same run (the ratio
says what recovering adds to starting); before issue 16 the job stayed "checking"
or "importing" for ever.
"""

# ruff: noqa: S603 - benchmarks run our own tools by design

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    REPO,
    child,
    child_env,
    fmt_runs,
    machine,
    median,
    pg_admin,
    pg_url,
    work_folder,
)

DATABASE_NAME = "bench_worker_recovery"  # PostgreSQL: made and dropped by this script


def wait_until(what: str, test: Callable[[], bool], seconds: float = 600) -> float:
    """Poll `test` every 10 ms; the monotonic time it first held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if test():
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url.startswith("postgres"):
        parser.error("--database postgres needs DATABASE_URL=postgres://user:pass@host/db")

    with work_folder(args.work, "bench-worker-") as work:
        data = work / "data"
        data.mkdir(exist_ok=True)
        (data / "chiendich.sqlite3").unlink(missing_ok=True)
        database_url = None
        if args.database == "postgres":
            pg_admin(url, f"DROP DATABASE IF EXISTS {DATABASE_NAME}")
            pg_admin(url, f"CREATE DATABASE {DATABASE_NAME}")
            database_url = pg_url(url, DATABASE_NAME)
        env = child_env(data, database_url)
        print(machine())
        print(f"database: {args.database}; police list: {args.rows:,} rows")
        child(["base"], env)
        big = work / "ds-cong-an.csv"
        child(["police-csv", str(big), str(args.rows)], env)  # hamlet names from the database
        os.environ.update(env)
        if not database_url:
            os.environ.pop("DATABASE_URL", None)
        try:
            measure(big, args.rows, args.runs)
        finally:
            if args.database == "postgres":
                from django.db import connections

                connections.close_all()
                pg_admin(url, f"DROP DATABASE IF EXISTS {DATABASE_NAME}")


def measure(big: Path, rows: int, runs: int) -> None:
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from chiendich.accounts.models import User
    from chiendich.imports.models import ImportJob, JobState
    from chiendich.imports.progress import progress_read
    from chiendich.imports.recovery import job_reap_if_abandoned, job_rerun
    from chiendich.imports.services import job_confirm, job_upload
    from chiendich.imports.worker import worker_start, worker_stop
    from chiendich.vneid.models import AccountEvent, Citizen

    admin = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench",
        password="bench-worker-recovery",  # noqa: S106 - a throwaway database
    )
    content = big.read_bytes()
    small = b"\n".join(content.splitlines()[:4]) + b"\n"
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = worker_start("--interval", "0.1", "--no-startup-delay")
        started.append(process)
        return process

    def upload(data: bytes) -> ImportJob:
        return job_upload(acting_user=admin, kind="citizens", file_name="ds.csv", chunks=[data])

    def reach(job: ImportJob, target: str) -> float:
        """Wait until `job` is in `target`; the monotonic time it was first seen there."""

        def there() -> bool:
            job.refresh_from_db()
            return bool(job.state == target)

        return wait_until(f"{job.file_name} {target}", there)

    def kill_midway(process: subprocess.Popen[bytes], job: ImportJob, phase: str) -> float:
        def midway() -> bool:
            live = progress_read(job.folder)
            return bool(live and live["phase"] == phase and live["done"] > 0)

        wait_until(f"{phase} under way", midway)
        process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        process.wait()
        return killed

    cold, by_restart, by_page, rerun = [], [], [], []
    seen_events: list[int] = []

    def first_events(events: int) -> int:
        """The events of the first run: a list imported again adds none."""
        if not seen_events:
            seen_events.append(events)
        return seen_events[0]

    try:
        for run in range(1, runs + 1):
            # From the second run on the same rows are imported again: they must update
            # what is stored, never add to it.
            # Baseline: a cold start running one tiny check.
            tiny = upload(small)
            t0 = time.monotonic()
            first = start()
            cold.append(reach(tiny, JobState.CHECKED) - t0)

            # Kill mid-check; restart at once.
            job = upload(content)
            killed = kill_midway(first, job, JobState.CHECKING)
            second = start()
            healed = reach(job, JobState.FAILED)
            by_restart.append(healed - killed)
            assert job.rerun_step == "check", job.message  # noqa: S101

            # Run the check again, confirm, kill mid-import, no worker after it.
            job = job_rerun(acting_user=admin, job=job)
            reach(job, JobState.CHECKED)
            before = (Citizen.objects.count(), AccountEvent.objects.count())
            job = job_confirm(acting_user=admin, job=job)
            killed = kill_midway(second, job, JobState.IMPORTING)
            job_reap_if_abandoned(job)
            by_page.append(time.monotonic() - killed)
            assert job.state == JobState.FAILED and job.rerun_step == "import"  # noqa: S101
            after_kill = (Citizen.objects.count(), AccountEvent.objects.count())

            # Run the import again on a new worker.
            third = start()
            t0 = time.monotonic()
            job = job_rerun(acting_user=admin, job=job)
            rerun.append(reach(job, JobState.DONE) - t0)
            citizens, events = Citizen.objects.count(), AccountEvent.objects.count()
            print(
                f"run {run}: cold start {cold[-1]:.2f} s; kill mid-check to failed (restart) "
                f"{by_restart[-1]:.2f} s; kill mid-import to failed (page) "
                f"{by_page[-1] * 1000:.0f} ms; citizens/events before {before}, after the "
                f"kill {after_kill}; import run again {rerun[-1]:.2f} s, "
                f"citizens {citizens:,}, events {events:,}"
            )
            if after_kill != before or citizens != rows or events != first_events(events):
                raise SystemExit("rows stored wrongly: see the line above")
            worker_stop(third)
    finally:
        for process in started:
            worker_stop(process)
    summary: dict[str, Any] = {
        "cold start of a worker running a 3-row check (baseline)": fmt_runs(cold),
        "kill mid-check to job failed, worker restarted at once": fmt_runs(by_restart),
        "kill mid-import to job failed, read by its page, no worker": fmt_runs(
            [v * 1000 for v in by_page], "ms"
        ),
        f"import of {rows:,} rows run again to done": fmt_runs(rerun),
    }
    for name, value in summary.items():
        print(f"{name}: {value}")
    print(f"ratio recovery by restart / cold start: {median(by_restart) / median(cold):.2f}")


if __name__ == "__main__":
    main()
