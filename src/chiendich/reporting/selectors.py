"""Reads of the reporting app, already scoped to the user."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import translation

from chiendich.accounts.models import User
from chiendich.core import clock
from chiendich.plans.models import ReportKind, ReportSchedule
from chiendich.plans.selectors import plan_for_unit
from chiendich.units.models import Unit

from .content import Change, ReportContent, content_changes, report_content
from .document import heading_for
from .models import CommunicationActivity, Report, ReportState

SLUG = re.compile(r"^(?P<key>[a-z0-9_]+)\.(?P<unit>[A-Za-z0-9_-]+)\.(?P<day>\d{8})$")
# Official documents are Vietnamese whatever the reader's language (Decree 30/2020).
DOCUMENT_LANGUAGE = "vi"


def reports_for_user(user: User, action: str = "view") -> QuerySet[Report]:
    return Report.objects.restrict(user, action).select_related(
        "schedule", "unit", "recipient_unit", "plan", "submitted_by", "approved_by"
    )


def report_get(user: User, slug: str, action: str = "view") -> Report:
    """The report named by `slug` (key.unit.yyyymmdd) if the user may see it, else 404."""
    match = SLUG.match(slug)
    if match is None:
        raise Http404
    try:
        deadline = dt.datetime.strptime(match["day"], "%Y%m%d").date()  # noqa: DTZ007 - a calendar day
    except ValueError:
        raise Http404 from None
    report = (
        reports_for_user(user, action)
        .filter(schedule__key=match["key"], unit__code=match["unit"], deadline=deadline)
        .order_by("-plan__issued_on")
        .first()
    )
    if report is None:
        raise Http404
    return report


@dataclass
class ReportView:
    """A report as a reader sees it: what was sent (or today's draft) and what changed."""

    report: Report
    content: ReportContent
    changes: list[Change]
    current: ReportContent

    @property
    def frozen(self) -> bool:
        return self.report.state != ReportState.OPEN


def report_view(report: Report) -> ReportView:
    """The snapshot for a received report and the differences to today's numbers; the
    numbers computed now for an open one."""
    current = report_content(report)
    if report.state == ReportState.OPEN or not report.snapshot:
        return ReportView(report, current, [], current)
    sent = ReportContent.from_dict(report.snapshot)
    return ReportView(report, sent, content_changes(sent, current), current)


FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def report_file(report: Report, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, file name, content type) of the report as XLSX or PDF, in Vietnamese:
    official documents are, whatever the reader's language (Decree 30/2020)."""
    from .pdf import report_pdf
    from .xlsx import report_xlsx

    view = report_view(report)
    with translation.override(DOCUMENT_LANGUAGE):
        heading = heading_for(report, issued_on=clock.today())
        render = report_pdf if fmt == "pdf" else report_xlsx
        data = render(heading, view.content)
    return data, f"bao-cao-{report.slug}.{fmt}", FORMATS[fmt]


def activities_for_user(user: User, action: str = "view") -> QuerySet[CommunicationActivity]:
    return CommunicationActivity.objects.restrict(user, action).select_related("unit")


def report_for(plan_reports: QuerySet[Report], key: str, unit_code: str, day: dt.date) -> Report:
    """The report `key` of `unit_code` for `day`: the expected one whose data end or
    deadline is `day`, or else one computed for that day and not stored (a weekly
    report as of a Thursday, say). Raises Report.DoesNotExist for an unknown key/unit."""
    found = (
        plan_reports.filter(schedule__key=key, unit__code=unit_code)
        .filter(Q(deadline=day) | Q(data_to=day))
        .select_related("schedule", "plan", "unit")
        .first()
    )
    if found is not None:
        return found
    unit = Unit.objects.get(code=unit_code)
    plan = plan_for_unit(unit)
    if plan is None:
        raise Report.DoesNotExist(f"no plan for unit {unit_code}")
    schedule = ReportSchedule.objects.select_related("period").get(plan=plan, key=key)
    period = schedule.period
    if schedule.kind != ReportKind.BATCH:
        start = period.start if period is not None else None
        data_from = day if schedule.kind == ReportKind.DAILY else start
        return Report(
            plan=plan,
            schedule=schedule,
            unit=unit,
            recipient_unit=plan.province,
            data_from=data_from,
            data_to=day,
            deadline=schedule.deadline or day,
        )
    return Report(
        plan=plan,
        schedule=schedule,
        unit=unit,
        recipient_unit=plan.province,
        data_from=schedule.data_from,
        data_to=schedule.data_to,
        deadline=schedule.deadline or day,
    )
