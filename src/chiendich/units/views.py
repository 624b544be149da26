"""The split-communes page: assign each hamlet of an old commune split across several new
ones to its new commune (one at a time, or a CSV), and place the records that have no
hamlet. Views parse input, call splits.py and the services, render; a split commune, a
hamlet or a citizen outside the user's scope answers 404 like a missing one, and a
user who may read but not write gets 403 on a write."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chiendich.core.tabular import TabularError
from chiendich.field.selectors import mask_id, mask_phone
from chiendich.vneid.models import Citizen
from chiendich.vneid.services import PlaceError, citizen_place

from .forms import AssignForm, PlaceForm, UploadForm
from .lineage import AssignmentError, hamlet_assign
from .models import Level, Lineage, Unit
from .splits import (
    assignments_template_csv,
    assignments_upload,
    may_assign,
    may_write,
    records_without_hamlet,
    split_commune_get,
    split_communes_for,
    split_communes_of,
    split_rows,
    writable_units,
)

COMMUNES_PER_PAGE = 20
CITIZENS_PER_PAGE = 50
HOUSEHOLDS_SHOWN = 100


def _back(request: HttpRequest, default: str) -> str:
    """Where a form posted from the list or a commune's page returns to."""
    target = request.POST.get("tiep", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _list_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    communes = split_communes_for(user)
    focus = None
    if request.GET.get("don-vi"):
        focus = get_object_or_404(Unit.objects.restrict(user), code=request.GET["don-vi"])
        communes = communes.filter(pk__in=split_communes_of(focus).values("pk"))
    page = Paginator(communes.select_related("parent"), COMMUNES_PER_PAGE).get_page(
        request.GET.get("trang")
    )
    return {
        "page": page,
        "rows": split_rows(user, list(page.object_list)),
        "focus": focus,
        "can_write": may_write(user),
        "upload_form": extra.pop("upload_form", None) or UploadForm(),
        **extra,
    }


@login_required
@require_GET
def split_list(request: HttpRequest) -> HttpResponse:
    """The split communes of the user's scope, each with its hamlets and their assignment;
    `?don-vi=CODE` keeps those related to one unit (from that unit's page)."""
    return render(request, "units/split_list.html", _list_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def split_detail(request: HttpRequest, commune: str) -> HttpResponse:
    """One split commune: its hamlets, and its records without a hamlet. Its forms post
    here: `viec=gan` assigns a hamlet, `viec=dat-ap` gives a citizen a hamlet."""
    user: Any = request.user
    unit = split_commune_get(user, commune)
    if request.method == "POST":
        act = {"gan": _assign, "dat-ap": _place}.get(request.POST.get("viec", ""))
        if act is None:
            raise Http404
        return act(request, unit)
    return _detail(request, unit)


def _detail(request: HttpRequest, commune: Unit) -> HttpResponse:
    user: Any = request.user
    row = split_rows(user, [commune])[0]
    records = records_without_hamlet(user, commune) if row.in_scope else None
    citizens = None
    if records is not None:
        citizens = Paginator(records.citizens, CITIZENS_PER_PAGE).get_page(request.GET.get("trang"))
        citizens.object_list = [
            {
                "citizen": c,
                "id_number": mask_id(c.id_number),
                "phone": mask_phone(c.phone),
                # A household already in a hamlet is where its member goes.
                "household_hamlet": c.household.unit_id
                if c.household and c.household.unit_id != commune.pk
                else None,
            }
            for c in citizens.object_list
        ]
    households = records.households if records is not None else None
    return render(
        request,
        "units/split_detail.html",
        {
            "row": row,
            "commune": commune,
            "records": records,
            "citizens": citizens,
            "households": households[:HOUSEHOLDS_SHOWN] if households is not None else None,
            "households_total": households.count() if households is not None else 0,
            "can_write": may_write(user),
        },
    )


def _assign(request: HttpRequest, commune: Unit) -> HttpResponse:
    """Assign one hamlet of a split commune to one of its new communes, or take it back."""
    user: Any = request.user
    form = AssignForm(
        request.POST,
        hamlets=Unit.objects.filter(parent=commune, level=Level.HAMLET),
        candidates=Unit.objects.filter(
            predecessor_links__predecessor=commune,
            predecessor_links__source=Lineage.Source.GSO,
        ),
    )
    if not form.is_valid():
        raise Http404
    hamlet, new = form.cleaned_data["ap"], form.cleaned_data["xa_moi"]
    if not may_assign(user, hamlet, new):
        raise PermissionDenied
    try:
        changed = hamlet_assign(hamlet, new, acting_user=user)
    except AssignmentError as exc:
        messages.error(request, str(exc))
    else:
        if changed and new is not None:
            messages.success(
                request,
                _("%(hamlet)s now counts for %(commune)s.")
                % {"hamlet": hamlet.name, "commune": new.name},
            )
        elif changed:
            messages.success(
                request,
                _("%(hamlet)s is no longer assigned: it counts for the province only.")
                % {"hamlet": hamlet.name},
            )
    default = reverse("units:split-detail", args=[commune.code])
    return redirect(f"{_back(request, default)}#ap-{hamlet.code}")


@login_required
def split_upload(request: HttpRequest) -> HttpResponse:
    """Many assignments from a CSV ("Mã xã cũ", "Ấp/Khu phố", "Mã xã mới"): every row is
    checked, errors are listed by row and column, and nothing is written if one is bad."""
    user: Any = request.user
    if request.method != "POST":
        return redirect("units:split-list")
    if not may_write(user):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES)
    errors = None
    if form.is_valid():
        upload = form.cleaned_data["tep"]
        with tempfile.TemporaryDirectory(prefix="chia-tach-") as folder:
            path = Path(folder) / get_valid_filename(Path(upload.name).name)
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                result = assignments_upload(path, user=user)
            except TabularError as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _(
                        "%(assigned)s hamlets assigned, %(unchanged)s unchanged, "
                        "%(skipped)s left blank for later."
                    )
                    % {
                        "assigned": result.assigned,
                        "unchanged": result.unchanged,
                        "skipped": result.skipped,
                    },
                )
                return redirect("units:split-list")
    return render(
        request,
        "units/split_list.html",
        _list_context(request, upload_form=form, upload_errors=errors),
        status=400,
    )


@login_required
@require_GET
def split_template(request: HttpRequest) -> HttpResponse:
    """The assignment CSV pre-filled with the hamlets of the user's split communes."""
    user: Any = request.user
    rows = split_rows(user, list(split_communes_for(user)))
    response = HttpResponse(assignments_template_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="gan-ap-xa-chia-tach.csv"'
    return response


def _place(request: HttpRequest, commune: Unit) -> HttpResponse:
    """Give a citizen recorded on the split commune itself one of its hamlets."""
    user: Any = request.user
    form = PlaceForm(request.POST, hamlets=Unit.objects.filter(parent=commune, level=Level.HAMLET))
    if not form.is_valid():
        raise Http404
    citizen = get_object_or_404(
        Citizen.objects.restrict(user).filter(unit=commune), pk=form.cleaned_data["cong_dan"]
    )
    if not writable_units(user, {commune.pk}):  # the old commune's own rows are rewritten
        raise PermissionDenied
    hamlet = form.cleaned_data["ap"]
    try:
        citizen_place(citizen, hamlet, acting_user=user)
    except PlaceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s is now recorded in %(hamlet)s.")
            % {"name": citizen.full_name, "hamlet": hamlet.name},
        )
    default = reverse("units:split-detail", args=[commune.code])
    return redirect(f"{_back(request, default)}#khong-ap")
