"""Door-to-door writers under load: many clients posting outcomes to POST /api/visits/
over real HTTP (a threaded WSGI server; every request on its own database
connection) while a police list imports. The harness of test_concurrent_writes.py
and bench/bench_field_writes.py, run in a process of its own:

    python -m chiendich.field.tests.writers SPEC.json      # prints the results as JSON

SPEC holds "writers" (each {"name", "token", "citizens": [ids]}), "seconds" (how
long they write; with an import, at least until it ends), "import" (a police
list to import meanwhile, or null) and "old_path" (the write paths before issue
16, for a baseline: a recount of the hamlet inside each outcome's transaction,
and the import's check and write in one transaction).

A writer answered 503 waits Retry-After (capped) and sends the same outcome again,
as the API tells clients to; each outcome carries a unique note, so "stored
exactly once" is checked against the Visit rows afterwards. A 202 (accepted into
the field inbox while the database was busy) is an answer like 201: the outcome
must be stored once the inbox is drained. The import drains the inbox when it
commits (as imports.services.job_import_run does), and the run drains what is
left at the end (as the worker's heartbeat would), timing how long that takes.
The database is the settings' own: a file SQLite database or PostgreSQL.

    python -m chiendich.field.tests.writers --held SPEC.json

holds the database's write lock (SQLite: BEGIN IMMEDIATE on another connection;
PostgreSQL: the counts lock, exclusive) for SPEC's "hold" seconds while every
writer sends one outcome at once, then sends each again (still held), releases,
drains, sends each a third time, and prints the answers, their times and the
checks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OUTCOMES = [
    "activated_l1",
    "guided",
    "absent",
    "refused",
    "police_l2",
    "free_sim",
    "not_eligible",
]
MODULE = "chiendich.field.tests.writers"
RETRY_CAP_SECONDS = 1.0  # a test cannot wait the full Retry-After; the gap is what matters
REQUEST_TIMEOUT = 120
ACCEPTED = (201, 202)  # stored now, or accepted into the field inbox and stored soon


@dataclass
class Sent:
    """One outcome a writer sent, with its final answer."""

    note: str
    status: int  # 0: no HTTP answer (connection dropped or timed out)
    seconds: float  # from the first try to the final answer
    tries: int


@dataclass
class Results:
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _post(url: str, token: str, body: dict[str, Any]) -> tuple[int, float]:
    """POST `body`; returns the status and the Retry-After asked for (0 if none)."""
    request = urllib.request.Request(  # noqa: S310 - our own server, http on localhost
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as answer:  # noqa: S310
            answer.read()
            return answer.status, 0.0
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, float(error.headers.get("Retry-After") or 0)
    except OSError:
        return 0, 0.0


def _writer(
    url: str, writer: dict[str, Any], stop: threading.Event, results: Results, seed: int
) -> None:
    rng = random.Random(seed)  # noqa: S311 - a load pattern, not a secret
    n = 0
    while not stop.is_set():
        n += 1
        outcome = rng.choice(OUTCOMES)
        body = {
            "citizen": rng.choice(writer["citizens"]),
            "outcome": outcome,
            "note": f"{writer['name']}-{n}",
            "reason": "no_smartphone" if outcome == "not_eligible" else "",
        }
        started, tries = time.perf_counter(), 0
        while True:
            tries += 1
            status, retry_after = _post(url, writer["token"], body)
            if status != 503:
                break
            time.sleep(min(retry_after or 1.0, RETRY_CAP_SECONDS))
        with results.lock:
            results.sent.append(Sent(body["note"], status, time.perf_counter() - started, tries))


@contextmanager
def _server() -> Any:
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    class Server(ThreadedWSGIServer):
        # runserver's listen backlog (10) refuses connections beyond it: fifty
        # clients at once saw "dropped connections". A production server (gunicorn)
        # listens with 2048.
        request_queue_size = 2048

    server = Server(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.daemon_threads = True
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/visits/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _old_paths() -> Any:
    """The write paths before issue 16, for the benchmark's baseline: each outcome
    recounts its hamlet inside its transaction; the import checks and writes in one
    transaction."""
    from django.db import transaction

    from chiendich.field import services
    from chiendich.vneid import counts
    from chiendich.vneid.importing import citizens

    @contextmanager
    def recount(citizen_id: int, *, since: dt.date | None) -> Any:
        from chiendich.vneid.models import Citizen

        yield
        unit = Citizen.objects.values_list("unit_id", flat=True).get(pk=citizen_id)
        counts.counts_refresh([unit], since=since)

    def no_lock(*, shared: bool) -> None:
        pass  # the old code had no counts lock

    whole = citizens.citizens_import

    def import_whole(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            return whole(*args, **kwargs)

    patches = [
        (services, "counts_citizen_follow", recount),
        (services, "counts_lock", no_lock),
        (counts, "counts_lock", no_lock),
        (citizens, "counts_lock", no_lock),
        (citizens, "citizens_import", import_whole),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    for module, name, value in patches:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def _import_child(spec: dict[str, Any], imported: dict[str, Any], started: float) -> None:
    begun = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - this module, in another process
        [sys.executable, "-m", MODULE, "--import", spec["import"]]
        + (["--old-path"] if spec.get("old_path") else []),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        imported["error"] = done.stderr[-3000:]
        return
    imported.update(json.loads(done.stdout.strip().splitlines()[-1]))
    imported["started"] = begun - started


def _import(path: str) -> dict[str, Any]:
    from chiendich.field.inbox import inbox_drain_quietly, inbox_waiting
    from chiendich.vneid.importing import citizens

    started = time.perf_counter()
    report = citizens.citizens_import(Path(path), errors_path=Path(path).with_suffix(".loi.xlsx"))
    seconds = time.perf_counter() - started
    waiting = inbox_waiting()
    drained = inbox_drain_quietly()  # as imports.services.job_import_run does
    return {
        "seconds": seconds,
        "inbox_after_import": waiting,
        "drained_after_import": drained.applied if drained else None,
        "drain_seconds": time.perf_counter() - started - seconds,
        "rows": report.rows_read,
        "valid": report.rows_valid,
        "created": report.created,
        "updated": report.updated,
        "events": report.events_created,
    }


def _warm_up(url: str, token: str) -> None:
    """One read first, so the timed writes do not pay for the process's lazy start."""
    request = urllib.request.Request(  # noqa: S310 - our own server
        url + "?limit=1", headers={"Authorization": f"Token {token}"}
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as answer:  # noqa: S310
        answer.read()


def run(spec_path: str) -> dict[str, Any]:
    """Run the writers (and the import) of the spec at `spec_path`; return what
    happened and whether the database agrees (see module docstring)."""
    spec = json.loads(Path(spec_path).read_text())
    imported: dict[str, Any] = {}
    with _server() as url, _old_paths() if spec.get("old_path") else _nothing():
        _warm_up(url, spec["writers"][0]["token"])
        # The clients run in a process of their own: sharing this one's GIL with the
        # server's threads, fifty of them would slow the server they measure.
        clients = subprocess.Popen(  # noqa: S603 - this module, in another process
            [sys.executable, "-m", MODULE, "--clients", url, spec_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started = time.perf_counter()
        importer = None
        if spec.get("import"):
            # The writers find their pace first; then the import starts in a process of
            # its own, as in the worker (`chiendich db_worker`), not in this one's GIL.
            time.sleep(min(1.0, spec["seconds"] / 4))
            importer = threading.Thread(
                target=_import_child, args=(spec, imported, started), daemon=True
            )
            importer.start()
        time.sleep(spec["seconds"])
        if importer is not None:
            importer.join()
            time.sleep(0.5)  # a few writes after the import, too
        answer, _ = clients.communicate("stop\n")
        elapsed = time.perf_counter() - started
    waiting, drain_seconds = _drain_rest()
    sent = [Sent(**s) for s in json.loads(answer.strip().splitlines()[-1])]
    out = _verify(sent, spec)
    out.update(seconds=elapsed, imported=imported, writes_per_second=out["stored"] / elapsed)
    out["latency"] = _latency([s.seconds for s in sent if s.status in ACCEPTED])
    out["inbox_at_end"] = waiting
    out["final_drain_seconds"] = drain_seconds
    return out


def _drain_rest() -> tuple[int, float]:
    """Drain what the inbox still holds (the worker's heartbeat would): how many
    waited, and how long writing them took."""
    from chiendich.field.inbox import inbox_drain, inbox_waiting

    waiting = inbox_waiting()
    started = time.perf_counter()
    while True:
        drained = inbox_drain()
        if drained.failed:
            raise RuntimeError(f"the inbox did not drain: {drained}")
        if not drained.left:
            break
        time.sleep(0.1)  # another drain (a request's) was running, or the lock was busy
    return waiting, time.perf_counter() - started


def _clients(url: str, spec_path: str) -> list[dict[str, Any]]:
    """The writers, until a line on stdin says stop; returns what each sent."""
    spec = json.loads(Path(spec_path).read_text())
    stop, results = threading.Event(), Results()
    threads = [
        threading.Thread(target=_writer, args=(url, w, stop, results, k), daemon=True)
        for k, w in enumerate(spec["writers"])
    ]
    for thread in threads:
        thread.start()
    sys.stdin.readline()
    stop.set()
    for thread in threads:
        thread.join()
    return [asdict(s) for s in results.sent]


def _latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    values = sorted(values)
    return {
        "p50": values[len(values) // 2],
        "p95": values[min(len(values) - 1, int(len(values) * 0.95))],
        "max": values[-1],
    }


@contextmanager
def _nothing() -> Any:
    yield


def _verify(sent: list[Sent], spec: dict[str, Any]) -> dict[str, Any]:
    """Every outcome answered 201 or 202 is stored exactly once; no other is
    stored; the stored daily counts equal a recount."""
    from django.db.models import Count

    from chiendich.field.models import Visit

    prefixes = {w["name"] for w in spec["writers"]}
    stored = Counter(
        dict(
            Visit.objects.filter(note__regex=r"^[a-z0-9]+-[0-9]+$")
            .values_list("note")
            .annotate(n=Count("id"))
            .values_list("note", "n")
        )
    )
    stored = Counter({k: v for k, v in stored.items() if k.split("-")[0] in prefixes})
    answered = [s for s in sent if s.status in ACCEPTED]
    statuses = Counter(str(s.status) for s in sent)
    twice = sum(1 for s in answered if stored[s.note] != 1)
    unanswered_stored = sum(1 for s in sent if s.status not in ACCEPTED and stored[s.note])
    rows, differing = _counts_check()
    return {
        "sent": len(sent),
        "stored": len(answered),
        "max_seconds_202": max((s.seconds for s in sent if s.status == 202), default=None),
        "statuses": dict(statuses),
        "retried": sum(1 for s in sent if s.tries > 1),
        "not_stored_exactly_once": twice,
        "stored_without_201": unanswered_stored,
        "count_rows": rows,
        "count_rows_differing": differing,
    }


def _counts_check() -> tuple[int, int]:
    """The stored daily count rows, and how many differ from a full recount."""
    from chiendich.vneid.counts import FIELDS, compute_counts
    from chiendich.vneid.models import DailyCount

    rows = {
        (r[0], r[1]): r[2:]
        for r in DailyCount.objects.values_list("unit_id", "date", *FIELDS).order_by()
    }
    span = (min(d for _, d in rows), max(d for _, d in rows)) if rows else None
    recount: dict[tuple[int, dt.date], tuple[int, ...]] = {}
    if span:
        days = (span[1] - span[0]).days + 1
        for unit, fields in compute_counts(*span).items():
            for k in range(days):
                values = tuple(fields.get(f, [0] * days)[k] for f in FIELDS)
                if any(values):
                    recount[(unit, span[0] + dt.timedelta(days=k))] = values
    differing = sum(1 for k in rows.keys() | recount.keys() if rows.get(k) != recount.get(k))
    return len(rows), differing


@contextmanager
def _lock_held() -> Any:
    """Hold what an import's merge holds, from a connection of its own: SQLite's
    write lock (BEGIN IMMEDIATE), PostgreSQL's counts lock exclusive."""
    from django.db import connection

    from chiendich.core.locks import VNEID_COUNTS

    if connection.vendor == "sqlite":
        import sqlite3

        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    from chiendich.conftest import pg_session

    with pg_session() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [VNEID_COUNTS])
        try:
            yield
        finally:
            other.execute("SELECT pg_advisory_unlock(%s)", [VNEID_COUNTS])


def _send_all(url: str, bodies: list[tuple[str, dict[str, Any]]]) -> list[tuple[int, float]]:
    """Every (token, body) at once, each on its own thread: (status, seconds)."""
    answers: list[tuple[int, float]] = [(0, 0.0)] * len(bodies)

    def send(k: int, token: str, body: dict[str, Any]) -> None:
        started = time.perf_counter()
        status, _ = _post(url, token, body)
        answers[k] = (status, time.perf_counter() - started)

    threads = [
        threading.Thread(target=send, args=(k, token, body))
        for k, (token, body) in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def held(spec_path: str) -> dict[str, Any]:
    """The --held run (module docstring)."""
    import uuid

    from chiendich.field.inbox import inbox_drain, inbox_waiting
    from chiendich.field.models import Visit

    spec = json.loads(Path(spec_path).read_text())
    rng = random.Random(383)  # noqa: S311 - a load pattern, not a secret
    bodies = []
    for k, writer in enumerate(spec["writers"]):
        outcome = OUTCOMES[k % len(OUTCOMES)]
        bodies.append(
            (
                writer["token"],
                {
                    "citizen": rng.choice(writer["citizens"]),
                    "outcome": outcome,
                    "note": f"{writer['name']}-1",
                    "reason": "no_smartphone" if outcome == "not_eligible" else "",
                    "client_id": str(uuid.uuid4()),
                },
            )
        )
    out: dict[str, Any] = {}
    with _server() as url:
        _warm_up(url, spec["writers"][0]["token"])
        with _lock_held():
            held_since = time.perf_counter()
            out["first"] = _send_all(url, bodies)
            out["again_while_held"] = _send_all(url, bodies)
            out["waiting_while_held"] = inbox_waiting()
            out["visits_while_held"] = Visit.objects.count()
            out["held_seconds"] = time.perf_counter() - held_since
        # A new outcome after the release joins the waiting ones (202 at once), and
        # once its answer is sent its request drains the inbox (drain_after).
        token, first = bodies[0]
        fresh = dict(first, client_id=str(uuid.uuid4()), note=f"{spec['writers'][0]['name']}-2")
        out["fresh"] = _send_all(url, [(token, fresh)])[0]
        until = time.monotonic() + 10
        while inbox_waiting() >= len(bodies) + 1 and time.monotonic() < until:
            time.sleep(0.05)
        out["waiting_after_fresh"] = inbox_waiting()
        started = time.perf_counter()
        total = {"applied": 0, "failed": 0, "left": 0}
        while time.monotonic() < until + 60:
            drained = inbox_drain()  # skips while the request's own drain still runs
            total["applied"] += drained.applied
            total["failed"] += drained.failed
            total["left"] = drained.left
            if not drained.left:
                break
            time.sleep(0.05)
        out["drain"] = total
        out["drain_seconds"] = time.perf_counter() - started
        out["waiting_after_drain"] = inbox_waiting()
        out["after_drain"] = _send_all(url, bodies)
    ids = [body["client_id"] for _, body in bodies] + [fresh["client_id"]]
    stored = Counter(
        str(c) for c in Visit.objects.filter(client_id__in=ids).values_list("client_id", flat=True)
    )
    out["stored_once"] = sum(1 for i in ids if stored[i] == 1)
    out["stored_not_once"] = sum(1 for i in ids if stored[i] != 1)
    out["count_rows"], out["count_rows_differing"] = _counts_check()
    return out


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    django.setup()
    if sys.argv[1] == "--import":
        with _old_paths() if "--old-path" in sys.argv else _nothing():
            print(json.dumps(_import(sys.argv[2])))
        return
    if sys.argv[1] == "--held":
        print(json.dumps(held(sys.argv[2])))
        return
    if sys.argv[1] == "--clients":
        print(json.dumps(_clients(sys.argv[2], sys.argv[3])))
        return
    print(json.dumps(run(sys.argv[1])))


if __name__ == "__main__":
    main()
