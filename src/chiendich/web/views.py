"""Pages. Views parse input, call selectors, render; scope comes from the base view."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.core import clock
from chiendich.core.inputs import BadInput, count_range_text, count_value
from chiendich.core.status import RULE_TEXT
from chiendich.plans.allocation import AllocationError, target_override
from chiendich.plans.models import Plan
from chiendich.plans.selectors import plan_for_unit, targets_for_unit
from chiendich.units.models import Unit
from chiendich.units.selectors import children_of
from chiendich.vneid.progress import eligible_basis, vneid_target

from . import stored
from .dashboard import Dashboard, plan_memo, unit_dashboard
from .exports import XLSX_TYPE, dashboard_xlsx
from .history import history_dashboard, history_plan
from .mixins import ScopedObjectView
from .selectors import (
    OFFICER_ROLES,
    agency_compliance,
    allocation_rows,
    as_of_day,
    breadcrumbs,
    campaign_overview,
    day_choices,
    home_unit,
    home_units,
    today_tasks,
    tree_switch,
)
from .stored import TTHC, VNEID, cached
from .templatetags.overview import Rows


class LoginView(auth_views.LoginView):
    """Sign-in page; it names the campaigns running here (plans are public documents)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["plans"] = Plan.objects.select_related("province").order_by("-issued_on")
        return context


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page (handler400): what was wrong with the address, when we know it.

    Only our own BadInput's message is shown: Django's other 400s (a bad Host header,
    too many fields) carry text the user did not write and need not read."""
    message = str(exception) if isinstance(exception, BadInput) else ""
    return render(request, "400.html", {"message": message}, status=400)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own work (issue 13): a volunteer on their hamlets
    (/thuc-dia/), an agency on its staff's level-2 compliance, a leader on their
    unit's dashboard, an officer on their dashboard with "việc hôm nay" (reports due
    or overdue, imports waiting for confirmation, units behind pace). The plan's text
    is one click away (`plan`, in the navigation)."""
    user: User = request.user  # type: ignore[assignment]  # login required
    if user.role == Role.VOLUNTEER and not user.is_superuser:
        return redirect("field:home")
    today = clock.today()
    unit = home_unit(user)
    plan = plan_for_unit(unit) if unit is not None else None
    context: dict[str, Any] = {"today": today, "plan": plan, "home_unit": unit}
    if user.role == Role.AGENCY_FOCAL_POINT and not user.is_superuser:
        context["agencies"] = agency_compliance(user)
        return render(request, "web/home_agency.html", context)
    if unit is None or plan is None:
        return render(request, "web/home_unit.html", context)
    visible = Unit.objects.restrict(user, "view")
    with stored.one_snapshot():  # one query for every cached part's version
        day = as_of_day(request.GET.get("ngay"))
        context.update(
            day=day, body=unit_body_html(unit, visible, day), others=home_units(user)[1:]
        )
        if user.role in OFFICER_ROLES or user.is_superuser:
            children = children_of(unit, visible)["territorial"]
            dashboard = page_dashboard(unit, day, children)[2]
            context["tasks"] = today_tasks(user, today, dashboard)
    return render(request, "web/home_unit.html", context)


@login_required
def plan_page(request: HttpRequest) -> HttpResponse:
    """The campaign's plan: its periods, the targets of the user's own units and the
    reporting schedule (what the home page was before each role got its own)."""
    today = clock.today()
    context = campaign_overview(request.user, today)  # type: ignore[arg-type]
    context["today"] = today
    return render(request, "web/home.html", context)


TEMPLATES = {
    # file name -> dotted path of the function that builds it
    "danh-sach-cong-dan.xlsx": "chiendich.vneid.importing.citizen_template_xlsx",
    "ho-so-tthc.xlsx": "chiendich.procedures.importing.dossier_template_xlsx",
}


@login_required
def import_template(request: HttpRequest, name: str) -> HttpResponse:
    """The blank spreadsheet an officer fills in for an import (headers, an example
    row, and a sheet explaining each column)."""
    from django.utils.module_loading import import_string

    if name not in TEMPLATES:
        raise Http404
    response = HttpResponse(
        import_string(TEMPLATES[name])(user=request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="mau-{name}"'
    return response


class UnitDetailView(ScopedObjectView):
    """A unit's dashboard on an as-of day (`?ngay=`, default the data's last day):
    each indicator the plan sets for it, and the units below it, sortable.

    Everything below the page's header (breadcrumbs, the boundaries switch, the
    dashboard) is cached whole, per unit, day, language, campaign day and scope, under
    the version of the data it shows (`unit_content`). A view then reads the user and
    one snapshot query (the data versions, the last counted day and the reader's
    units, web/stored.py; the session comes from the cache folder, settings.py), and
    renders the header around the cached part."""

    model = Unit
    template_name = "web/unit_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with stored.one_snapshot(request.user):
            stored.snapshot()  # the versions, the last day and the reader's units: one query
            day = as_of_day(request.GET.get("ngay"))
            title, html = unit_content(self, str(kwargs.get(self.slug_url_kwarg, "")), day)
            return render(
                request,
                self.template_name,
                {"title": title, "content": mark_safe(html), "day": day},  # noqa: S308 - ours
            )

    def content_context(self, unit: Unit, day: dt.date | None) -> dict[str, Any]:
        visible = Unit.objects.restrict(self.request.user, self.action)
        return {
            "unit": unit,
            "breadcrumbs": breadcrumbs(unit, visible),
            "day": day,
            "switch": tree_switch(unit, day, visible, clock.today()),
            "body": unit_body_html(unit, visible, day),
        }


def scope_key(user: Any, action: str) -> str | None:
    """Everything `Unit.objects.restrict(user, action)` depends on, as a short key
    (accounts/restrict.py): superuser, or the role's right to `action` and the user's
    units' paths. None when the user may see no unit at all."""
    from chiendich.accounts.roles import role_allows

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return "all"
    if not role_allows(user.role, action):
        return None
    paths = user.scope_paths()
    if not paths:
        return None
    return hashlib.sha256("\n".join(paths).encode()).hexdigest()[:20]


def unit_content(view: UnitDetailView, code: str, day: dt.date | None) -> tuple[str, str]:
    """The unit's name and the HTML of its page below the header, from the cache when
    this unit, day, language, campaign day and scope were rendered under the current
    data version.

    An entry is only ever written after the unit was found in the reader's scope
    (`get_object`, 404 otherwise), and its key holds that scope and the version of
    the units (which moves when any unit changes), so finding it is proof the reader
    may open the unit: no other user's scope reads it. What it holds is the same for
    every reader of that scope: aggregate figures, no personal data."""
    scope = scope_key(view.request.user, view.action)
    if scope is None:
        raise Http404
    parts = [
        get_language() or "",
        code,
        day.isoformat() if day else "-",
        clock.today().isoformat(),
        scope,
        stored.data_version(VNEID, TTHC),
    ]
    key = "unit-page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        unit: Unit = view.get_object()
        view.object = unit
        html = render_to_string("web/_unit_content.html", view.content_context(unit, day))
        found = (unit.name, html)
        cache.set(key, found, stored.CACHE_SECONDS)
    return found  # type: ignore[no-any-return]


def page_dashboard(
    unit: Unit, day: dt.date | None, children: list[Unit]
) -> tuple[Plan | None, bool, Dashboard | None]:
    """The plan, whether the page shows history, and the dashboard of `unit` on `day`.

    A unit of today's tree asked about a day before it existed shows its history,
    summed from the old units it was formed from, under the plan that governed them.
    """
    history = day is not None and unit.valid_from is not None and day < unit.valid_from
    plan = history_plan(unit, day) if history and day else plan_for_unit(unit)
    if day is None or plan is None:
        return plan, history, None
    if history:
        return plan, True, history_dashboard(unit, day, plan)
    return plan, False, unit_dashboard(unit, day, plan, children)


def unit_body_html(unit: Unit, visible: Any, day: dt.date | None) -> str:
    """Everything on a unit's page below the breadcrumbs, rendered once per unit, day
    and language for each version of the data it shows (web/stored.py). Nothing in
    it depends on the reader: whoever may open a unit sees its whole subtree (scope
    is by subtree), so `visible` only ever keeps all of the unit's children."""

    def render() -> str:
        children = children_of(unit, visible)
        plan, history, dashboard = page_dashboard(unit, day, children["territorial"])
        rows = Rows(unit.code, day)  # the table's rows whose figures did not move
        html = render_to_string(
            "web/_unit_body.html",
            {
                "unit": unit,
                "day": day,
                "days": day_choices(day),
                "plan": plan,
                "history": history,
                "targets": plan_memo(
                    f"targets:{plan.pk}:{unit.code}", lambda: targets_for_unit(plan, unit)
                )
                if plan and not history
                else [],
                "children": children,
                "dashboard": dashboard,
                "status_rule": RULE_TEXT,
                "chart_labels": {
                    "actual": _("Actual"),
                    "target": _("Target"),
                    "pace": _("Steady pace"),
                    "forecast": _("Forecast"),
                },
                "rows": rows,
            },
        )
        rows.save()
        return html

    key = f"page:{get_language()}:{unit.code}:{day.isoformat() if day else '-'}"
    return mark_safe(cached(key, render, VNEID, TTHC))  # noqa: S308 - our own template


class UnitExportView(ScopedObjectView):
    """The dashboard of a unit as a spreadsheet: its indicators and the units below it,
    numbers stored as numbers."""

    model = Unit

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unit: Unit = self.get_object()
        visible = Unit.objects.restrict(request.user, self.action)
        children = children_of(unit, visible)["territorial"]
        day = as_of_day(request.GET.get("ngay"))
        # Nothing counted yet: the file still opens, with its headers and no rows.
        dashboard = page_dashboard(unit, day, children)[2] or Dashboard(
            day or clock.today(), [], [], []
        )
        day = dashboard.day
        response = HttpResponse(dashboard_xlsx(unit, dashboard), content_type=XLSX_TYPE)
        name = f"chi-so-{unit.gso_code or unit.code}-{day:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class UnitTargetsView(ScopedObjectView):
    """Review the activated-accounts target of a unit's children, and fix one by hand.

    Fixing is for users who may manage targets (province administrators, the
    provincial police); the other children are re-balanced so the sum holds.
    """

    model = Unit
    template_name = "web/unit_targets.html"
    context_object_name = "unit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit: Unit = self.object
        visible = Unit.objects.restrict(self.request.user)
        plan = plan_for_unit(unit)
        own, rows = allocation_rows(unit, visible, plan) if plan else (None, [])
        context.update(
            breadcrumbs=breadcrumbs(unit, visible),
            plan=plan,
            own=own,
            rows=rows,
            can_manage=self.request.user.can("manage"),  # type: ignore[union-attr]
            error=kwargs.get("error"),
        )
        return context

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        self.object = self.get_object()
        if not request.user.can("manage"):  # type: ignore[union-attr]
            raise PermissionDenied
        child = get_object_or_404(
            Unit.objects.restrict(request.user, "manage").filter(parent=self.object),
            code=request.POST.get("unit", ""),
        )
        plan = plan_for_unit(child)
        target = vneid_target(plan) if plan else None
        if target is None:
            raise Http404
        raw = request.POST.get("value", "").strip()
        try:
            value = count_value(raw) if raw else None
        except ValueError:
            error = _("The target must be a whole number.") + " " + count_range_text()
            return self.render_to_response(self.get_context_data(error=error), status=400)
        day = target.period.start if target.period else plan.issued_on  # type: ignore[union-attr]
        basis = eligible_basis(day)
        try:
            target_override(
                target,
                child,
                value,
                lambda u: basis.get(u.code, 0),
                acting_user=request.user,  # type: ignore[arg-type]  # login required
                note=request.POST.get("note", ""),
            )
        except AllocationError as exc:
            return self.render_to_response(self.get_context_data(error=str(exc)))
        messages.success(
            request,
            _("Target of %(unit)s saved; the others were re-balanced.") % {"unit": child.name},
        )
        return redirect("web:unit-targets", code=self.object.code)
