"""Pages. Views parse input, call selectors, render; scope comes from the base view."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from chiendich.plans.models import Plan
from chiendich.plans.selectors import plan_for_unit, targets_for_unit
from chiendich.units.models import Unit
from chiendich.units.selectors import children_of

from .mixins import ScopedObjectView
from .selectors import breadcrumbs, campaign_overview


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
    today = timezone.localdate()
    context = campaign_overview(request.user, today)  # type: ignore[arg-type]
    context["today"] = today
    return render(request, "web/home.html", context)


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
        )
        return context
