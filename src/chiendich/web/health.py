"""`/healthz`: is this web worker able to serve, and is the background worker alive?

For a load balancer, systemd or a monitoring probe: no sign-in, no personal data, never
cached. HTTP 200 when the database answers, 503 when it does not (the web server
cannot serve anything then). The background worker's state is reported in the body
but does not fail the probe: pages are served without it; only imports wait.

The worker's liveness is read from django-tasks' own table: when it last started or
finished a task, and how long the oldest queued task has waited. A task waiting
longer than WORKER_STALL_SECONDS means no worker is taking tasks. `workers` lists the
`chiendich db_worker` processes alive now, by their heartbeat (imports.recovery).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Max, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chiendich.field.inbox import inbox_status

# A worker polls every second; a queued task left a minute means none is running.
WORKER_STALL_SECONDS = 60


def database_status() -> dict[str, Any]:
    """One round trip to the database and its time."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"status": "error", "vendor": connection.vendor, "error": type(exc).__name__}
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _age(now: dt.datetime, then: dt.datetime | None) -> float | None:
    return None if then is None else round((now - then).total_seconds(), 1)


def worker_status(now: dt.datetime) -> dict[str, Any]:
    """The background worker as its tasks show it: last activity, queue, stall."""
    from django_tasks_db.models import DBTaskResult

    from chiendich.imports.recovery import workers_alive

    seen = DBTaskResult.objects.aggregate(started=Max("started_at"), finished=Max("finished_at"))
    last = max((t for t in seen.values() if t is not None), default=None)
    queued = DBTaskResult.objects.ready()
    waiting = queued.aggregate(oldest=Min("enqueued_at"))["oldest"]
    waited = _age(now, waiting)
    stalled = waited is not None and waited > WORKER_STALL_SECONDS
    return {
        "status": "stalled" if stalled else "ok",
        "last_activity": last.isoformat() if last else None,
        "last_activity_age_seconds": _age(now, last),
        "queued": queued.count(),
        "oldest_queued_age_seconds": waited,
        "running": DBTaskResult.objects.running().count(),
        "workers": [
            {
                "host": w.host,
                "pid": w.pid,
                "heartbeat_age_seconds": _age(now, w.heartbeat_at),
            }
            for w in workers_alive(now)
        ],
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and background worker; 503 when the database is down."""
    now = timezone.now()
    database = database_status()
    body: dict[str, Any] = {"time": now.isoformat(), "database": database}
    if database["status"] != "ok":
        body["status"] = "error"
        return JsonResponse(body, status=503)
    try:
        body["worker"] = worker_status(now)
    except DatabaseError as exc:  # e.g. migrations not applied yet
        body["worker"] = {"status": "unknown", "error": type(exc).__name__}
    body["status"] = "ok" if body["worker"]["status"] == "ok" else "degraded"
    body["field_inbox"] = inbox_status()  # outcomes accepted while busy, not written yet
    return JsonResponse(body)
