"""The Monday report for the whole province as XLSX and as PDF (issue 6, item 7: < 5 s each).

    uv run python bench/bench_reports.py --work /tmp/br [--runs 5] [--scale 1]

Setup (not timed; kept in --work and reused): `chiendich demo --no-serve --scale S`
(the full simulated campaign at S = 1: 1.4 million citizens, daily counts, 700,000
dossiers, the expected reports). Timed, in one process: the Monday report of
16/10/2023 of province 82 (11 districts, VNeID table, emulation ranking with the
TTHC indicators, lagging and forecast lists, communication activities, trend),
computed from the stored counts and rendered (a) as XLSX, (b) as PDF, each from
scratch (`reporting.selectors.report_file`).

Baseline, in the same process on the same rows: the computed tables written as
CSV with the standard library (the least work any export of these numbers does),
so the ratio shows what the official formatting costs over the computation.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    os.environ["CHIENDICH_DATA_DIR"] = str(args.work)
    if not (args.work / "chiendich.sqlite3").exists() and "DATABASE_URL" not in os.environ:
        print(f"setup: chiendich demo --no-serve --scale {args.scale} in {args.work}", flush=True)
        subprocess.run(  # noqa: S603 - our own command
            [
                shutil.which("uv") or "uv",
                "run",
                "chiendich",
                "demo",
                "--no-serve",
                "--scale",
                str(args.scale),
            ],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    django.setup()
    import datetime as dt

    from chiendich.reporting.content import report_content
    from chiendich.reporting.models import Report
    from chiendich.reporting.selectors import report_file, report_for

    report = report_for(Report.objects.all(), "vneid_weekly", "82", dt.date(2023, 10, 16))
    report.snapshot = {}  # time the computation, not a stored snapshot
    report.state = "open"

    def csv_baseline() -> int:
        content = report_content(report)
        out = io.StringIO()
        writer = csv.writer(out)
        for table in content.tables:
            writer.writerow(["name", *table.columns])
            for row in [*table.rows, *([table.total] if table.total else [])]:
                writer.writerow([row.get("name"), *(row.get(c) for c in table.columns)])
        return len(out.getvalue())

    results: dict[str, list[float]] = {"csv (baseline)": [], "xlsx": [], "pdf": []}
    sizes: dict[str, int] = {}
    for _ in range(args.runs):
        for name in results:
            started = time.perf_counter()
            if name == "csv (baseline)":
                sizes[name] = csv_baseline()
            else:
                sizes[name] = len(report_file(report, name)[0])
            results[name].append(time.perf_counter() - started)
    base = statistics.median(results["csv (baseline)"])
    print(f"Monday report 16/10/2023, province 82, {args.runs} runs, scale {args.scale:g}")
    for name, runs in results.items():
        med = statistics.median(runs)
        print(
            f"  {name:15} median {med:.2f} s (runs {', '.join(f'{r:.2f}' for r in runs)}), "
            f"{sizes[name]:,} bytes, {med / base:.2f}x baseline"
        )
    worst = max(statistics.median(results["xlsx"]), statistics.median(results["pdf"]))
    print(f"goal < 5 s each: {'met' if worst < 5 else 'MISSED'} (slowest {worst:.2f} s)")


if __name__ == "__main__":
    sys.exit(main())
