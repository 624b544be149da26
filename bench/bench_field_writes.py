"""Door-to-door writes per second, alone and during a police-list import (issue 16).

    uv run python bench/bench_field_writes.py [--writers 50] [--seconds 60] [--rows 300000]
    uv run python bench/bench_field_writes.py --database postgres   # uses DATABASE_URL

The province: units 82 and the demo's hamlets, a police list of --rows people
as of 20/09/2023 imported, daily counts built from the peak's first day to
18/10/2023 (the campaign's "today", CHIENDICH_TODAY). The writers: 80% volunteers
(each in a team of one hamlet) and 20% commune officers, over the five largest
communes, each posting outcomes for random people of their hamlet or commune to
POST /api/visits/ on a threaded WSGI server (field/tests/writers.py), one
request at a time, for --seconds; on 503 they wait (Retry-After, capped at 1 s)
and send the same outcome again. "During an import": the same, while the list
of the same people as of 18/10/2023 imports in another process (new statuses:
events and updates), the writers going on until it ends.

Baseline, in the same run: the write paths before issue 16 (each outcome
recounts its hamlet inside its transaction; the import reads, checks and writes
in one transaction). Each scenario starts from a fresh copy of the prepared
database. Printed per scenario: outcomes stored per second, answers by status
(0 = dropped or timed out; 202 = accepted into the field inbox while the database
was busy past CHIENDICH_FIELD_WAIT_SECONDS, written later), retries after 503,
latency p50/p95/max of the answers (201 and 202: what a writer waits), the longest
wait for a 202, how many outcomes waited in the inbox when the import committed and
how long writing them took (the import's own drain, as the worker's job does) plus
what was left at the end (drained then, as the worker's heartbeat would), whether
each outcome is stored exactly once and the stored counts equal a recount after
the drain.
"""

# ruff: noqa: S603 - benchmarks run our own tools by design

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402 - the folder is not a package
    REPO,
    child,
    child_env,
    machine,
    pg_admin,
    pg_url,
    sqlite_copy,
    work_folder,
)

TODAY = "2023-10-18"
PRELOAD_AS_OF = "2023-09-20"
PG_PREFIX = "chiendich_bench_fw"  # own names: other benchmarks may run meanwhile
PASSWORD = "bench-383-field"  # noqa: S105 - throwaway users of a throwaway database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--work", type=Path, help="keep files here instead of a temp folder")
    parser.add_argument(
        "--only", choices=["new", "old"], help="run only our path or only the baseline"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the prepared database of --work if there"
    )
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)  # child: CSV, writers
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)  # child: N outcomes
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(_prepare(Path(args.prepare[0]), int(args.prepare[1]))))
        return
    if args.single:
        print(json.dumps(_single(args.single)))
        return
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "postgres" and not url.startswith("postgres"):
        parser.error("--database postgres needs DATABASE_URL=postgres://user:pass@host/db")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with work_folder(args.work, "bench-field-writes-") as work:
        run(args, url, work)


def run(args: argparse.Namespace, url: str, work: Path) -> None:
    print(f"machine: {machine()}")
    print(
        f"database: {args.database}; {args.writers} writers, {args.seconds:g} s; "
        f"list of {args.rows:,} rows"
    )
    template = f"{PG_PREFIX}_template"
    prepared = work / "prepared"
    early, late = work / "police-early.csv", work / "police-late.csv"
    saved = work / f"prepared-{args.database}.json"
    if args.reuse and saved.exists():
        spec = json.loads(saved.read_text())
        print(f"reusing the prepared database of {work}")
    else:
        spec = _prepare_all(args, url, work, template, prepared, early, late)
        saved.write_text(json.dumps(spec))

    # One writer, one outcome at a time: what an outcome costs, old and new path.
    env = _fresh(args.database, url, template, prepared, work / "run-single")
    single = _run_json([sys.executable, __file__, "--single", "30"], env)
    _drop(args.database, url, work / "run-single")
    print(
        f"one outcome, one writer (median of {single['n']}): ours {single['new_ms']:.0f} ms, "
        f"old path {single['old_ms']:.0f} ms; ratio old / ours {single['old_ms'] / single['new_ms']:.1f}x"
    )

    results: dict[tuple[str, str], dict[str, Any]] = {}
    paths = ["new", "old"] if args.only is None else [args.only]
    for path in paths:
        for scenario in ("alone", "import"):
            spec_path = work / f"spec-{path}-{scenario}.json"
            spec_path.write_text(
                json.dumps(
                    {
                        "writers": spec["writers"],
                        "seconds": args.seconds,
                        "import": str(late) if scenario == "import" else None,
                        "old_path": path == "old",
                    }
                )
            )
            env = _fresh(args.database, url, template, prepared, work / f"run-{path}-{scenario}")
            result = _run_json(
                [sys.executable, "-m", "chiendich.field.tests.writers", str(spec_path)], env
            )
            results[(path, scenario)] = result
            _print(path, scenario, result)
            _drop(args.database, url, work / f"run-{path}-{scenario}")
    if args.database == "postgres" and args.work is None:  # nothing left to reuse
        pg_admin(url, f"DROP DATABASE IF EXISTS {template}")
    for scenario in ("alone", "import"):
        new, old = results.get(("new", scenario)), results.get(("old", scenario))
        if new and old and old["writes_per_second"]:
            print(
                f"ratio {scenario}: {new['writes_per_second'] / old['writes_per_second']:.1f}x "
                "the writes per second of the old path"
            )


def _prepare_all(
    args: argparse.Namespace,
    url: str,
    work: Path,
    template: str,
    prepared: Path,
    early: Path,
    late: Path,
) -> dict[str, Any]:
    started = time.perf_counter()
    # Units and hamlets (a SQLite copy always: the CSV writer reads hamlet names there).
    base = work / "base"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    child(["base"], child_env(base))
    for path, as_of in ((early, PRELOAD_AS_OF), (late, TODAY)):
        child(["police-csv", str(path), str(args.rows), as_of], child_env(base))

    # The prepared province: the early list imported, counts built, writers made.
    if args.database == "postgres":
        pg_admin(url, f"DROP DATABASE IF EXISTS {template}", f"CREATE DATABASE {template}")
        child(["base"], child_env(database_url=pg_url(url, template)))
        env = _env(child_env(database_url=pg_url(url, template)))
    else:
        sqlite_copy(base / "chiendich.sqlite3", prepared)
        env = _env(child_env(prepared))
    spec = _run_json([sys.executable, __file__, "--prepare", str(early), str(args.writers)], env)
    print(
        f"prepared in {time.perf_counter() - started:.0f} s: {spec['citizens']:,} citizens, "
        f"{spec['count_rows']:,} count rows, writers over {spec['communes']} communes"
    )

    return spec


def _env(env: dict[str, str]) -> dict[str, str]:
    env["CHIENDICH_TODAY"] = TODAY
    env.setdefault("CHIENDICH_SECRET_KEY", "bench-field-writes-not-a-secret")
    env["PYTHONPATH"] = str(REPO / "src")
    return env


def _fresh(database: str, url: str, template: str, prepared: Path, run_dir: Path) -> dict[str, str]:
    shutil.rmtree(run_dir, ignore_errors=True)
    if database == "postgres":
        name = f"{PG_PREFIX}_run"
        pg_admin(
            url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {template}"
        )
        run_dir.mkdir(parents=True)  # the field inbox's file lives here
        return _env(child_env(run_dir, database_url=pg_url(url, name)))
    sqlite_copy(prepared / "chiendich.sqlite3", run_dir)
    return _env(child_env(run_dir))


def _drop(database: str, url: str, run_dir: Path) -> None:
    if database == "postgres":
        pg_admin(url, f"DROP DATABASE IF EXISTS {PG_PREFIX}_run")
    shutil.rmtree(run_dir, ignore_errors=True)


def _run_json(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _print(path: str, scenario: str, r: dict[str, Any]) -> None:
    label = {"new": "ours", "old": "old path (baseline)"}[path]
    during = "during the import" if scenario == "import" else "alone"
    lat = r.get("latency", {})
    imported = r.get("imported") or {}
    print(
        f"{label}, {during}: {r['writes_per_second']:.1f} outcomes stored/s "
        f"({r['stored']:,} in {r['seconds']:.0f} s); answers {r['statuses']}; "
        f"retried after 503: {r['retried']}; latency p50 {lat.get('p50', 0) * 1000:.0f} ms, "
        f"p95 {lat.get('p95', 0) * 1000:.0f} ms, max {lat.get('max', 0):.1f} s; "
        f"stored exactly once: {r['not_stored_exactly_once'] == 0 and r['stored_without_201'] == 0}; "
        f"counts equal a recount: {r['count_rows_differing'] == 0} ({r['count_rows']:,} rows)"
        + (
            f"; import {imported['seconds']:.1f} s, {imported['valid']:,} rows"
            if "seconds" in imported
            else (f"; import FAILED {imported['error'][-300:]}" if "error" in imported else "")
        )
    )
    statuses = r["statuses"]
    fives = sum(n for status, n in statuses.items() if status.startswith("5"))
    if "inbox_at_end" in r:  # our path (the old one has no inbox)
        longest = r.get("max_seconds_202")
        print(
            f"  {label}, {during}: {statuses.get('202', 0):,} answered 202, "
            f"{fives} answered 5xx, {statuses.get('0', 0)} dropped; longest wait for a 202: "
            + (f"{longest:.1f} s" if longest is not None else "-")
            + (
                f"; the import's drain: {imported.get('inbox_after_import', 0):,} waiting, "
                f"written in {imported.get('drain_seconds', 0):.1f} s"
                if "seconds" in imported
                else ""
            )
            + f"; left at the end: {r['inbox_at_end']:,}, written in "
            f"{r['final_drain_seconds']:.1f} s"
        )


# --- child side ---------------------------------------------------------------------


def _single(n: int) -> dict[str, Any]:
    """Median wall time of `n` outcomes recorded one after the other, ours then the old
    path's, for people of the largest commune (the same people, different outcomes)."""
    import django

    django.setup()
    import statistics

    from chiendich.core import clock
    from chiendich.field.services import visit_record
    from chiendich.field.tests.writers import _old_paths
    from chiendich.vneid.models import Citizen

    people = list(Citizen.objects.order_by("id")[: 2 * n])
    day = clock.today()

    def timed(group: list[Any], outcome: str) -> float:
        times = []
        for citizen in group:
            started = time.perf_counter()
            visit_record(citizen, outcome=outcome, day=day, acting_user=None)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    new_ms = timed(people[:n], "activated_l1")
    with _old_paths():
        old_ms = timed(people[n:], "activated_l1")
    return {"n": n, "new_ms": new_ms, "old_ms": old_ms}


# --- child side: prepare the province --------------------------------------------------


def _prepare(early: Path, writers: int) -> dict[str, Any]:
    import django

    django.setup()
    import datetime as dt

    from django.db.models import Count

    from chiendich.accounts.roles import Role
    from chiendich.accounts.services import user_create
    from chiendich.api.services import api_token_rotate
    from chiendich.field.models import Team, TeamType
    from chiendich.units.models import Level, Unit
    from chiendich.vneid.counts import counts_rebuild
    from chiendich.vneid.importing import citizens_import
    from chiendich.vneid.models import Citizen

    citizens_import(early, errors_path=early.with_suffix(".loi.xlsx"))
    count_rows = counts_rebuild(dt.date(2023, 8, 20), dt.date.fromisoformat(TODAY))
    by_commune = Citizen.objects.values("commune_id").annotate(n=Count("id")).order_by("-n")[:5]
    communes = list(Unit.objects.filter(pk__in=[c["commune_id"] for c in by_commune]))
    hamlets = [
        h
        for c in communes
        for h in Unit.objects.filter(parent=c, level=Level.HAMLET).order_by("code")
        if Citizen.objects.filter(unit=h).exists()
    ]
    volunteers = writers - max(1, writers // 5)
    out: list[dict[str, Any]] = []
    for k in range(writers):
        if k < volunteers:
            hamlet = hamlets[k % len(hamlets)]
            user = user_create(
                username=f"tnv-{k}", password=PASSWORD, role=Role.VOLUNTEER, units=[hamlet]
            )
            team = Team.objects.create(
                name=f"Tổ {k}", type=TeamType.VOLUNTEER, commune_id=hamlet.parent_id
            )
            team.hamlets.set([hamlet])
            team.members.set([user])
            people = Citizen.objects.filter(unit=hamlet)
        else:
            commune = communes[k % len(communes)]
            user = user_create(
                username=f"cb-{k}",
                password=PASSWORD,
                role=Role.COMMUNE_OFFICER,
                units=[commune],
            )
            people = Citizen.objects.filter(unit__parent=commune, unit__level=Level.HAMLET)
        ids = list(people.values_list("pk", flat=True)[:5000])
        out.append({"name": f"w{k}", "token": api_token_rotate(user=user), "citizens": ids})
    return {
        "citizens": Citizen.objects.count(),
        "count_rows": count_rows,
        "communes": len(communes),
        "writers": out,
    }


if __name__ == "__main__":
    main()
