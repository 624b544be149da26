"""Pages. Views parse input, call selectors, render; scope comes from the base view."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from chiendich.core import clock
from chiendich.plans.allocation import AllocationError, target_override
from chiendich.plans.models import Plan
from chiendich.plans.selectors import plan_for_unit, targets_for_unit
from chiendich.units.models import Unit
from chiendich.units.selectors import children_of
from chiendich.vneid.progress import eligible_basis, vneid_target

from .mixins import ScopedObjectView
from .selectors import allocation_rows, as_of_day, breadcrumbs, campaign_overview, vneid_progress


class LoginView(auth_views.LoginView):
    """Sign-in page; it names the campaigns running here (plans are public documents)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["plans"] = Plan.objects.select_related("province").order_by("-issued_on")
        return context


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The campaign, its periods and the targets of the user's own units."""
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
        import_string(TEMPLATES[name])(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="mau-{name}"'
    return response


class UnitDetailView(ScopedObjectView):
    """One unit: where it sits, what lies under it, and the targets that apply to it."""

    model = Unit
    template_name = "web/unit_detail.html"
    context_object_name = "unit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit: Unit = self.object
        visible = Unit.objects.restrict(self.request.user, self.action)
        plan = plan_for_unit(unit)
        context.update(
            breadcrumbs=breadcrumbs(unit, visible),
            children=children_of(unit, visible),
            plan=plan,
            targets=targets_for_unit(plan, unit) if plan else [],
            progress=vneid_progress(unit, visible, as_of_day(self.request.GET.get("ngay")), plan),
        )
        return context


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
        raw = request.POST.get("value", "").replace(".", "").replace(",", "").strip()
        try:
            value = int(raw) if raw else None
            if value is not None and value < 0:
                raise ValueError
        except ValueError:
            return self.render_to_response(
                self.get_context_data(error=_("The target must be a whole number."))
            )
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
