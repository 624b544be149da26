"""Pages of the reporting regime: the reports due, one report, completeness, activities."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chiendich.accounts.models import User
from chiendich.accounts.roles import Action
from chiendich.core import clock
from chiendich.core.inputs import day_param, parse_day
from chiendich.units.models import Unit

from . import services
from .completeness import completeness, completeness_below
from .content import ACTIVITY_LEVELS
from .document import narrative_for, signer_for
from .labels import COLUMN_LABELS
from .models import CommunicationActivity, Report, ReportState, Signer, SignerBody
from .selectors import (
    FORMATS,
    activities_for_user,
    covering_reports,
    report_get,
    report_title,
    report_view,
    reports_for_user,
    reports_section,
)


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here requires one)."""
    return cast(User, request.user)


SECTION_SLUGS = {
    "qua-han": "overdue",
    "hom-nay": "today",
    "tuan-nay": "week",
    "sau": "later",
    "da-gui": "sent",
}
SECTION_TITLES = {
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Due today"),
    "week": gettext_lazy("Due in the next 7 days"),
    "later": gettext_lazy("Due later"),
    "sent": gettext_lazy("Sent (newest first)"),
}
PREVIEW = 20  # rows of each "to do" section on the first view; the rest one click away
PER_PAGE = 50


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The reports of the user's units by what is due: overdue, due today, due in the
    coming week, then the history of what was sent, newest first. `?muc=` shows one
    section in full; type, state and due-by filters narrow every section."""
    user = _user(request)
    reports = reports_for_user(user)
    kinds = list(
        reports.order_by("schedule__position")
        .values_list("schedule__key", "schedule__name")
        .distinct()
    )
    key, state = request.GET.get("loai", ""), request.GET.get("trang-thai", "")
    if key:
        reports = reports.filter(schedule__key=key)
    if state in ReportState.values:
        reports = reports.filter(state=state)
    due_by = day_param(request.GET, "den-ngay")
    if due_by:
        reports = reports.filter(deadline__lte=due_by)
    today = clock.today()
    slug_of = {v: k for k, v in SECTION_SLUGS.items()}
    chosen = SECTION_SLUGS.get(request.GET.get("muc", ""))
    sections: list[dict[str, Any]] = []
    page = None
    if chosen is not None:
        page = Paginator(reports_section(reports, chosen, today), PER_PAGE).get_page(
            request.GET.get("trang")
        )
        sections.append(
            {"key": chosen, "title": SECTION_TITLES[chosen], "rows": list(page), "count": None}
        )
    else:
        for name in ("overdue", "today", "week"):
            rows = reports_section(reports, name, today)
            sections.append(
                {
                    "key": name,
                    "slug": slug_of[name],
                    "title": SECTION_TITLES[name],
                    "rows": list(rows[:PREVIEW]),
                    "count": rows.count(),
                }
            )
        page = Paginator(reports_section(reports, "sent", today), PER_PAGE).get_page(
            request.GET.get("trang")
        )
        sections.append(
            {"key": "sent", "title": SECTION_TITLES["sent"], "rows": list(page), "count": None}
        )
    for section in sections:
        for report in section["rows"]:
            report.title = report_title(report)
    later = reports_section(reports, "later", today).count() if chosen is None else 0
    return render(
        request,
        "reporting/report_list.html",
        {
            "sections": sections,
            "page": page,
            "chosen": chosen,
            "today": today,
            "later": later,
            "kinds": kinds,
            "key": key,
            "state": state,
            "states": ReportState.choices,
            "covering": [
                (r, report_title(r)) for r in covering_reports(user).order_by("-deadline")[:20]
            ],
        },
    )


@login_required
def report_detail(request: HttpRequest, report: str) -> HttpResponse:
    """One report: the numbers sent (or today's draft), what changed since, the workflow."""
    obj = report_get(_user(request), report)
    if request.method == "POST":
        return _transition(request, obj)
    view = report_view(obj)
    may_submit = services.may_submit(_user(request), obj)
    return render(
        request,
        "reporting/report_detail.html",
        {
            "view": view,
            "report": obj,
            "title": report_title(obj),
            "today": clock.today(),
            "may_submit": may_submit,
            "may_review": services.may_review(_user(request), obj),
            "narrative": narrative_for(obj),
            "narrative_fields": [
                (name, NARRATIVE_LABELS[name], getattr(obj, name))
                for name in services.NARRATIVE_FIELDS
            ],
            "signer": signer_for(obj),
        },
    )


@login_required
def report_download(request: HttpRequest, report: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    obj = report_get(_user(request), report)
    data, name, content_type = services.report_export(
        report=obj, fmt=fmt, acting_user=_user(request)
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


NARRATIVE_LABELS = {
    "narrative_results": gettext_lazy("Results achieved"),
    "narrative_difficulties": gettext_lazy("Difficulties and obstacles"),
    "narrative_proposals": gettext_lazy("Proposals"),
}

DONE = {
    "narrative": gettext_lazy("Narrative saved."),
    "submit": gettext_lazy("Report submitted."),
    "approve": gettext_lazy("Report approved."),
    "return": gettext_lazy("Report returned to its unit."),
    "lock": gettext_lazy("Report locked."),
}


def _transition(request: HttpRequest, obj: Report) -> HttpResponse:
    """One step of the workflow (or the narrative); the service checks who may take it.

    A report the user only reads (a unit above theirs) takes no step: 404, as for a
    report they may not see at all."""
    step = request.POST.get("step", "")
    if not reports_for_user(_user(request)).filter(pk=obj.pk).exists():
        raise Http404
    try:
        if step == "narrative":
            services.report_narrative_set(
                report=obj, acting_user=_user(request), values=request.POST
            )
        elif step == "submit":
            services.report_submit(
                report=obj, acting_user=_user(request), note=request.POST.get("note", "")
            )
        elif step == "approve":
            services.report_approve(report=obj, acting_user=_user(request))
        elif step == "return":
            services.report_return(
                report=obj, acting_user=_user(request), reason=request.POST.get("reason", "")
            )
        elif step == "lock":
            services.report_lock(report=obj, acting_user=_user(request))
        else:
            raise services.WorkflowError(_("Unknown step."))
    except PermissionDenied:
        messages.error(request, _("You may not do this for this report."))
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(DONE[step]))
    return redirect(reverse("reporting:report-detail", args=[obj.slug]))


@login_required
def completeness_page(request: HttpRequest) -> HttpResponse:
    """DHIS2's reporting and on-time rates of the user's reports as of a day."""
    day = day_param(request.GET, "ngay") or clock.today()
    result = completeness(reports_for_user(_user(request)), day)
    names = dict(reports_for_user(_user(request)).values_list("schedule__key", "schedule__name"))
    units = dict(Unit.objects.filter(code__in=result.by_unit).values_list("code", "name"))
    return render(
        request,
        "reporting/completeness.html",
        {
            "result": result,
            "day": day,
            "by_type": [(names.get(k, k), v) for k, v in result.by_type.items()],
            "by_unit": [(units.get(k, k), k, v) for k, v in result.by_unit.items()],
        },
    )


@login_required
def activities(request: HttpRequest) -> HttpResponse:
    """Enter a unit's communication activities of a day; list what was entered."""
    writable = (
        Unit.objects.restrict(_user(request), Action.CHANGE)
        .filter(level__in=ACTIVITY_LEVELS)
        .order_by("path")
    )
    context: dict[str, Any] = {"units": writable[:500], "fields": CommunicationActivity.FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        unit = writable.filter(code=request.POST.get("unit", "")).first()
        if unit is None:
            errors["unit"] = _("Choose one of your units.")
        try:
            day = parse_day(request.POST.get("date", ""))
        except ValueError as error:
            errors["date"] = str(error)
        if not errors and unit is not None:
            try:
                services.activity_record(
                    unit=unit,
                    date=day,
                    values=request.POST,
                    acting_user=_user(request),
                    note=request.POST.get("note", ""),
                )
            except services.ActivityError as error:
                errors.update(error.errors)
            else:
                messages.success(request, _("Activities saved."))
                return redirect("reporting:activities")
        context["posted"] = request.POST
    context["errors"] = errors
    posted = request.POST if request.method == "POST" else {}
    context["labels"] = [
        (f, COLUMN_LABELS[f], posted.get(f, "")) for f in CommunicationActivity.FIELDS
    ]
    context["entries"] = activities_for_user(_user(request))[:100]
    return render(request, "reporting/activities.html", context, status=400 if errors else 200)


@login_required
def completeness_below_page(request: HttpRequest) -> HttpResponse:
    """Which units below a unit have sent each report due by a day, and which have not:
    one row per unit (the chosen one first), one column per report type, the latest
    report due in each cell (sent, late or missing) with the count received/expected."""
    user = _user(request)
    day = day_param(request.GET, "ngay") or clock.today()
    units = Unit.objects.restrict(user).order_by("path")
    code = request.GET.get("don-vi", "")
    unit = units.filter(code=code).first() if code else None
    if unit is None:
        paths = user.scope_paths()
        unit = units.filter(path__in=paths).first() if paths else units.first()
    if unit is None:
        raise Http404
    kinds, rows = completeness_below(reports_for_user(user), unit, day)
    only_missing = request.GET.get("chi-thieu") == "1"
    if only_missing:
        rows = [r for r in rows if r.missing]
    return render(
        request,
        "reporting/completeness_below.html",
        {
            "unit": unit,
            "day": day,
            "kinds": kinds,
            "rows": [(r, [(k, r.cells.get(k)) for k, _name in kinds]) for r in rows],
            "only_missing": only_missing,
            "missing_units": sum(1 for r in rows if r.missing),
        },
    )


@login_required
def signers(request: HttpRequest) -> HttpResponse:
    """The reports' settings of the user's units: who signs each body's reports."""
    user = _user(request)
    writable = (
        Unit.objects.restrict(user, Action.CHANGE)
        .filter(level__in=["province", "district", "commune"])
        .order_by("path")
    )
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {
            k: request.POST.get(k, "") for k in ("unit", "body", "authority", "title", "name")
        }
        unit = writable.filter(code=posted["unit"]).first()
        if unit is None:
            errors["unit"] = _("Choose one of your units.")
        else:
            try:
                services.signer_set(
                    unit=unit,
                    body=posted["body"],
                    authority=posted["authority"],
                    title=posted["title"],
                    name=posted["name"],
                    acting_user=user,
                )
            except services.SignerError as error:
                errors.update(error.errors)
            else:
                messages.success(request, _("Signer saved."))
                return redirect("reporting:signers")
    return render(
        request,
        "reporting/signers.html",
        {
            "units": writable[:500],
            "bodies": SignerBody.choices,
            "signers": Signer.objects.restrict(user).select_related("unit")[:500],
            "errors": errors,
            "posted": posted,
        },
        status=400 if errors else 200,
    )
