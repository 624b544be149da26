"""Pages of the results store: search, a result (versions, reuse log, file), the single
upload, and the once-only lookup with its confirm for a dossier.

Views parse input, call selectors and services, render. Every result is fetched
through the user's scope (selectors.result_get), so another unit's result
answers 404 like a missing one. ID numbers are masked unless the user may see
them and asks (?hien=1); every unmasked view and every file download is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chiendich.accounts.models import AuditEvent
from chiendich.accounts.roles import Action
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.units.models import Unit

from .forms import LookupForm, ReuseForm, ReviewForm, RevokeForm, SearchForm, UploadForm
from .models import ChangeKind, Result
from .selectors import (
    SearchFilters,
    mask_id,
    may_see_personal,
    once_only_results,
    result_get,
    result_search,
    reuses_of,
    shown,
    versions_of,
)
from .services import (
    DuplicateResult,
    ResultError,
    ResultInput,
    result_reuse_confirm,
    result_review_confirm,
    result_revoke,
    result_store,
)
from .storage import file_open


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Full-text and metadata search over the results the user may see."""
    form = SearchForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "searched": False}
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = SearchFilters(
            query=d["q"],
            result_type=d["loai"],
            issued_from=d["tu_ngay"],
            issued_to=d["den_ngay"],
            validity=d["hieu_luc"],
            subject_id=d["so_dinh_danh"],
            needs_review=d["cho_kiem_tra"],
        )
        if any((filters.query, filters.result_type, filters.issued_from, filters.issued_to)) or any(
            (filters.validity, filters.subject_id, filters.needs_review)
        ):
            outcome = result_search(request.user, filters)
            today = clock.today()
            context.update(
                searched=True,
                exact=shown(request.user, outcome.exact, unmask=False, day=today),
                rows=shown(request.user, outcome.rows, unmask=False, day=today),
                more=outcome.more,
            )
            if filters.subject_id:
                # Whose results a citizen has is personal data: the lookup is recorded.
                audit_event_record(
                    AuditEvent.Type.RESULT_LOOKUP,
                    user=request.user,  # type: ignore[arg-type]
                    ip_address=_ip(request),
                    page="results:search",
                    subject_id=filters.subject_id,
                    found=len(outcome.exact) + len(outcome.rows),
                )
    return render(request, "results/search.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, result: str) -> HttpResponseBase:
    """A result: metadata, its versions, its reuse log; ?tep=1 downloads the file."""
    user: Any = request.user
    item = result_get(user, result)
    can_unmask = may_see_personal(user, item)
    if request.GET.get("tep") == "1":
        if not can_unmask:
            raise Http404
        audit_event_record(
            AuditEvent.Type.PERSONAL_DATA_EXPORTED,
            user=user,
            unit=item.unit,
            obj=item,
            ip_address=_ip(request),
            file=item.file_name,
        )
        return FileResponse(
            file_open(item.file_name),
            as_attachment=False,
            filename=item.original_name,
            content_type=item.content_type,
        )
    can_change = Result.objects.restrict(user, Action.CHANGE).filter(pk=item.pk).exists()
    revoke_form, review_form = RevokeForm(), ReviewForm(initial={"trich_yeu": item.title})
    if request.method == "POST":
        if not can_change:
            raise Http404
        try:
            if "thu_hoi" in request.POST:
                revoke_form = RevokeForm(request.POST)
                if revoke_form.is_valid():
                    result_revoke(
                        acting_user=user,
                        result=item,
                        revoked_on=revoke_form.cleaned_data["ngay_thu_hoi"],
                        reason=revoke_form.cleaned_data["ly_do"],
                    )
                    messages.success(request, _("The result is marked revoked."))
                    return redirect(reverse("results:detail", args=[item.pk]))
            elif "kiem_tra" in request.POST:
                review_form = ReviewForm(request.POST)
                if review_form.is_valid():
                    result_review_confirm(
                        acting_user=user, result=item, title=review_form.cleaned_data["trich_yeu"]
                    )
                    messages.success(request, _("The metadata is marked checked."))
                    return redirect(reverse("results:detail", args=[item.pk]))
        except ResultError as exc:
            messages.error(request, str(exc))
    unmasked = can_unmask and request.GET.get("hien") == "1"
    if unmasked:
        audit_event_record(
            AuditEvent.Type.PERSONAL_DATA_VIEWED,
            user=user,
            unit=item.unit,
            obj=item,
            ip_address=_ip(request),
            page="results:detail",
        )
    today = clock.today()
    return render(
        request,
        "results/detail.html",
        {
            "item": item,
            "subject_id": item.subject_id if unmasked else mask_id(item.subject_id),
            "unmasked": unmasked,
            "can_unmask": can_unmask,
            "can_change": can_change,
            "valid_today": item.is_valid_on(today),
            "versions": shown(user, versions_of(user, item), unmask=False, day=today),
            "reuses": reuses_of(user, item),
            "revoke_form": revoke_form,
            "review_form": review_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """Store one result; ?thay-the=ID stores it as a new version of that result."""
    user: Any = request.user
    units = Unit.objects.restrict(user, Action.CHANGE).order_by("path")
    previous = None
    if request.GET.get("thay-the"):
        previous = result_get(user, request.GET["thay-the"], Action.CHANGE)
    initial: dict[str, Any] = {}
    if previous is not None:
        initial = {
            "don_vi": previous.unit,
            "loai": previous.result_type,
            "thu_tuc": previous.procedure.code if previous.procedure else None,
            "loai_chu_the": previous.subject_kind,
            "ho_ten": previous.subject_name,
            "trich_yeu": previous.title,
            "ma_ho_so": previous.source_dossier_code,
            "kieu_phien_ban": ChangeKind.AMENDMENT,
        }
    form = UploadForm(request.POST or None, request.FILES or None, units=units, initial=initial)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload_file = d["tep"]
        try:
            stored = result_store(
                acting_user=user,
                data=ResultInput(
                    unit=d["don_vi"],
                    number_symbol=d["so_ky_hieu"],
                    issued_on=d["ngay_ban_hanh"],
                    title=d["trich_yeu"],
                    result_type=d["loai"],
                    procedure=d["thu_tuc"],
                    subject_kind=d["loai_chu_the"],
                    subject_id=d["so_dinh_danh"],
                    subject_name=d["ho_ten"],
                    valid_until=d["hieu_luc_den"],
                    source_dossier_code=d["ma_ho_so"],
                ),
                content=upload_file.read(),
                original_name=upload_file.name or "",
                supersedes=previous,
                change_kind=(d["kieu_phien_ban"] or ChangeKind.AMENDMENT)
                if previous
                else ChangeKind.ORIGINAL,
                change_note=d["ghi_chu"],
            )
        except DuplicateResult as exc:
            duplicate = exc.existing
            form.add_error(None, str(exc))
        except ResultError as exc:
            form.add_error(None, str(exc))
        else:
            if stored.needs_review:
                messages.warning(
                    request,
                    _(
                        "Stored. The file has no text layer (a scan): check its metadata "
                        "against the paper."
                    ),
                )
            else:
                messages.success(request, _("Stored."))
            return redirect(reverse("results:detail", args=[stored.pk]))
    return render(
        request,
        "results/upload.html",
        {"form": form, "previous": previous, "duplicate": duplicate},
    )


@login_required
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Once-only (R6): a citizen's still-valid results the procedure accepts; the officer
    confirms which one the new dossier reuses."""
    user: Any = request.user
    form: LookupForm
    if request.method == "POST":
        form = ReuseForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            item = result_get(user, str(d["ket_qua"]))
            try:
                result_reuse_confirm(
                    acting_user=user,
                    result=item,
                    dossier_code=d["ma_ho_so"],
                    procedure=d["thu_tuc"],
                )
            except ResultError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Dossier %(dossier)s reuses result %(number)s.")
                    % {"dossier": d["ma_ho_so"], "number": item.number_symbol},
                )
            query = urlencode({"so_dinh_danh": d["so_dinh_danh"], "thu_tuc": d["thu_tuc"].code})
            return redirect(f"{reverse('results:lookup')}?{query}")
    else:
        form = LookupForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "found": None}
    if request.method == "GET" and form.is_bound and form.is_valid():
        subject_id = form.cleaned_data["so_dinh_danh"].strip()
        procedure = form.cleaned_data["thu_tuc"]
        found = once_only_results(user, subject_id, procedure)
        audit_event_record(
            AuditEvent.Type.RESULT_LOOKUP,
            user=user,
            ip_address=_ip(request),
            page="results:lookup",
            subject_id=subject_id,
            procedure=procedure.code,
            found=[r.pk for r in found],
        )
        context.update(found=found, subject_id=subject_id, procedure=procedure)
    return render(request, "results/lookup.html", context)
