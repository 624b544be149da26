"""Backup and restore of the full demo (issue 16 item 8): `chiendich backup` and
`chiendich restore` against plain `tar` of the same folder as the baseline, in the
same run.

    CHIENDICH_DATA_DIR=/tmp/sq/var uv run chiendich demo --no-serve          # SQLite, once
    uv run python bench/bench_backup.py --data-dir /tmp/sq/var
    DATABASE_URL=postgres://chiendich:chiendich@127.0.0.1:5432/DB_WITH_THE_DEMO \\
      uv run python bench/bench_backup.py --data-dir /tmp/pg/var              # PostgreSQL

1. `chiendich backup FILE.tar` of the live data (database snapshot, result files,
   uploads, SHA-256 manifest), and `--gzip` adds FILE.tar.gz.
2. `chiendich restore FILE.tar` into an empty database and empty folders (SQLite: a
   new data folder; PostgreSQL: a new empty database on the same server), checked by
   comparing `chiendich progress` and `chiendich kpi` of the province before and after.
3. Baseline: `tar -cf` of the same files (SQLite: the database file, checkpointed first,
   and the result files and uploads; no snapshot, no manifest) and `tar -xf` of it;
   PostgreSQL: the files, plus `pg_dump -Fc` alone and `pg_restore` alone.
"""

# ruff: noqa: S603, S607 - benchmarks run our own tools, tar and the PostgreSQL client

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine, pg_admin, pg_url  # noqa: E402 - the folder is not a package
from bench_dashboard import CHIENDICH  # noqa: E402

FIGURES = [
    ["progress", "--unit", "82", "--date", "2023-10-18", "--format", "json"],
    ["kpi", "--unit", "82", "--from", "2023-09-01", "--to", "2023-10-30", "--format", "json"],
]


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def figures(env: dict[str, str]) -> list[str]:
    return [run([CHIENDICH, *f], env)[1] for f in FIGURES]


def size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--gzip", action="store_true", help="also time a .tar.gz backup")
    parser.add_argument("--work", type=Path, default=None, help="folder for the archives")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    url = os.environ.get("DATABASE_URL", "")
    env = dict(os.environ, CHIENDICH_DATA_DIR=str(data_dir))
    env.setdefault("CHIENDICH_SECRET_KEY", secrets.token_urlsafe(50))
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start")
    print(f"Data: {data_dir} ({'PostgreSQL' if url else 'SQLite'})")
    before = figures(env)
    work = Path(tempfile.mkdtemp(prefix="bench-backup-", dir=args.work))
    archive = work / "chiendich.tar"
    rows: list[tuple[str, float, str]] = []

    seconds, _ = run([CHIENDICH, "backup", str(archive)], env)
    rows.append(("chiendich backup (.tar)", seconds, size(archive)))
    if args.gzip:
        gz = work / "chiendich.tar.gz"
        seconds, _ = run([CHIENDICH, "backup", str(gz)], env)
        rows.append(("chiendich backup (.tar.gz)", seconds, size(gz)))

    target = work / "restored"
    restore_env = dict(env, CHIENDICH_DATA_DIR=str(target / "var"))
    restore_env.pop("CHIENDICH_RESULTS_DIR", None)
    database = f"bench_restore_{os.getpid()}"
    if url:
        pg_admin(url, f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}")
        restore_env["DATABASE_URL"] = pg_url(url, database)
    try:
        seconds, _ = run([CHIENDICH, "restore", str(archive)], restore_env)
        rows.append(("chiendich restore (empty database)", seconds, ""))
        same = figures(restore_env) == before
        plain = work / "plain.tar"
        if url:
            dump = work / "plain.pgdump"
            started = time.perf_counter()
            subprocess.run(["pg_dump", "-Fc", "-f", str(dump), url], check=True)
            rows.append(("baseline: pg_dump -Fc alone", time.perf_counter() - started, size(dump)))
            second = f"{database}_plain"
            pg_admin(url, f"DROP DATABASE IF EXISTS {second}", f"CREATE DATABASE {second}")
            try:
                started = time.perf_counter()
                subprocess.run(["pg_restore", "-d", pg_url(url, second), str(dump)], check=True)
                rows.append(("baseline: pg_restore alone", time.perf_counter() - started, ""))
            finally:
                pg_admin(url, f"DROP DATABASE IF EXISTS {second}")
        else:
            with sqlite3.connect(data_dir / "chiendich.sqlite3") as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # What the archive holds: the database file (SQLite), the result files, the uploads.
        names = ("results", "imports") if url else ("chiendich.sqlite3", "results", "imports")
        parts = [p for p in names if (data_dir / p).exists()]
        started = time.perf_counter()
        subprocess.run(["tar", "-cf", str(plain), "-C", str(data_dir), *parts], check=True)
        rows.append(
            ("baseline: tar -cf of the same files", time.perf_counter() - started, size(plain))
        )
        unpacked = work / "plain"
        unpacked.mkdir()
        started = time.perf_counter()
        subprocess.run(["tar", "-xf", str(plain), "-C", str(unpacked)], check=True)
        rows.append(("baseline: tar -xf of it", time.perf_counter() - started, ""))
    finally:
        if url:
            pg_admin(url, f"DROP DATABASE IF EXISTS {database}")
        subprocess.run(["rm", "-rf", str(work)], check=True)

    print(f"\n{'step':<40} {'seconds':>8}  size")
    for name, seconds, note in rows:
        print(f"{name:<40} {seconds:>8.1f}  {note}")
    times = {name: seconds for name, seconds, _ in rows}
    floor = times["baseline: tar -cf of the same files"]
    print(f"backup / tar -cf: {times['chiendich backup (.tar)'] / floor:.1f}x")
    print(
        f"restore / tar -xf: "
        f"{times['chiendich restore (empty database)'] / times['baseline: tar -xf of it']:.1f}x"
    )
    print(f"figures after restore equal before (progress, kpi of province 82): {same}")


if __name__ == "__main__":
    main()
