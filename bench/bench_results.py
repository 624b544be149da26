"""The results store at 1 million results (issue 8, item 7): full-text search p95 under
100 ms and the once-only lookup under 10 ms, on SQLite and PostgreSQL.

    uv run python bench/bench_results.py --work /tmp/br [--rows 1000000] [--repeat 5]
    DATABASE_URL=postgres://... uv run python bench/bench_results.py --database postgres --work /tmp/br

Setup (not timed; kept in --work, or the PostgreSQL database chiendich_bench_results, and
reused): migrate, load province 82, the demo procedure and result-type catalogues, then
`results.simulate.results_metadata_simulate(rows)`: metadata only (the files are not
needed to search metadata), titles like "Giấy chứng nhận quyền sử dụng đất thửa số 12
cho Nguyễn Văn An, Xã Trung Hòa, Huyện Chợ Gạo", subjects drawn from rows/3 citizens.

Ours, in a fresh child process, timed around each call:
- search: `results.selectors.result_search(user, SearchFilters(query=q))`, the page's
  whole query (scope, current versions, the index, newest 50 + 1, rows fetched as
  model objects), for 30 queries read off random stored rows (a person's name and
  commune; a result type and a district; a number and symbol; and broad ones such
  as "quyet dinh dat dai" that match ~90,000 rows), each `--repeat` times, as the
  province administrator (no scope filter) and as a district officer (scoped).
- once-only: `results.selectors.once_only_results(user, id, procedure)` for 300 stored
  citizens' ID numbers and a procedure accepting their result type.
Baselines in the same child: the engine alone through the raw cursor: the FTS5 MATCH
(SQLite) or tsvector @@ query (PostgreSQL) for the same words, newest 51 ids; and a
primary-key SELECT of one row for the once-only lookup.

The bulk import of a zip (issue 15 item 6: the results import on the import pipeline
must be as fast as the code before it), SQLite:

    git archive main src | tar -x -C /tmp/r/before
    uv run python bench/bench_results.py --import-rows 2000 --runs 3 \
        --before /tmp/r/before/src --work /tmp/br-import

builds a zip of `--import-rows` one-page PDFs (with a text layer) and its danh-sach.csv
(enterprise subjects, commune units, result type KH.DN), then per run, in fresh child
processes on a fresh copy of a migrated database (province 82, the catalogues), taking
turns and alternating who goes first: ours and the code in `--before` (its src folder),
each timing `results_import(zip, dry_run=True)` (the web's check) and then
`results_import(zip)` (stores every row). Prints each run, the medians and the ratio
ours/before.
"""

# ruff: noqa: S603, S608, S311 - benchmarks run our own tools; SQL from our own names

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, child_env, machine, pg_admin, pg_url, work_folder  # noqa: E402

PG_DB = "chiendich_bench_results"


def _django() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    import django

    django.setup()


def _child_setup(rows: str) -> dict[str, Any]:
    from django.core.management import call_command

    _django()
    from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
    from chiendich.results.catalogue import result_types_load
    from chiendich.results.simulate import results_metadata_simulate
    from chiendich.units.loading import units_load

    call_command("migrate", verbosity=0, interactive=False)
    units_load(82, dt.date(2023, 9, 1))
    catalogue_load(DEMO_CATALOGUE)
    result_types_load()
    started = time.perf_counter()
    written = results_metadata_simulate(int(rows))
    return {"rows": written, "seconds": time.perf_counter() - started}


def _django_at() -> None:
    """Django from the source tree in BENCH_BEFORE_SRC (--before), else ours."""
    sys.path.insert(0, os.environ.get("BENCH_BEFORE_SRC") or str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    import django

    django.setup()


def _import_base() -> dict[str, Any]:
    from django.core.management import call_command

    _django()
    from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
    from chiendich.results.catalogue import result_types_load
    from chiendich.units.loading import units_load

    call_command("migrate", verbosity=0, interactive=False)
    units_load(82, dt.date(2023, 9, 1))
    catalogue_load(DEMO_CATALOGUE)
    result_types_load()
    return {}


def _import_zip(path: str, rows: str) -> dict[str, Any]:
    """A zip of `rows` one-page PDFs and their danh-sach.csv (not timed)."""
    import csv
    import io
    import tempfile
    import zipfile

    _django()
    from chiendich.results.simulate import _demo_pdf
    from chiendich.units.models import Unit

    communes = list(
        Unit.objects.filter(level="commune").order_by("code").values_list("code", flat=True)
    )
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(
        ["Tệp", "Mã cơ quan ban hành", "Số ký hiệu", "Ngày ban hành", "Trích yếu",
         "Mã loại kết quả", "Số định danh/Mã doanh nghiệp", "Họ tên/Tên tổ chức"]
    )  # fmt: skip
    day = dt.date(2023, 9, 7)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path, "w") as z:
        for i in range(int(rows)):
            name = f"{i + 1:06d}.pdf"
            title = f"Giấy chứng nhận đăng ký doanh nghiệp Công ty TNHH Số {i + 1}"
            number = f"{i + 1}/GCN"
            _demo_pdf(Path(tmp) / name, title, number, day)
            z.write(Path(tmp) / name, name)
            writer.writerow(
                [name, communes[i % len(communes)], number, f"{day:%d/%m/%Y}", title,
                 "KH.DN", f"12{i:08d}", f"Công ty TNHH Số {i + 1}"]
            )  # fmt: skip
        z.writestr("danh-sach.csv", table.getvalue())
    return {"rows": int(rows), "bytes": Path(path).stat().st_size}


def _import_run(path: str) -> dict[str, Any]:
    """Time the check (dry run) and the import of the zip, in this child's code."""
    _django_at()
    from chiendich.results.importing import results_import

    started = time.perf_counter()
    checked = results_import(Path(path), dry_run=True)
    dry = time.perf_counter() - started
    started = time.perf_counter()
    stored = results_import(Path(path))
    real = time.perf_counter() - started
    if checked.error_count or stored.error_count or stored.created != stored.rows_read:
        raise RuntimeError(f"refused: {stored.errors[:3]}")
    return {"dry": dry, "real": real, "created": stored.created}


def import_bench(args: argparse.Namespace, work: Path) -> None:
    import shutil

    from _common import fmt_runs, median, sqlite_copy

    base = work / "import-base"
    bundle = work / f"bundle-{args.import_rows}.zip"
    if not (base / "ready").exists():
        base.mkdir(parents=True, exist_ok=True)
        run_child(["_import_base"], child_env(base))
        (base / "ready").write_text("")
    if not bundle.exists():
        made = run_child(["_import_zip", str(bundle), str(args.import_rows)], child_env(base))
        print(f"bundle: {made['rows']:,} rows, {made['bytes'] / 1e6:.1f} MB (not timed)")
    sides = {"ours": None, "before": str(args.before.resolve())} if args.before else {"ours": None}
    runs: dict[str, dict[str, list[float]]] = {s: {"dry": [], "real": []} for s in sides}
    for n in range(args.runs):
        order = list(sides) if n % 2 == 0 else list(reversed(sides))
        for side in order:
            folder = work / f"run-{side}"
            if folder.exists():
                shutil.rmtree(folder)
            sqlite_copy(base / "chiendich.sqlite3", folder)
            env = child_env(folder)
            if sides[side]:
                env["BENCH_BEFORE_SRC"] = str(sides[side])
            r = run_child(["_import_run", str(bundle)], env)
            runs[side]["dry"].append(r["dry"])
            runs[side]["real"].append(r["real"])
            print(f"  run {n + 1} {side}: check {r['dry']:.2f} s, import {r['real']:.2f} s")
    print(f"results import of {args.import_rows:,} rows (zip), SQLite, load {os.getloadavg()}")
    for what, label in (("dry", "check (dry run)"), ("real", "import")):
        for side in sides:
            print(f"  {label}, {side}: {fmt_runs(runs[side][what])}")
        if "before" in sides:
            ratio = median(runs["ours"][what]) / median(runs["before"][what])
            print(f"  {label}: ours/before {ratio:.2f}x")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _stats(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {"median": statistics.median(ms), "p95": _pct(ms, 0.95), "max": max(ms), "n": len(ms)}


def _queries(rng: random.Random) -> list[str]:
    from chiendich.core.text import fold
    from chiendich.results.models import Result

    top = Result.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    out = ["quyet dinh dat dai", "giay chung nhan quyen su dung dat", "trich luc khai sinh"]
    for _ in range(9):
        r = Result.objects.select_related("unit", "unit__parent", "result_type").get(
            pk=rng.randrange(1, top + 1)
        )
        given = r.subject_name.split()
        out.append(f"{fold(r.subject_name)} {fold(r.unit.name)}")
        out.append(f"{fold(r.result_type.name)} {fold(r.unit.parent.name)}")
        out.append(f"{given[0]} {given[-1]} {r.number_symbol.split('/')[0]}")
    out.append("123/QĐ-UBND")
    out.append(Result.objects.get(pk=rng.randrange(1, top + 1)).number_symbol)
    out.append("khong co tu nay dau")
    return out[:30]


def _child_measure(repeat: str) -> dict[str, Any]:
    _django()
    from django.db import connection

    from chiendich.accounts.models import User
    from chiendich.accounts.roles import Role
    from chiendich.procedures.models import Procedure
    from chiendich.results.documents import query_terms
    from chiendich.results.models import AcceptedEvidence, Result
    from chiendich.results.search import FTS, PG_CONFIG
    from chiendich.results.selectors import SearchFilters, once_only_results, result_search
    from chiendich.units.models import Unit

    rng = random.Random(383)
    admin = User(is_superuser=True, is_active=True, username="bench-admin")
    district = User.objects.filter(username="bench-district").first()
    if district is None:
        district = User.objects.create(username="bench-district", role=Role.DISTRICT_OFFICER)
        district.units.set([Unit.objects.get(code="822")])  # Huyện Chợ Gạo
    queries = _queries(rng)
    n = int(repeat)
    ours: dict[str, list[float]] = {"admin": [], "district": []}
    base: list[float] = []
    hits: dict[str, int] = {}
    with connection.cursor() as cursor:
        for q in queries:
            terms = query_terms(q)
            for _ in range(n):
                for who, user in (("admin", admin), ("district", district)):
                    started = time.perf_counter()
                    outcome = result_search(user, SearchFilters(query=q))
                    ours[who].append(time.perf_counter() - started)
                    if who == "admin":
                        hits[q] = len(outcome.rows) + len(outcome.exact)
                started = time.perf_counter()
                if connection.vendor == "sqlite":
                    cursor.execute(
                        f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s ORDER BY rowid DESC LIMIT 51",
                        [" ".join(f'"{t}"' for t in terms)],
                    )
                else:
                    cursor.execute(
                        "SELECT id FROM results_result WHERE search_vector @@"
                        f" to_tsquery('{PG_CONFIG}', %s) ORDER BY id DESC LIMIT 51",
                        [" & ".join(terms)],
                    )
                cursor.fetchall()
                base.append(time.perf_counter() - started)
        # Once-only: citizens whose result type a procedure accepts.
        evidence = {}
        for procedure_id, type_id in AcceptedEvidence.objects.values_list(
            "procedure_id", "result_type_id"
        ):
            evidence.setdefault(type_id, procedure_id)
        procedures = Procedure.objects.in_bulk(set(evidence.values()))
        top = Result.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
        once, pk_base, found = [], [], 0
        for _ in range(300):
            pk = rng.randrange(1, top + 1)
            subject, type_id = Result.objects.values_list("subject_id", "result_type_id").get(pk=pk)
            procedure = procedures[evidence[type_id]] if type_id in evidence else None
            if procedure is None:
                continue
            started = time.perf_counter()
            found += len(once_only_results(admin, subject, procedure))
            once.append(time.perf_counter() - started)
            started = time.perf_counter()
            cursor.execute("SELECT * FROM results_result WHERE id = %s", [pk])
            cursor.fetchall()
            pk_base.append(time.perf_counter() - started)
    return {
        "vendor": connection.vendor,
        "rows": Result.objects.count(),
        "queries": len(queries),
        "search_admin": _stats(ours["admin"]),
        "search_district": _stats(ours["district"]),
        "search_engine": _stats(base),
        "once_only": _stats(once),
        "pk_select": _stats(pk_base),
        "once_only_found": found,
        "hits": hits,
    }


CHILDREN = {
    "_setup": _child_setup,
    "_measure": _child_measure,
    "_import_base": _import_base,
    "_import_zip": _import_zip,
    "_import_run": _import_run,
}


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--import-rows", type=int, default=0, help="bench the zip import")
    parser.add_argument("--runs", type=int, default=3, help="import runs per side")
    parser.add_argument("--before", type=Path, help="an older src folder to compare with")
    args = parser.parse_args()
    print(machine())
    with work_folder(args.work, "bench-results-") as work:
        if args.import_rows:
            import_bench(args, work)
            return
        if args.database == "sqlite":
            folder = work / f"results-{args.rows}"
            env = child_env(folder)
            ready = folder / "ready"
        else:
            url = os.environ.get("DATABASE_URL", "")
            if not url.startswith("postgres"):
                raise SystemExit("--database postgres needs DATABASE_URL")
            env = child_env(work / "pg", pg_url(url, f"{PG_DB}_{args.rows}"))
            ready = work / f"pg-ready-{args.rows}"
        if not ready.exists():
            folder = work / f"results-{args.rows}"
            folder.mkdir(parents=True, exist_ok=True)
            if args.database == "postgres":
                name = f"{PG_DB}_{args.rows}"
                pg_admin(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
            made = run_child(["_setup", str(args.rows)], env)
            print(f"setup: {made['rows']:,} results written in {made['seconds']:.1f} s (not timed)")
            ready.write_text("")
        r = run_child(["_measure", str(args.repeat)], env)
        print(f"database: {r['vendor']}, {r['rows']:,} results, {r['queries']} queries")

        def line(label: str, s: dict[str, float], base: dict[str, float] | None = None) -> None:
            ratio = f", ratio of medians {s['median'] / base['median']:.1f}x" if base else ""
            print(
                f"  {label}: median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms, "
                f"max {s['max']:.2f} ms (n={s['n']}){ratio}"
            )

        line("search, province admin", r["search_admin"], r["search_engine"])
        line("search, district officer", r["search_district"], r["search_engine"])
        line("baseline: engine alone (raw MATCH / @@, 51 ids)", r["search_engine"])
        line("once-only lookup", r["once_only"], r["pk_select"])
        line("baseline: primary-key SELECT", r["pk_select"])
        goal_search = r["search_admin"]["p95"] < 100 and r["search_district"]["p95"] < 100
        goal_once = r["once_only"]["p95"] < 10
        print(f"goal search p95 < 100 ms: {'met' if goal_search else 'MISSED'}")
        print(f"goal once-only p95 < 10 ms: {'met' if goal_once else 'MISSED'}")
        print("hits per query (admin, first 51):", json.dumps(r["hits"], ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        mode, *rest = sys.argv[1:]
        print(json.dumps(CHILDREN[mode](*rest)))
    else:
        main()
