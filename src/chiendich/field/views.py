"""Door-to-door pages: a team member's hamlets, a hamlet's households and the
one-tap outcome buttons, the worklist files, the plan's lists and the mop-up.

Views parse input, call selectors and services, render. Every object is
fetched through the user's scope (selectors.hamlet_get / unit_get), so another
hamlet's household answers 404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.roles import Action
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.core.collation import vi_sorted
from chiendich.core.inputs import id_value, parse_day
from chiendich.units.models import Level, Unit
from chiendich.vneid.models import Citizen, Household, NotEligibleReason
from chiendich.vneid.progress import Counts, rollup
from chiendich.web.selectors import as_of_day

from . import offline, worklists
from .inbox import drain_after, visit_submit
from .models import Outcome, Team
from .selectors import (
    hamlet_get,
    hamlet_households,
    hamlets_for,
    may_see_personal,
    mop_up,
    plan_lists,
    recording_days,
    unit_get,
    worklist,
)
from .services import RETRY_AFTER_SECONDS

# The outcomes shown as one-tap buttons, most common first.
BUTTONS = (
    Outcome.ACTIVATED_L1,
    Outcome.GUIDED,
    Outcome.ABSENT,
    Outcome.REFUSED,
    Outcome.POLICE_L2,
    Outcome.FREE_SIM,
)


LIST_ROWS = 1000  # names per list on screen; the xlsx export holds them all
MOP_UP_ROWS = 500  # households listed on screen; the counts cover them all


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# Pages the service worker may keep on the phone carry this header; a page with unmasked
# numbers (?hien=1), an export or a list never does (static/field/sw.js).
OFFLINE_HEADER = "X-Field-Offline"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "field"


def _offline_ok(response: HttpResponse) -> HttpResponse:
    response[OFFLINE_HEADER] = "1"
    return response


def _outcome_day(raw: str | None, allowed: list[dt.date], today: dt.date) -> dt.date:
    """The day an officer records for (dd/mm/yyyy or yyyy-mm-dd, one of `allowed`);
    today otherwise."""
    try:
        day = parse_day(raw or "")
    except ValueError:
        return today
    return day if day in allowed else today


def _hamlet_counts(hamlet: Unit) -> tuple[dt.date | None, Counts]:
    day = as_of_day(None)
    if day is None:
        return None, Counts()
    return day, rollup(day, Unit.objects.filter(pk=hamlet.pk)).get(hamlet.code, Counts())


@login_required
def field_home(request: HttpRequest) -> HttpResponse:
    """The hamlets the user works in, with their teams."""
    user: User = request.user  # type: ignore[assignment]
    hamlets = vi_sorted(hamlets_for(user).select_related("parent"), key=lambda h: h.name)
    progress = offline.hamlets_progress(user, hamlets, clock.today())
    for hamlet in hamlets:
        hamlet.progress = progress.get(hamlet.code)  # type: ignore[attr-defined]
    teams = Team.objects.restrict(user).filter(members=user).order_by("name")
    return _offline_ok(
        render(
            request,
            "field/home.html",
            {
                "hamlets": hamlets,
                "teams": teams,
                # Lists and mop-up are kept for places: an agency (a department) has none.
                "units": Unit.objects.filter(pk__in=user.units.values("pk")).territorial(),
                "strings": _page_strings(),
                "offline_days": settings.FIELD_OFFLINE_DAYS,
            },
        )
    )


def _household_url(hamlet: Unit, citizen: Citizen, day: dt.date, today: dt.date) -> str:
    query = {"ho": citizen.household.code if citizen.household else ""}
    if day != today:
        query["ngay"] = day.isoformat()
    return f"{reverse('field:hamlet', args=[hamlet.code])}?{urlencode(query)}"


@login_required
@require_http_methods(["GET", "POST"])
def hamlet_view(request: HttpRequest, code: str) -> HttpResponse:
    """A hamlet: its households to visit; with ?ho=, one household's people and the
    outcome buttons; POST records one outcome and comes back to the household."""
    user = request.user
    hamlet = hamlet_get(user, code)
    today = clock.today()
    allowed = recording_days(user, hamlet, today)
    if request.method == "POST":
        hamlet = hamlet_get(user, code, Action.CHANGE)
        citizen_id = id_value(request.POST.get("citizen"))
        citizen = (
            Citizen.objects.restrict(user, Action.CHANGE)
            .filter(unit=hamlet, pk=citizen_id)
            .select_related("household")
            .first()
            if citizen_id
            else None
        )
        outcome = request.POST.get("outcome", "")
        if citizen is None:
            raise Http404
        day = _outcome_day(request.POST.get("ngay"), allowed, today)
        try:
            submitted = visit_submit(
                citizen,
                outcome=outcome,
                day=day,
                acting_user=user,  # type: ignore[arg-type]
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", "").strip(),
            )
        except ValueError:
            messages.error(request, _("Choose a valid outcome (and a reason for not eligible)."))
        else:
            said = {"name": citizen.full_name, "outcome": Outcome(outcome).label}
            if submitted.visit is None:
                # The database was busy (an import merging): accepted, written in moments.
                messages.info(request, _("%(name)s: %(outcome)s (received, being written)") % said)
            else:
                messages.success(request, _("%(name)s: %(outcome)s") % said)
            return drain_after(redirect(_household_url(hamlet, citizen, day, today)))
        return redirect(_household_url(hamlet, citizen, day, today))

    context: dict[str, Any] = {"hamlet": hamlet, "buttons": BUTTONS}
    context["counts_day"], context["counts"] = _hamlet_counts(hamlet)
    household_code = request.GET.get("ho")
    if household_code:
        household = (
            Household.objects.restrict(user).filter(unit=hamlet, code=household_code).first()
        )
        if household is None:
            raise Http404
        unmasked = request.GET.get("hien") == "1" and may_see_personal(user, hamlet)
        blocks = hamlet_households(user, hamlet, today, unmasked=unmasked, household=household)
        if unmasked:
            audit_event_record(
                AuditEvent.Type.PERSONAL_DATA_VIEWED,
                user=user,  # type: ignore[arg-type]
                unit=hamlet,
                obj=household,
                ip_address=_ip(request),
                page="field:household",
                people=sum(len(b.people) for b in blocks),
            )
        context.update(
            household=household,
            entry=blocks[0] if blocks else None,
            unmasked=unmasked,
            can_unmask=may_see_personal(user, hamlet),
            reasons=NotEligibleReason.choices,
            days=allowed,
            day=_outcome_day(request.GET.get("ngay"), allowed, today),
            today=today,
            strings=_page_strings(),
            offline_days=settings.FIELD_OFFLINE_DAYS,
        )
        response = render(request, "field/household.html", context)
        return response if unmasked else _offline_ok(response)
    lists = plan_lists(user, hamlet, today)
    data = offline.hamlet_data(user, hamlet, today)
    query = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("loc", "")
    shown = [h for h in data["households"] if _matches(h, query, status)]
    context.update(
        blocks=worklist(user, hamlet, today),
        revisit=lists.absent,
        households=shown,
        progress=data["progress"],
        query=query,
        status=status,
        statuses=_status_labels(),
        offline_days=data["offline_days"],
        strings=_page_strings(),
    )
    return _offline_ok(render(request, "field/hamlet.html", context))


def _fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    ).casefold()


def _matches(household: dict[str, Any], query: str, status: str) -> bool:
    """The household matches the search (name or household code, with or without
    accents) and the filter (cần đến / hẹn quay lại / đã xong)."""
    if status in (offline.TODO, offline.REVISIT, offline.DONE) and household["status"] != status:
        return False
    if not query:
        return True
    q = _fold(query)
    texts = [household["code"], household["head"], *(p["name"] for p in household["people"])]
    return any(q in _fold(t) for t in texts)


def _status_labels() -> list[tuple[str, str]]:
    return [
        (offline.TODO, pgettext("worklist filter", "to visit")),
        (offline.REVISIT, pgettext("worklist filter", "revisit")),
        (offline.DONE, pgettext("worklist filter", "done")),
    ]


def _page_strings() -> dict[str, str]:
    """What field.js says, translated here (the page has no JavaScript catalogue)."""
    return {
        "unsent": _("not sent: %(n)s"),
        "all_sent": _("all sent"),
        "pending": _("received, being written: %(n)s"),
        "sending": _("sending…"),
        "offline": _("No network: outcomes are kept on this phone and sent later."),
        "refused": _("Refused by the server (kept here until you dismiss it)"),
        "dismiss": _("Dismiss"),
        "changed": _("Changed by someone else"),
        "changed_line": _("%(name)s: %(by)s recorded “%(outcome)s” at %(at)s"),
        "queued": _("%(outcome)s · not sent"),
        "writing": _("%(outcome)s · being written"),
        "activated": _("Activated"),
        "revoked": _(
            "This hamlet is no longer assigned to you: its list was removed from this phone."
        ),
        "show_numbers": _("Show ID and phone numbers"),
        "household": _("Household"),
        "head": _("Head of household"),
        "last_visit": _("last visit"),
        "reason": _("Reason…"),
        "not_eligible": _("Not eligible"),
        "note": _("Note (optional)"),
        "none": _("No household matches."),
        "expired": _("The lists kept on this phone are older than %(n)s days and were wiped."),
        "signed_out": _(
            "You are signed out (or your account was locked): sign in again to send "
            "the outcomes kept on this phone."
        ),
        "confirm_signout": _(
            "%(n)s outcomes are not sent yet and signing out deletes them from this "
            "phone. Sign out anyway?"
        ),
        "progress": _("%(done)s/%(total)s households done · %(left)s people left"),
    }


@login_required
@require_GET
@gzip_page
def hamlet_data_view(request: HttpRequest, code: str) -> JsonResponse:
    """The hamlet as the phone keeps it offline: households and people, masked.
    Compressed (a tenth of the size on a phone's network); it reflects nothing the
    request sent and holds no secret token, so compression leaks nothing (BREACH)."""
    hamlet = hamlet_get(request.user, code)
    data = offline.hamlet_data(request.user, hamlet, clock.today())
    data["counts"] = {"activated": _hamlet_counts(hamlet)[1].activated}
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response[OFFLINE_HEADER] = "1"
    # For the queued outcomes: a page kept on the phone may carry an older sign-in's token.
    response["X-CSRFToken"] = get_token(request)
    return response


@require_POST
def sync_view(request: HttpRequest) -> JsonResponse:
    """Queued outcomes from a phone, as JSON {"outcomes": [...]}; per-outcome answers.

    A signed-out or locked account answers 403 with a message: the phone keeps its
    queue and shows why (Django's login redirect would be read as a sign-in page)."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return JsonResponse(
            {"refused": "signed_out", "message": _page_strings()["signed_out"]}, status=403
        )
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    items = body.get("outcomes") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return JsonResponse({"message": _("Send the outcomes as JSON.")}, status=400)
    results = offline.outcomes_sync(user, items)
    response = JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
    if any(r["status"] == 503 for r in results):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if any(r["status"] in (200, 201, 202) for r in results):
        drain_after(response)  # once it is sent: write outcomes that wait, if any
    return response


@cache
def _service_worker_source() -> str:
    return (STATIC_DIR / "sw.js").read_text(encoding="utf-8")


def service_worker(request: HttpRequest) -> HttpResponse:
    """/thuc-dia/sw.js: served here, not under /static/, so its scope covers /thuc-dia/."""
    text = (
        _service_worker_source()
        .replace("__WORKBOX__", static("field/vendor/workbox/"))
        .replace("__STATIC__", static("field/"))
    )
    response = HttpResponse(text, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field:home")
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: installable, opens on the volunteer's hamlets."""
    home = reverse("field:home")
    data = {
        "name": "chiendich · " + _("Door-to-door"),
        "short_name": _("Door-to-door"),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )


def _export(request: HttpRequest, unit: Unit, kind: str, rows: int, unmasked: bool) -> None:
    audit_event_record(
        AuditEvent.Type.PERSONAL_DATA_EXPORTED,
        user=request.user,  # type: ignore[arg-type]
        unit=unit,
        ip_address=_ip(request),
        file=kind,
        rows=rows,
        unmasked=unmasked,
    )


def _file(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def worklist_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """The hamlet's worklist as a spreadsheet (ID numbers masked unless allowed)."""
    hamlet = hamlet_get(request.user, code)
    today = clock.today()
    unmasked = may_see_personal(request.user, hamlet)
    blocks = worklist(request.user, hamlet, today, unmasked=unmasked)
    _export(request, hamlet, "worklist.xlsx", sum(len(b.people) for b in blocks), unmasked)
    content = worklists.worklist_xlsx(hamlet, today, blocks)
    return _file(content, worklists.XLSX, f"danh-sach-{hamlet.code}-{today:%Y%m%d}.xlsx")


@login_required
def worklist_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The hamlet's worklist to print on A4 and tick by hand."""
    hamlet = hamlet_get(request.user, code)
    today = clock.today()
    unmasked = may_see_personal(request.user, hamlet)
    blocks = worklist(request.user, hamlet, today, unmasked=unmasked)
    _export(request, hamlet, "worklist.pdf", sum(len(b.people) for b in blocks), unmasked)
    content = worklists.worklist_pdf(hamlet, today, blocks)
    return _file(content, "application/pdf", f"danh-sach-{hamlet.code}-{today:%Y%m%d}.pdf")


@login_required
def lists_view(request: HttpRequest, code: str) -> HttpResponse:
    """Plan 383 V.2.d lists for a hamlet or any unit above: confirmed activations,
    people absent (to revisit), people not eligible with reasons. ?xuat=xlsx exports."""
    unit = unit_get(request.user, code)
    day = as_of_day(request.GET.get("ngay")) or clock.today()
    if unit.level not in (Level.HAMLET, Level.COMMUNE):
        # The plan keeps these lists per hamlet and commune; a district's would be
        # hundreds of thousands of names, more than a page or a sheet can hold.
        communes = Unit.objects.restrict(request.user).filter(
            path__startswith=unit.path, level=Level.COMMUNE, kind="territorial"
        )
        return render(request, "field/lists_pick.html", {"unit": unit, "communes": communes})
    can_unmask = may_see_personal(request.user, unit)
    exporting = request.GET.get("xuat") == "xlsx"
    unmasked = can_unmask and (exporting or request.GET.get("hien") == "1")
    lists = plan_lists(request.user, unit, day, unmasked=unmasked)
    rows = len(lists.activated) + len(lists.absent) + len(lists.not_eligible)
    if exporting:
        _export(request, unit, "lists.xlsx", rows, unmasked)
        content = worklists.plan_lists_xlsx(unit, day, lists)
        return _file(content, worklists.XLSX, f"ket-qua-{unit.code}-{day:%Y%m%d}.xlsx")
    if unmasked:
        audit_event_record(
            AuditEvent.Type.PERSONAL_DATA_VIEWED,
            user=request.user,  # type: ignore[arg-type]
            unit=unit,
            ip_address=_ip(request),
            page="field:lists",
            people=rows,
        )
    return render(
        request,
        "field/lists.html",
        {
            "unit": unit,
            "day": day,
            "lists": lists,
            "unmasked": unmasked,
            "can_unmask": can_unmask,
            "rows": LIST_ROWS,
        },
    )


@login_required
def mopup_view(request: HttpRequest, code: str) -> HttpResponse:
    """Households that still have work, and each team's days needed at its pace."""
    unit = unit_get(request.user, code)
    day = as_of_day(request.GET.get("ngay")) or clock.today()
    households, teams = mop_up(request.user, unit, day)
    return render(
        request,
        "field/mopup.html",
        {
            "unit": unit,
            "day": day,
            "households": households[:MOP_UP_ROWS],
            "more": max(0, len(households) - MOP_UP_ROWS),
            "household_count": len(households),
            "teams": teams,
            "people": sum(h.people for h in households),
        },
    )
