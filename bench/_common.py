"""Shared pieces of the benchmarks: machine facts, medians, child processes, and
the databases they run on.

A benchmark measures our code in a child process (a fresh interpreter, its own
peak memory) against a baseline run in the same script, so both see the same
machine at the same moment. Run as a script, this module is that child:

    python bench/_common.py base            # migrate, load units 82 and hamlets
    python bench/_common.py police-csv PATH ROWS [AS_OF]
    python bench/_common.py import PATH     # time citizens_import(PATH), print JSON
    python bench/_common.py base-plan PLAN  # migrate, then the demo of PLAN at scale 0
    python bench/_common.py police-csv-plan PATH ROWS PLAN_CODE

The database comes from the environment like the app's own settings
(CHIENDICH_DATA_DIR for SQLite, DATABASE_URL for PostgreSQL).
"""

# ruff: noqa: S603 - benchmarks run our own tools and the sqlite3 shell by design

from __future__ import annotations

import json
import os
import platform
import resource
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]

# Servers refuse to start without a secret key (chiendich/core/security.py), and signed-in
# test clients need one: each benchmark run signs with its own, passed to its children.
os.environ.setdefault("CHIENDICH_SECRET_KEY", secrets.token_urlsafe(50))
SQLITE_SHELL = shutil.which("sqlite3") or "/usr/bin/sqlite3"


@contextmanager
def work_folder(keep: Path | None, prefix: str) -> Iterator[Path]:
    """`keep` when given (files stay for a look), else a temporary folder removed afterwards."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt_runs(values: Sequence[float], unit: str = "s") -> str:
    return f"median {median(values):.2f} {unit} (runs: {', '.join(f'{v:.2f}' for v in values)})"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kib = 0
    shell = subprocess.run([SQLITE_SHELL, "--version"], capture_output=True, text=True, check=False)
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kib / 1024 / 1024:.0f} GiB RAM, "
        f"Python {platform.python_version()}, SQLite library {sqlite3.sqlite_version}, "
        f"sqlite3 shell {shell.stdout.split()[0] if shell.stdout else '?'}"
    )


def child_env(data_dir: Path | None = None, database_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="chiendich.settings")
    env.pop("DATABASE_URL", None)
    if data_dir is not None:
        env["CHIENDICH_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def child(args: Sequence[str], env: dict[str, str]) -> dict[str, Any]:
    """Run this module as a child with `args`; return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed(command: Sequence[str], **kwargs: Any) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)
    return time.perf_counter() - started


def sqlite_copy(source: Path, target_dir: Path) -> Path:
    """A copy of a SQLite database (checkpointed first) as `target_dir`/chiendich.sqlite3."""
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / "chiendich.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def pg_admin(url: str, *statements: str) -> None:
    """Run statements outside a transaction on the server's `postgres` database."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        for statement in statements:
            db.execute(statement)  # type: ignore[arg-type]


def pg_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


# --- child side ---------------------------------------------------------------


def _setup() -> None:
    # --before: an older source tree's code (its src folder), the same Django set-up.
    sys.path.insert(0, os.environ.get("BENCH_BEFORE_SRC") or str(REPO / "src"))
    import django

    django.setup()


def _base() -> dict[str, Any]:
    """Migrate, then load province 82 and the demo's hamlets (what an import needs)."""
    from django.core.management import call_command

    _setup()
    call_command("migrate", verbosity=0, interactive=False)
    import datetime as dt
    import tempfile

    from chiendich.demo.builder import write_hamlets_csv
    from chiendich.plans.services import plan_load
    from chiendich.units.loading import units_load
    from chiendich.units.models import Unit
    from chiendich.units.services import hamlets_import

    in_2023 = dt.date(2023, 9, 1)  # the police lists measured are Plan 383's, on the 2023 tree
    units_load(82, in_2023)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hamlets.csv"
        write_hamlets_csv(Unit.objects.get(code="82"), path)
        hamlets_import(path, on=in_2023)
    plan_load(REPO / "plans" / "tien-giang-383-2023.yaml")  # the simulation's periods
    return {"units": Unit.objects.count()}


def _police_csv(path: str, rows: str, as_of: str = "2023-10-18") -> dict[str, Any]:
    import datetime as dt

    _setup()
    from chiendich.demo.campaign import campaign_of
    from chiendich.demo.simulate import police_list_write
    from chiendich.plans.models import Plan

    campaign = campaign_of(Plan.objects.get(code="tien-giang-383-2023"))
    n = int(rows)
    started = time.perf_counter()
    # A scale a little above n people, cut at exactly n rows.
    written = police_list_write(
        Path(path),
        campaign.province,
        campaign.peak,
        as_of=dt.date.fromisoformat(as_of),
        scale=n / campaign.population * 1.001 + 0.0005,
        rows=n,
    )
    return {"rows": written, "seconds": time.perf_counter() - started}


def _base_plan(plan_file: str) -> dict[str, Any]:
    """Migrate, then build the demo of `plan_file` without citizens (`chiendich demo
    --plan FILE --scale 0`): its province's tree as of the plan's first day and today,
    hamlets, organizations, the plan and the demo users. For the two-level Đồng Tháp,
    plans/dong-thap-2026.yaml."""
    import tempfile

    from django.core.management import call_command

    _setup()
    call_command("migrate", verbosity=0, interactive=False)
    from chiendich.demo.builder import build
    from chiendich.units.models import Unit

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp), lambda _line: None, plan_file=Path(plan_file), scale=0)
    hamlets = Unit.objects.filter(level="hamlet", valid_to__isnull=True).count()
    return {
        "units": Unit.objects.count(),
        "hamlets": hamlets,
        "seconds": time.perf_counter() - started,
    }


def _police_csv_plan(path: str, rows: str, plan_code: str) -> dict[str, Any]:
    """The police list of `plan_code`'s simulated province as of its campaign's today,
    cut at `rows` rows (a scale a little above that, so sizes beyond the plan's
    population, like 10 million, are drawn the same way)."""
    _setup()
    from chiendich.demo.campaign import campaign_of
    from chiendich.demo.simulate import communes_load, police_list_write
    from chiendich.plans.models import Plan
    from chiendich.units.models import Unit

    campaign = campaign_of(Plan.objects.get(code=plan_code))
    n = int(rows)
    # Files write a commune's code as documents do (its gso_code, "28249"), not its
    # identity in the database ("28249.2025"); the importer reads it as of each row's date.
    codes = dict(Unit.objects.filter(level="commune").values_list("code", "gso_code"))
    communes = [replace(c, code=codes[c.code]) for c in communes_load(campaign.province)]
    started = time.perf_counter()
    written = police_list_write(
        Path(path),
        campaign.province,
        campaign.peak,
        scale=n / campaign.population * 1.001 + 0.0005,
        rows=n,
        communes=communes,
    )
    return {
        "rows": written,
        "seconds": time.perf_counter() - started,
        "as_of": campaign.peak.today.isoformat(),
        "population": campaign.population,
        "communes": len(communes),
        "hamlets": sum(len(c.hamlets) for c in communes),
        "province": campaign.province.code,
    }


def _phases_timed(module: Any) -> dict[str, float] | None:
    """Wrap the police-list import's steps (vneid.importing.citizens) to time each one:
    read + check + stage (`_check`), merge (`_write`), relink, the counts refresh.
    None when the module no longer has them (the importers are being rewritten)."""
    steps = {
        "_check": "read, check, stage",
        "_write": "merge",
        "counts_refresh": "counts refresh",
    }
    if not all(hasattr(module, name) for name in steps) or not hasattr(module, "ChunkWriter"):
        return None
    phases: dict[str, float] = dict.fromkeys([*steps.values(), "relink"], 0.0)

    def wrap(function: Any, label: str) -> Any:
        def timed_step(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[label] += time.perf_counter() - began

        return timed_step

    for name, label in steps.items():
        setattr(module, name, wrap(getattr(module, name), label))
    writer_class = module.ChunkWriter
    if hasattr(writer_class, "relink"):
        writer_class.relink = wrap(writer_class.relink, "relink")
    return phases


def _backend_pid() -> int | None:
    """The process id of this connection's PostgreSQL backend; None on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, read from /proc
    (the server runs on this machine); None on SQLite or when it cannot be read."""
    pid = _backend_pid()
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _server_peak_kib() -> int | None:
    """Peak resident memory of this connection's PostgreSQL backend (VmHWM, KiB), read
    from /proc; shared buffers it touched count too. None on SQLite or when unreadable."""
    pid = _backend_pid()
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return None


def _import(path: str) -> dict[str, Any]:
    _setup()
    from django.db import connection

    from chiendich.vneid.importing import citizens as module
    from chiendich.vneid.importing import citizens_import

    # How long the import holds the write lock: from the counts lock taken first thing
    # in its write transaction (SQLite's BEGIN IMMEDIATE just before) to its return,
    # right after the commit.
    locked_at: list[float] = []
    counts_lock = module.counts_lock

    def timed_lock(*, shared: bool) -> None:
        locked_at.append(time.perf_counter())
        counts_lock(shared=shared)

    module.counts_lock = timed_lock  # type: ignore[assignment]
    phases = _phases_timed(module)
    server_started = _server_cpu()
    cpu_started = time.process_time()
    started = time.perf_counter()
    report = citizens_import(Path(path), errors_path=Path(path).with_name("errors.xlsx"))
    ended = time.perf_counter()
    seconds = ended - started
    cpu = time.process_time() - cpu_started  # this process only: SQLite's work, not a server's
    server_ended = _server_cpu()
    server_cpu = (
        server_ended - server_started
        if server_started is not None and server_ended is not None
        else None
    )
    if phases is not None:
        phases["cpu of the importing process"] = cpu
        if server_cpu is not None:
            phases["cpu of its PostgreSQL backend"] = server_cpu
        # The rest of the write transaction: batch row, error file, audit, and the commit.
        inside = sum(v for k, v in phases.items() if k in ("merge", "relink", "counts refresh"))
        phases["commit and the rest"] = (ended - locked_at[0] - inside) if locked_at else 0.0
        phases["total"] = seconds
        # Beside the file, per database: bench_scale.py reads it (older drivers ignore it).
        side = Path(path).with_name(f"{Path(path).name}.phases-{connection.vendor}.json")
        side.write_text(json.dumps(phases))
    return {
        "seconds": seconds,
        "lock_seconds": ended - locked_at[0] if locked_at else None,
        "rows_read": report.rows_read,
        "rows_valid": report.rows_valid,
        "rows_rejected": report.rows_rejected,
        "created": report.created,
        "events": report.events_created,
        "vendor": connection.vendor,
        "phases": phases,
        "cpu_seconds": cpu,
        "server_cpu_seconds": server_cpu,
        "server_peak_kib": _server_peak_kib(),
        # Peak resident memory of this whole process, Django included (KiB on Linux).
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    handler = {
        "base": _base,
        "police-csv": _police_csv,
        "import": _import,
        "base-plan": _base_plan,
        "police-csv-plan": _police_csv_plan,
    }[mode]
    print(json.dumps(handler(*rest)))
