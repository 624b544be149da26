"""Peak memory of the police-list import as the list grows: the code before against ours,
in the same run (issue 15, item 1: "peak memory under 1 GiB, or stream in chunks").

    uv run python bench/bench_import_memory.py --work /tmp/import-memory \\
        --sizes 300000,1500000,2700000 --dry-sizes 10000000 --before main

Data: the police lists and the template database of bench/bench_scale.py (today's
Đồng Tháp at scale 0, no citizens; the simulated province's list at each size),
made in --work when missing and reused.

Per size and side (the code before: `--before`'s src folder, taken with git archive;
ours: this tree), in a child process of its own: `citizens_import` into a fresh copy
of the template (a real run: check, stage, merge, recount, commit), then for
--dry-sizes a dry run (check only, nothing written: what it keeps of the rows it has
read, the per-row state, without the database's page cache). Printed: the seconds,
the child's peak RSS (ru_maxrss, Django included) and its RSS after Django started,
and the report's counts, which must be the same on both sides, with a digest of
the error file's rows. At the end, one table with the ratios ours / before and the
growth of the peak RSS per million rows.
"""

# ruff: noqa: S603, S607 - a benchmark runs git and its own children by design

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    REPO,
    child_env,
    machine,
    median,
    sqlite_copy,
)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f}"


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child_import(path: str, dry_run: bool) -> dict[str, Any]:
    """In the child: citizens_import(path) with the src folder of BENCH_BEFORE_SRC or ours."""
    from _common import _setup

    _setup()
    import chiendich

    base_kib = _rss_kib()
    from chiendich.vneid.importing import citizens_import

    errors_path = Path(path).with_name(f"errors-{os.getpid()}.xlsx")
    cpu_started = time.process_time()
    started = time.perf_counter()
    report = citizens_import(Path(path), dry_run=dry_run, errors_path=errors_path)
    seconds = time.perf_counter() - started
    # This process only; on SQLite the database's work too. Steadier than the wall
    # clock when other work shares the cores.
    cpu = time.process_time() - cpu_started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = ""
    if errors_path.exists():
        import openpyxl

        book = openpyxl.load_workbook(errors_path, read_only=True)
        h = hashlib.sha256()
        for row in book.active.iter_rows(values_only=True):
            h.update(repr(row).encode())
        digest = h.hexdigest()[:16]
        errors_path.unlink()
    return {
        "src": str(Path(chiendich.__file__).parents[1]),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "max_rss_kib": peak_kib,
        "base_rss_kib": base_kib,
        "rows_read": report.rows_read,
        "rows_valid": report.rows_valid,
        "rows_rejected": report.rows_rejected,
        "created": report.created,
        "households": report.households_created,
        "events": report.events_created,
        "error_count": report.error_count,
        "errors_digest": digest,
    }


def run_child(path: Path, env: dict[str, str], dry_run: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__)), "--child", str(path)]
    if dry_run:
        command.append("--dry-run")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def before_src(work: Path, ref: str) -> tuple[Path, str]:
    """The src folder of `ref`, extracted once into `work`."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    target = work / f"before-{sha}"
    if not (target / "src").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", sha, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src", sha


COUNTS = ("rows_read", "rows_valid", "rows_rejected", "created", "households", "events")


def main() -> None:  # noqa: C901, PLR0915 - one driver
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="300000,1500000,2700000", help="real imports")
    parser.add_argument("--dry-sizes", default="10000000", help="dry runs (check only)")
    parser.add_argument("--before", default="main", help="git ref of the code before")
    parser.add_argument(
        "--ours", help="git ref of ours (default: this tree's src folder, as it is)"
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--sides", default="before,ours", help="which sides to run (ours alone: a long run)"
    )
    parser.add_argument("--dry-first", action="store_true", help="the dry runs before the imports")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_import(args.child, args.dry_run)))
        return
    if args.work is None:
        parser.error("--work is required")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    import yaml
    from bench_scale import TREES, police_csv

    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    plan_file = TREES["dong-thap-2025"]
    plan_code = yaml.safe_load(plan_file.read_text(encoding="utf-8"))["code"]
    template_dir = work / "template-sqlite"
    if not (template_dir / "chiendich.sqlite3").exists():
        from _common import child

        template_dir.mkdir(parents=True, exist_ok=True)
        child(["base-plan", str(plan_file)], child_env(template_dir))
    old_src, sha = before_src(work, args.before)
    our_src, our_sha = before_src(work, args.ours) if args.ours else (REPO / "src", "this tree")
    print(f"machine: {machine()}")
    print(
        f"load average at start: {load()}; before = {args.before} ({sha}), "
        f"ours = {args.ours or 'this tree'} ({our_sha}); SQLite"
    )

    plan = [(int(n), False) for n in args.sizes.split(",") if n]
    dry = [(int(n), True) for n in args.dry_sizes.split(",") if n]
    plan = dry + plan if args.dry_first else plan + dry
    results: list[dict[str, Any]] = []
    for rows, dry_run in plan:
        csv_path, made = police_csv(work, rows, template_dir, plan_code)
        what = "dry run" if dry_run else "import"
        print(f"\n=== {made['rows']:,} rows, {what}; load average {load()} ===")
        entry: dict[str, Any] = {"rows": made["rows"], "dry_run": dry_run}
        sides = [side for side in ("before", "ours") if side in args.sides.split(",")]
        for side in ("before", "ours"):
            entry[side] = []
        for i in range(args.runs):
            for side in sides:
                run_dir = work / f"run-{side}"
                shutil.rmtree(run_dir, ignore_errors=True)
                sqlite_copy(template_dir / "chiendich.sqlite3", run_dir)
                env = child_env(run_dir)
                env["BENCH_BEFORE_SRC"] = str(old_src if side == "before" else our_src)
                result = run_child(csv_path, env, dry_run)
                shutil.rmtree(run_dir, ignore_errors=True)
                entry[side].append(result)
                print(
                    f"  {side:6} run {i + 1}: {result['seconds']:.1f} s "
                    f"({made['rows'] / result['seconds']:,.0f} rows/s; CPU "
                    f"{result.get('cpu_seconds', 0):.1f} s), peak RSS "
                    f"{result['max_rss_kib'] / 1024:,.0f} MiB (after Django started "
                    f"{result['base_rss_kib'] / 1024:,.0f} MiB), {result['rows_valid']:,} valid, "
                    f"{result['rows_rejected']:,} rejected, {result['created']:,} citizens, "
                    f"{result['households']:,} households, {result['events']:,} events, "
                    f"{result['error_count']:,} errors [{result['errors_digest']}]; "
                    f"load {load()}"
                )
        runs = entry["before"] + entry["ours"]
        same = (
            all(
                tuple(r[k] for k in (*COUNTS, "error_count", "errors_digest"))
                == tuple(runs[0][k] for k in (*COUNTS, "error_count", "errors_digest"))
                for r in runs
            )
            and len(sides) == 2
        )  # noqa: PLR2004
        entry["same"] = same
        print(f"  same counts and error file on both sides: {'yes' if same else 'NO'}")
        results.append(entry)
        (work / "memory.json").write_text(json.dumps(results, indent=1))

    print(f"\nload average at the end: {load()}")
    print(
        "\n| rows | run | before: seconds | ours: seconds | time ours/before "
        "| before: CPU | ours: CPU | CPU ours/before "
        "| before: peak RSS | ours: peak RSS | RSS ours/before | same results |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for e in results:
        if not (e["before"] and e["ours"]):
            continue
        b_s = median([r["seconds"] for r in e["before"]])
        o_s = median([r["seconds"] for r in e["ours"]])
        b_c = median([r.get("cpu_seconds", math.nan) for r in e["before"]])
        o_c = median([r.get("cpu_seconds", math.nan) for r in e["ours"]])
        b_m = max(r["max_rss_kib"] for r in e["before"]) / 1024
        o_m = max(r["max_rss_kib"] for r in e["ours"]) / 1024
        print(
            f"| {e['rows']:,} | {'dry run' if e['dry_run'] else 'import'} | {b_s:.1f} s "
            f"| {o_s:.1f} s | {o_s / b_s:.2f} | {b_c:.1f} s | {o_c:.1f} s | {o_c / b_c:.2f} "
            f"| {b_m:,.0f} MiB | {o_m:,.0f} MiB "
            f"| {o_m / b_m:.2f} | {'yes' if e['same'] else 'NO'} |"
        )
    for dry_run in (False, True):
        series = [e for e in results if e["dry_run"] == dry_run]
        if len(series) >= 2 and all(e["before"] and e["ours"] for e in series):  # noqa: PLR2004
            first, last = series[0], series[-1]
            millions = (last["rows"] - first["rows"]) / 1e6
            for side in ("before", "ours"):
                grow = (
                    max(r["max_rss_kib"] for r in last[side])
                    - max(r["max_rss_kib"] for r in first[side])
                ) / 1024
                print(
                    f"peak RSS growth, {'dry runs' if dry_run else 'imports'}, {side}: "
                    f"{grow / millions:+,.0f} MiB per million rows "
                    f"({first['rows']:,} -> {last['rows']:,})"
                )


if __name__ == "__main__":
    main()
