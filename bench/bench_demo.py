"""The full demo build (`chiendich demo --no-serve`), a baseline's code against ours,
back to back on the same machine (issue 15 item 5: PostgreSQL under 2 minutes).

Each run builds the demo into a fresh database with the code of a git revision (the
baseline, exported with `git archive`) and with this worktree's code, alternating, so
both see the same load. Printed per build: wall time, the client's CPU time (the demo
process and the children it forks), the PostgreSQL server's CPU time for that database
(its backends and parallel workers, sampled from /proc), and each step's wall time
(the time between the lines the demo prints). Then medians and ratios (ours / baseline).

    DATABASE_URL=postgres://…/chiendich uv run python bench/bench_demo.py --runs 2
    uv run python bench/bench_demo.py --database sqlite --runs 1 --work /tmp/bd

The databases are `bd_base` and `bd_ours` on that server (dropped and made again for
each build, dropped at the end); SQLite builds go to folders under --work.
"""

# ruff: noqa: S603, S607, T201 - a benchmark runs our own tools and prints

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, child_env, machine, median, pg_admin, pg_url, work_folder

TICK = os.sysconf("SC_CLK_TCK")
# The demo's lines, by how they start: the step each line closes.
STEPS = [
    ("Cơ sở dữ liệu", "start and migrate"),
    ("✓ Đơn vị hành chính", "units"),
    ("✓ Địa giới hiện nay", "today's tree"),
    ("✓ Ấp, khu phố", "hamlets"),
    ("✓ Sở, ban", "organizations"),
    ("✓ Công an và UBND", "police and people's committees"),
    ("✓ Kế hoạch", "plan"),
    ("✓ Người dùng mẫu", "users"),
    ("✓ Ngày của bản demo", "campaign"),
    ("✓ Dân cư mô phỏng", "population"),
    ("✓ Tổ, đội", "teams and visits"),
    ("✓ Số liệu từng ngày", "daily counts (dossiers drawn meanwhile)"),
    ("✓ Hồ sơ TTHC", "dossiers written"),
    ("✓ Chỉ tiêu", "targets"),
    ("✓ Kết quả TTHC", "results"),
    ("✓ Báo cáo phải nộp", "reports and activities"),
    ("Xong sau", "users table"),
]


def export(revision: str, target: Path) -> Path:
    """The code of `revision` as files under `target` (its src/ and plans/)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = target / "code.tar"
    with archive.open("wb") as f:
        subprocess.run(
            ["git", "-C", str(REPO), "archive", revision, "src", "plans"], stdout=f, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target


class ServerCpu(threading.Thread):
    """CPU time of the server processes working for database `name`, sampled twice a
    second (a backend's last half second may be missed)."""

    def __init__(self, url: str, name: str) -> None:
        super().__init__(daemon=True)
        self.url, self.name = url, name
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(pg_url(self.url, "postgres"), autocommit=True) as db:
            while not self.stop.is_set():
                pids = [
                    r[0]
                    for r in db.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name]
                    )
                ]
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / TICK
                self.stop.wait(0.5)

    def total(self) -> float:
        self.stop.set()
        self.join()
        return sum(self.seen.values())


def build(code: Path | None, env: dict[str, str], log: Path) -> dict[str, float]:
    """One `chiendich demo --no-serve`: wall, client and server CPU, and each step's wall."""
    env = dict(env, PYTHONUNBUFFERED="1")
    if code is not None:
        env["PYTHONPATH"] = str(code / "src")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = None
    if "DATABASE_URL" in env:
        server = ServerCpu(env["DATABASE_URL"], env["DATABASE_URL"].rsplit("/", 1)[1])
        server.start()
    started = last = time.monotonic()
    steps: dict[str, float] = {}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "chiendich", "demo", "--no-serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=code or REPO,
        )
        assert process.stdout is not None  # noqa: S101 - piped above
        for line in process.stdout:
            now = time.monotonic()
            out.write(f"{now - started:8.2f} {line}")
            text = line.strip()
            for start, name in STEPS:
                if text.startswith(start):
                    steps[name] = steps.get(name, 0.0) + now - last
                    last = now
                    break
        if process.wait() != 0:
            raise RuntimeError(f"the build failed, see {log}")
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "wall": wall,
        "client CPU": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
        "server CPU": server.total() if server else 0.0,
    }
    return figures | {f"  {k}": v for k, v in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--baseline", default="main", help="git revision of the baseline")
    parser.add_argument(
        "--ours", help="git revision of ours (default: this worktree's files as they are)"
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--keep-databases", action="store_true", help="leave bd_base and bd_ours for a look"
    )
    parser.add_argument("--work", type=Path, help="keep the code, logs and SQLite files here")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url:
        parser.error("--database postgres needs DATABASE_URL (any database on the server)")
    print(machine())
    with work_folder(args.work, "bench-demo-") as work:
        baseline = export(args.baseline, work / "baseline")
        ours = export(args.ours, work / "ours") if args.ours else None
        print(f"baseline: {args.baseline}; ours: {args.ours or f'the worktree {REPO}'}")
        results: dict[str, list[dict[str, float]]] = {"baseline": [], "ours": []}
        loads = []
        for run in range(args.runs):
            for name, code in (("baseline", baseline), ("ours", ours)):
                if args.database == "postgres":
                    db = f"bd_{'base' if name == 'baseline' else 'ours'}"
                    pg_admin(url, f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}")
                    env = child_env(work / f"data-{name}", pg_url(url, db))
                else:
                    folder = work / f"data-{name}"
                    shutil.rmtree(folder, ignore_errors=True)
                    env = child_env(folder)
                loads.append(os.getloadavg()[0])
                figures = build(code, env, work / f"{name}-{run + 1}.log")
                results[name].append(figures)
                print(
                    f"run {run + 1} {name}: {figures['wall']:.1f} s wall, "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
        if args.database == "postgres" and not args.keep_databases:
            pg_admin(url, "DROP DATABASE IF EXISTS bd_base", "DROP DATABASE IF EXISTS bd_ours")
        print(f"\nload average (1 min) at each start: {', '.join(f'{x:.1f}' for x in loads)}")
        print(f"{'medians, seconds':<46} {'baseline':>9} {'ours':>9} {'ratio':>6}")
        keys = list(dict.fromkeys(k for r in results["ours"] + results["baseline"] for k in r))
        for key in keys:
            base = median([r.get(key, 0.0) for r in results["baseline"]])
            ours = median([r.get(key, 0.0) for r in results["ours"]])
            ratio = f"{ours / base:.2f}" if base else "-"
            print(f"{key:<46} {base:9.1f} {ours:9.1f} {ratio:>6}")
        for name in results:
            print(f"{name} walls: {', '.join(f'{r["wall"]:.1f}' for r in results[name])}")


if __name__ == "__main__":
    main()
