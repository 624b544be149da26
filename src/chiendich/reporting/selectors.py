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
from chiendich.units.models import Kind, Unit

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


def covering_reports(user: User) -> QuerySet[Report]:
    """Reports sent by the territorial units above the user's units: the reports whose
    figures cover them (the province's Monday report lists the district it is read by).

    Only once submitted (a draft is its unit's working copy), only ancestors (never a
    sibling: a district does not read another district's reports), only to read, and
    not for volunteers (their work is door to door, not the reporting regime).
    """
    from chiendich.accounts.roles import Role, role_allows
    from chiendich.units.models import path_codes

    if not user.is_authenticated or not user.is_active:
        return Report.objects.none()
    if not (user.is_superuser or role_allows(user.role, "view")):
        return Report.objects.none()
    if user.role == Role.VOLUNTEER:
        return Report.objects.none()  # volunteers work door to door; reports are officers'

    above: set[str] = set()
    for path in user.scope_paths():
        above.update(path_codes(path)[:-1])
    if not above:
        return Report.objects.none()
    return (
        Report.objects.filter(unit__code__in=above, unit__kind=Kind.TERRITORIAL)
        .exclude(state=ReportState.OPEN)
        .select_related("schedule", "unit", "recipient_unit", "plan")
    )


def reports_readable(user: User) -> QuerySet[Report]:
    """Every report `user` may read. The rule, in one place:

    - a report of one of the user's units or of a unit below them, in any state
      (their own work, and what their units owe them): read, and act on it as the
      workflow allows (submit: the unit's officers; approve: the receiving unit's);
    - a report of a territorial unit above them, once submitted (`covering_reports`):
      read only, since its figures are theirs summed with their peers' (a district
      reads the province's Monday report and the province's final report);
    - nothing else: another district's or commune's reports, an agency's reports
      outside their scope and the drafts of the units above answer 404, like a
      report that does not exist.
    """
    own = Report.objects.restrict(user, "view").values("pk")
    covering = covering_reports(user).values("pk")
    return Report.objects.filter(Q(pk__in=own) | Q(pk__in=covering)).select_related(
        "schedule", "unit", "recipient_unit", "plan", "submitted_by", "approved_by"
    )


def report_get(user: User, slug: str, action: str = "view") -> Report:
    """The report named by `slug` (key.unit.yyyymmdd) if the user may see it, else 404
    (`reports_readable` says which; any other action needs the report in scope)."""
    match = SLUG.match(slug)
    if match is None:
        raise Http404
    try:
        deadline = dt.datetime.strptime(match["day"], "%Y%m%d").date()  # noqa: DTZ007 - a calendar day
    except ValueError:
        raise Http404 from None
    reports = reports_readable(user) if action == "view" else reports_for_user(user, action)
    report = (
        reports.filter(schedule__key=match["key"], unit__code=match["unit"], deadline=deadline)
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


# The sections of the reports page, in the order a user acts on them.
SECTIONS = ("overdue", "today", "week", "later", "sent")
WEEK_DAYS = 7  # "due this week": the coming seven days


def reports_section(reports: QuerySet[Report], section: str, today: dt.date) -> QuerySet[Report]:
    """One section of `reports` as of `today`, in its order.

    overdue: open, deadline passed (the longest overdue first); today: open, due
    today; week: open, due in the coming 7 days; later: open, due after that; sent:
    submitted, approved or locked, the newest first (the history).
    """
    open_ = reports.filter(state=ReportState.OPEN)
    if section == "overdue":
        return open_.filter(deadline__lt=today).order_by(
            "deadline", "schedule__position", "unit__path"
        )
    if section == "today":
        return open_.filter(deadline=today).order_by("schedule__position", "unit__path")
    if section == "week":
        return open_.filter(
            deadline__gt=today, deadline__lte=today + dt.timedelta(days=WEEK_DAYS)
        ).order_by("deadline", "schedule__position", "unit__path")
    if section == "later":
        return open_.filter(deadline__gt=today + dt.timedelta(days=WEEK_DAYS)).order_by(
            "deadline", "schedule__position", "unit__path"
        )
    return reports.exclude(state=ReportState.OPEN).order_by(
        "-deadline", "-submitted_on", "schedule__position", "unit__path"
    )


def report_title(report: Report) -> str:
    """A report's full title: its name in the plan and the data it covers."""
    from django.utils.translation import gettext as _

    if report.data_from and report.data_to and report.data_from != report.data_to:
        window = _("data from %(start)s to %(end)s") % {
            "start": f"{report.data_from:%d/%m/%Y}",
            "end": f"{report.data_to:%d/%m/%Y}",
        }
    elif report.data_to:
        window = _("data of %(day)s") % {"day": f"{report.data_to:%d/%m/%Y}"}
    else:
        return report.schedule.name
    return f"{report.schedule.name} ({window})"
