"""What a volunteer's phone keeps offline, and how its queued outcomes come back.

The phone stores, per hamlet it opened, `hamlet_data`: the households (head's name,
address, status) and people with their ID and phone numbers MASKED, their state and
last visit. Never an unmasked number: the phone may be lost, shared or seized. The
page (static/field/field.js) keeps outcomes tapped offline in IndexedDB, each with a
UUID made on the phone, and sends them in batches to `outcomes_sync` (the sync view),
which stores each once per id (services.visit_record_once; inbox.visit_submit accepts
it into the inbox, 202, when the database stays busy) and answers per outcome.

The conflict rule, one place in code (services.visit_record_once) and in the page's
help: every visit is kept; a person's state follows the visit that happened last by
the phones' clocks, bounded by the server's clock. After a sync, the phone is told
for each person whose deciding visit was someone else's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from chiendich.accounts.roles import Action
from chiendich.core import clock
from chiendich.core.collation import vi_sort_key
from chiendich.core.inputs import id_value
from chiendich.units.models import Unit
from chiendich.vneid.models import (
    ACTIVATED_STATES,
    AccountState,
    Citizen,
    Flag,
    FlagKind,
    NotEligibleReason,
)

from .inbox import PendingConflictError, inbox_accept, visit_submit
from .models import Outcome, Visit
from .selectors import (
    PRIORITY_ABSENT,
    HouseholdBlock,
    Person,
    hamlet_households,
    hamlets_for,
    may_see_personal,
)
from .services import VisitConflictError

# Statuses of a person and a household on the phone, and the filter's words.
TODO, REVISIT, DONE = "todo", "revisit", "done"
MAX_BATCH = 500  # outcomes per sync request; a phone with more sends several


def status_of(person: Person) -> str:
    if person.priority is None:
        return DONE
    return REVISIT if person.priority == PRIORITY_ABSENT else TODO


def household_status(statuses: Iterable[str]) -> str:
    seen = set(statuses)
    return TODO if TODO in seen else REVISIT if REVISIT in seen else DONE


def head_of(block: HouseholdBlock) -> str:
    """The head of household's name as the police list gives it ("Họ tên chủ hộ");
    a list without it: the eldest member, marked as such so nobody takes a guess for
    the register's head."""
    if block.household is not None and block.household.head_name:
        return block.household.head_name
    people = sorted(block.people, key=lambda p: (p.citizen.birth_date, p.citizen.pk))
    if not people:
        return ""
    return _("%(name)s (eldest)") % {"name": people[0].citizen.full_name}


def _place(hamlet: Unit) -> str:
    """The hamlet and its commune: "Ấp Mỹ Lợi, Xã Mỹ Phước"."""
    parent = hamlet.parent.name if hamlet.parent_id and hamlet.parent else ""
    return f"{hamlet.name}, {parent}" if parent else hamlet.name


def address_of(block: HouseholdBlock, hamlet: Unit) -> str:
    """The household's address as the police list gives it, else its hamlet and commune."""
    if block.household is not None and block.household.address:
        return block.household.address
    return _place(hamlet)


def _visit_json(visit: Visit | None, user: Any) -> dict[str, Any] | None:
    if visit is None:
        return None
    by = visit.recorded_by
    return {
        "outcome": visit.outcome,
        "label": str(Outcome(visit.outcome).label),
        "day": visit.day.strftime("%d/%m/%Y"),
        "by": str(by) if by else "",
        "mine": by is not None and by.pk == user.pk,
    }


def deciding_visit(citizen_id: int) -> Visit | None:
    """The visit that decides the person's state under the conflict rule."""
    visits = Visit.objects.filter(citizen_id=citizen_id, applied=True).select_related("recorded_by")
    return max(visits, key=lambda v: (v.happened_at, v.pk), default=None)


def hamlet_data(user: Any, hamlet: Unit, today: dt.date) -> dict[str, Any]:
    """The hamlet as the phone keeps it: masked, the user's scope only."""
    blocks = hamlet_households(user, hamlet, today, unmasked=False)
    households: list[dict[str, Any]] = []
    for block in blocks:
        head = head_of(block)
        people: list[dict[str, Any]] = [
            {
                "id": p.citizen.pk,
                "name": p.citizen.full_name,
                "born": p.citizen.birth_date.strftime("%d/%m/%Y"),
                "id_number": p.id_number,  # masked
                "phone": p.phone,  # masked
                "label": p.label,
                "status": status_of(p),
                "last": _visit_json(p.last_visit, user),
            }
            for p in block.people
        ]
        households.append(
            {
                "code": block.code,
                "head": head,
                "address": address_of(block, hamlet),
                "status": household_status(p["status"] for p in people),
                "people": people,
            }
        )
    order = {TODO: 0, REVISIT: 1, DONE: 2}
    households.sort(
        key=lambda h: (order[h["status"]], vi_sort_key(h["head"]), vi_sort_key(h["code"]))
    )
    done = sum(1 for h in households if h["status"] == DONE)
    return {
        "hamlet": {"code": hamlet.code, "name": hamlet.name, "address": _place(hamlet)},
        "user": user.pk,
        "generated_at": timezone.now().isoformat(),
        "offline_days": settings.FIELD_OFFLINE_DAYS,
        # Whether the page may link to the server's unmasked page (never kept offline).
        "can_unmask": may_see_personal(user, hamlet),
        "progress": {
            "households": len(households),
            "done": done,
            "revisit": sum(1 for h in households if h["status"] == REVISIT),
            "people_left": sum(1 for h in households for p in h["people"] if p["status"] != DONE),
        },
        "outcomes": [{"value": o.value, "label": str(o.label)} for o in Outcome],
        "reasons": [{"value": v, "label": str(label)} for v, label in NotEligibleReason.choices],
        "households": households,
    }


# The home page shows each hamlet's progress for at most this many hamlets (a
# volunteer's few; an officer with a whole district has the dashboards for that).
HOME_PROGRESS_HAMLETS = 50


def hamlets_progress(user: Any, hamlets: list[Unit], today: dt.date) -> dict[str, dict[str, int]]:
    """Each hamlet's progress as its page shows it (hamlet_data's "progress": households,
    done, revisit, people_left), by hamlet code, from one pass over its people: the same
    statuses (status_of: activated or not eligible is done, absent is to revisit)."""
    if not hamlets or len(hamlets) > HOME_PROGRESS_HAMLETS:
        return {}
    citizens = Citizen.objects.restrict(user).filter(unit__in=hamlets)
    flags: dict[int, set[str]] = {}
    for citizen_id, kind in (
        Flag.objects.filter(citizen__in=citizens, date__lte=today)
        .filter(Q(until__isnull=True) | Q(until__gt=today))
        .values_list("citizen_id", "kind")
    ):
        flags.setdefault(citizen_id, set()).add(kind)
    codes = {h.pk: h.code for h in hamlets}
    households: dict[tuple[int, int | None], list[str]] = {}
    for pk, unit_id, household_id, state in citizens.values_list(
        "pk", "unit_id", "household_id", "state"
    ):
        own = flags.get(pk, set())
        if FlagKind.NOT_ELIGIBLE in own or state in ACTIVATED_STATES:
            status = DONE
        else:
            status = REVISIT if FlagKind.ABSENT in own else TODO
        households.setdefault((unit_id, household_id), []).append(status)
    out = {
        code: {"households": 0, "done": 0, "revisit": 0, "people_left": 0}
        for code in codes.values()
    }
    for (unit_id, _household), statuses in households.items():
        row = out[codes[unit_id]]
        status = household_status(statuses)
        row["households"] += 1
        row["done"] += status == DONE
        row["revisit"] += status == REVISIT
        row["people_left"] += sum(1 for s in statuses if s != DONE)
    return out


@dataclass
class _Item:
    client_id: str
    citizen: int
    outcome: str
    reason: str
    note: str
    phone_time: dt.datetime | None


def _parse(raw: Any) -> _Item | str:
    """One queued outcome, or the message saying what is wrong with it."""
    if not isinstance(raw, dict):
        return _("Not an outcome.")
    try:
        client_id = str(uuid.UUID(str(raw.get("client_id", ""))))
    except ValueError:
        return _("The outcome has no valid phone id.")
    citizen = id_value(str(raw.get("citizen", "")))
    outcome = str(raw.get("outcome", ""))
    reason = str(raw.get("reason") or "")
    if citizen is None or outcome not in Outcome.values:
        return _("Choose a valid outcome (and a reason for not eligible).")
    if outcome == Outcome.NOT_ELIGIBLE and reason not in NotEligibleReason.values:
        return _("Choose a valid outcome (and a reason for not eligible).")
    note = str(raw.get("note") or "").strip()[:300]
    phone_time = None
    text = raw.get("recorded_on_phone")
    if isinstance(text, str) and len(text) <= 40:
        try:
            phone_time = parse_datetime(text)
        except ValueError:
            phone_time = None
    return _Item(client_id, citizen, outcome, reason, note, phone_time)


def _result(item_id: str, status: int, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"client_id": item_id, "status": status, "message": message, **extra}


def outcomes_sync(user: Any, raw_items: list[Any]) -> list[dict[str, Any]]:
    """Store each queued outcome once, in the order sent, and answer for each:
    201 stored, 200 already stored (same phone id), 202 received while the database
    was busy and being written (field.inbox: checked, kept durably, written within
    moments), 409 that id holds another outcome, 403 refused (the person is not in
    a hamlet the user still works in), 400 not an outcome, 503 not looked at (more
    than MAX_BATCH in one request: send again). Every answer but 202 and 503 is final:
    the phone keeps 200/201 counted until its next copy of the hamlet shows them, shows
    202 "being written" and asks again with the same id (200 once written), and keeps the
    others visible with their message (static/field/outbox.js)."""
    citizens = Citizen.objects.restrict(user, Action.CHANGE).filter(
        unit__in=hamlets_for(user, Action.CHANGE)
    )
    results: list[dict[str, Any]] = []
    # Once one outcome of the batch found the database busy past the bound, the
    # others go to the inbox at once: a batch never waits the bound per outcome.
    busy = False
    for raw in raw_items[:MAX_BATCH]:
        item = _parse(raw)
        raw_id = str(raw.get("client_id", "")) if isinstance(raw, dict) else ""
        if isinstance(item, str):
            results.append(_result(raw_id, 400, item))
            continue
        citizen = citizens.filter(pk=item.citizen).select_related("unit").first()
        if citizen is None:
            results.append(
                _result(
                    item.client_id,
                    403,
                    _(
                        "Refused: this person is not in a hamlet you are assigned to any "
                        "more. The outcome was not stored; tell your commune."
                    ),
                )
            )
            continue
        phone_day = (
            timezone.localtime(min(item.phone_time, timezone.now())).date()
            if item.phone_time and timezone.is_aware(item.phone_time)
            else clock.today()
        )
        earliest = clock.today() - dt.timedelta(days=settings.FIELD_OFFLINE_DAYS)
        day = min(max(phone_day, earliest), clock.today())
        submit = inbox_accept if busy else visit_submit
        try:
            submitted = submit(
                citizen,
                outcome=item.outcome,
                day=day,
                acting_user=user,
                reason=item.reason,
                note=item.note,
                client_id=item.client_id,
                recorded_on_phone=item.phone_time or timezone.now(),
            )
        except (VisitConflictError, PendingConflictError):
            results.append(
                _result(
                    item.client_id,
                    409,
                    _("This phone id is already stored for a different outcome."),
                )
            )
            continue
        if submitted.visit is None:
            busy = True
            results.append(
                _result(
                    item.client_id,
                    202,
                    _("Received; being written. It is stored within moments."),
                    citizen=citizen.pk,
                )
            )
            continue
        results.append(_stored(item.client_id, submitted.status, submitted.visit, citizen, user))
    for raw in raw_items[MAX_BATCH:]:
        raw_id = str(raw.get("client_id", "")) if isinstance(raw, dict) else ""
        results.append(_result(raw_id, 503, _busy_message()))
    return results


def _busy_message() -> str:
    return _("The server is busy; the outcome stays on the phone and is sent again.")


def _stored(item_id: str, status: int, visit: Visit, citizen: Citizen, user: Any) -> dict:
    citizen.refresh_from_db(fields=["state"])
    deciding = deciding_visit(citizen.pk)
    other = None
    if deciding is not None and deciding.recorded_by_id != user.pk:
        other = {
            "by": str(deciding.recorded_by) if deciding.recorded_by else "",
            "outcome": str(Outcome(deciding.outcome).label),
            "at": timezone.localtime(deciding.happened_at).strftime("%H:%M %d/%m/%Y"),
        }
    return _result(
        item_id,
        status,
        visit=visit.pk,
        applied=visit.applied,
        citizen=citizen.pk,
        state=citizen.state,
        state_label=str(AccountState(citizen.state).label),
        changed_by_other=other,
    )
