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
from .completeness import completeness
from .labels import COLUMN_LABELS
from .models import CommunicationActivity, Report, ReportState
from .selectors import FORMATS, activities_for_user, report_get, report_view, reports_for_user


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here requires one)."""
    return cast(User, request.user)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The reports of the user's units, filtered by type, state and due date."""
    reports = reports_for_user(_user(request))
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
    page = Paginator(reports.order_by("deadline", "schedule__position", "unit__path"), 50).get_page(
        request.GET.get("trang")
    )
    return render(
        request,
        "reporting/report_list.html",
        {"page": page, "kinds": kinds, "key": key, "state": state, "states": ReportState.choices},
    )


@login_required
def report_detail(request: HttpRequest, report: str) -> HttpResponse:
    """One report: the numbers sent (or today's draft), what changed since, the workflow."""
    obj = report_get(_user(request), report)
    if request.method == "POST":
        return _transition(request, obj)
    view = report_view(obj)
    return render(
        request,
        "reporting/report_detail.html",
        {
            "view": view,
            "report": obj,
            "may_submit": services.may_submit(_user(request), obj),
            "may_review": services.may_review(_user(request), obj),
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


DONE = {
    "submit": gettext_lazy("Report submitted."),
    "approve": gettext_lazy("Report approved."),
    "return": gettext_lazy("Report returned to its unit."),
    "lock": gettext_lazy("Report locked."),
}


def _transition(request: HttpRequest, obj: Report) -> HttpResponse:
    """One step of the workflow; the service checks who may take it."""
    step = request.POST.get("step", "")
    try:
        if step == "submit":
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
        .filter(level__in=["province", "district", "commune"])
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
