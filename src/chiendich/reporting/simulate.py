"""The demo's reporting history: who sent which report when, and communication activities.

Deterministic (a hash of each report's key), written in bulk: most reports arrive on
time, some a few days late, some never; older ones are approved. Snapshots are not
computed for the simulated history except the latest Monday report, whose frozen
numbers the demo shows against today's.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from chiendich.plans.models import Plan
from chiendich.units.models import Kind, Level, Unit

from .content import report_content
from .models import CommunicationActivity, Report, ReportState
from .schedule import reports_expect


def _draw(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`: the same demo every time."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


@transaction.atomic
def reporting_simulate(plan: Plan, today: dt.date) -> dict[str, int]:
    """Create the expected reports and a plausible history of them up to `today`."""
    reports_expect(plan)
    due = list(Report.objects.filter(plan=plan, deadline__lte=today, state=ReportState.OPEN))
    now = timezone.now()
    sent = []
    for report in due:
        x = _draw(report.schedule_id, report.unit_id, report.deadline)
        if x < 0.07:
            continue  # never sent
        late = int(x * 100) % 3 + 1 if x < 0.15 else 0
        report.submitted_on = report.deadline + dt.timedelta(days=late)
        if report.submitted_on > today:
            continue
        report.submitted_at = now
        approved = report.submitted_on <= today - dt.timedelta(days=3)
        report.state = ReportState.APPROVED if approved else ReportState.SUBMITTED
        report.approved_at = now if approved else None
        sent.append(report)
    Report.objects.bulk_update(
        sent, ["state", "submitted_on", "submitted_at", "approved_at"], batch_size=500
    )
    latest = (
        Report.objects.filter(plan=plan, schedule__kind="weekly", deadline__lte=today)
        .exclude(state=ReportState.OPEN)
        .select_related("schedule", "plan", "unit")
        .order_by("-deadline")
        .first()
    )
    if latest is not None and not latest.snapshot:
        latest.snapshot = report_content(latest).as_dict()
        latest.save(update_fields=["snapshot"])
    return {"reports": Report.objects.filter(plan=plan).count(), "sent": len(sent)}


@transaction.atomic
def activities_simulate(plan: Plan, today: dt.date) -> int:
    """A week's communication work per district and commune, each Monday of the plan."""
    if CommunicationActivity.objects.exists():
        return 0
    first = plan.periods.order_by("start").first()
    if first is None:
        return 0
    units = Unit.objects.filter(
        path__startswith=plan.province.path,
        kind=Kind.TERRITORIAL,
        level__in=[Level.DISTRICT, Level.COMMUNE],
    )
    rows = []
    day = first.start + dt.timedelta(days=(7 - first.start.weekday()) % 7)
    while day <= today:
        for unit in units:
            x = _draw("activity", unit.code, day)
            sessions = int(x * 4)
            rows.append(
                CommunicationActivity(
                    unit=unit,
                    date=day,
                    sessions=sessions,
                    people_reached=sessions * (40 + int(x * 200)),
                    posters=int(x * 10),
                    posts=int(x * 7),
                    radio_spots=int(x * 3) if unit.level == Level.DISTRICT else 0,
                    tv_spots=1 if unit.level == Level.DISTRICT and x > 0.8 else 0,
                    video_guides=1 if x > 0.9 else 0,
                )
            )
        day += dt.timedelta(days=7)
    CommunicationActivity.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
