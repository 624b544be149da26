"""Reads of the door-to-door work, always through the user's scope: the hamlets a
user may work in, a hamlet's worklist, the plan's lists (V.2.d) and the mop-up."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from chiendich.accounts.roles import Action, Role
from chiendich.plans.selectors import plan_for_unit
from chiendich.units.models import Level, Unit
from chiendich.vneid.models import (
    ACTIVATED_STATES,
    PENDING_STATES,
    AccountState,
    Citizen,
    Flag,
    FlagKind,
    Household,
)
from chiendich.vneid.progress import vneid_target

from .models import Outcome, Team, Visit

PACE_WINDOW = 7  # days of recorded activations the mop-up pace is measured on

# What can be won today comes first: an approved account needs one tap on the
# phone, a pending one a nudge, a not-registered one the whole guidance; people
# absent need another trip. Activated and not-eligible citizens have nothing
# left to win, so the worklist leaves them out (they are on the plan's lists).
PRIORITY_APPROVED, PRIORITY_PENDING, PRIORITY_NOT_REGISTERED, PRIORITY_ABSENT = range(4)
PRIORITY_LABELS = {
    PRIORITY_APPROVED: AccountState.APPROVED.label,
    PRIORITY_PENDING: AccountState.L1_PENDING.label,
    PRIORITY_NOT_REGISTERED: AccountState.NOT_REGISTERED.label,
    PRIORITY_ABSENT: FlagKind.ABSENT.label,
}


def mask_id(value: str) -> str:
    """082123456789 -> 082******789 (Decree 13/2023: masked unless needed)."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 6) + value[-3:]


def mask_phone(value: str) -> str:
    """0912345678 -> 09*****678."""
    if not value:
        return ""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 5) + value[-3:]


def hamlets_for(user: Any, action: str = Action.VIEW) -> QuerySet[Unit]:
    """Hamlets `user` may work in: those in their units and, for a volunteer, only
    those assigned to one of their teams."""
    hamlets = Unit.objects.restrict(user, action).filter(level=Level.HAMLET)
    if getattr(user, "role", None) == Role.VOLUNTEER and not user.is_superuser:
        hamlets = hamlets.filter(teams__members=user).distinct()
    return hamlets.order_by("path")


def hamlet_get(user: Any, code: str, action: str = Action.VIEW) -> Unit:
    """The hamlet `code` if `user` may work in it; 404 exactly like a missing one."""
    hamlet = hamlets_for(user, action).filter(code=code).first()
    if hamlet is None:
        raise Http404
    return hamlet


def unit_get(user: Any, code: str) -> Unit:
    """A territorial unit the user may see (hamlet, commune, district, province)."""
    unit = Unit.objects.restrict(user, Action.VIEW).filter(code=code, kind="territorial").first()
    if unit is None or (
        unit.level == Level.HAMLET and not hamlets_for(user).filter(pk=unit.pk).exists()
    ):
        raise Http404
    return unit


def may_see_personal(user: Any, unit: Unit) -> bool:
    """Whether `user`'s role shows ID and phone numbers and their units cover `unit`."""
    return Unit.objects.restrict(user, Action.VIEW_PERSONAL).filter(pk=unit.pk).exists()


def open_flags(citizen_ids: list[int], day: dt.date) -> dict[int, dict[str, Flag]]:
    """Flags open on `day` per citizen, by kind."""
    out: dict[int, dict[str, Flag]] = {}
    flags = Flag.objects.filter(citizen_id__in=citizen_ids, date__lte=day).filter(
        Q(until__isnull=True) | Q(until__gt=day)
    )
    for flag in flags.order_by("date", "id"):
        out.setdefault(flag.citizen_id, {})[flag.kind] = flag
    return out


@dataclass
class Person:
    citizen: Citizen
    priority: int | None  # None: nothing left to win
    id_number: str
    phone: str
    absent: bool = False
    not_eligible: Flag | None = None
    last_visit: Visit | None = None

    @property
    def label(self) -> str:
        if self.not_eligible is not None:
            return str(FlagKind.NOT_ELIGIBLE.label)
        if self.priority == PRIORITY_ABSENT:
            return str(FlagKind.ABSENT.label)
        return str(self.citizen.get_state_display())  # type: ignore[attr-defined]


@dataclass
class HouseholdBlock:
    household: Household | None
    people: list[Person] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.household.code if self.household else "-"

    @property
    def priority(self) -> int:
        return min((p.priority for p in self.people if p.priority is not None), default=99)

    @property
    def work(self) -> int:
        return sum(1 for p in self.people if p.priority is not None)


def priority_of(citizen: Citizen, absent: bool, not_eligible: bool) -> int | None:
    if not_eligible or citizen.state in ACTIVATED_STATES:
        return None
    if absent:
        return PRIORITY_ABSENT
    if citizen.state == AccountState.APPROVED:
        return PRIORITY_APPROVED
    if citizen.state in PENDING_STATES:
        return PRIORITY_PENDING
    return PRIORITY_NOT_REGISTERED


def hamlet_households(
    user: Any,
    hamlet: Unit,
    day: dt.date,
    *,
    unmasked: bool = False,
    household: Household | None = None,
) -> list[HouseholdBlock]:
    """Every household of the hamlet with all its members `user` may see, ordered by
    what can be won today (the household's best chance first), then by code."""
    citizens_qs = Citizen.objects.restrict(user).filter(unit=hamlet)
    if household is not None:
        citizens_qs = citizens_qs.filter(household=household)
    citizens = list(
        citizens_qs.select_related("household").order_by("household__code", "birth_date", "id")
    )
    ids = [c.pk for c in citizens]
    flags = open_flags(ids, day)
    last: dict[int, Visit] = {}
    for visit in Visit.objects.filter(citizen_id__in=ids).order_by("recorded_at", "id"):
        last[visit.citizen_id] = visit
    blocks: dict[int | None, HouseholdBlock] = {}
    for c in citizens:
        own = flags.get(c.pk, {})
        absent, ne = FlagKind.ABSENT in own, own.get(FlagKind.NOT_ELIGIBLE)
        person = Person(
            citizen=c,
            priority=priority_of(c, absent, ne is not None),
            id_number=c.id_number if unmasked else mask_id(c.id_number),
            phone=c.phone if unmasked else mask_phone(c.phone),
            absent=absent,
            not_eligible=ne,
            last_visit=last.get(c.pk),
        )
        blocks.setdefault(c.household_id, HouseholdBlock(c.household)).people.append(person)
    for block in blocks.values():
        block.people.sort(key=lambda p: 99 if p.priority is None else p.priority)
    return sorted(blocks.values(), key=lambda b: (b.priority, b.code))


def worklist(
    user: Any, hamlet: Unit, day: dt.date, *, unmasked: bool = False
) -> list[HouseholdBlock]:
    """The hamlet's worklist: households with work left, and only the people in them
    who still have something to win, ordered by what can be won today."""
    out = []
    for block in hamlet_households(user, hamlet, day, unmasked=unmasked):
        people = [p for p in block.people if p.priority is not None]
        if people:
            out.append(HouseholdBlock(block.household, people))
    return out


@dataclass
class PlanLists:
    """The three lists of Plan 383 V.2.d for a unit on a day."""

    activated: list[Citizen]
    absent: list[tuple[Citizen, Flag]]
    not_eligible: list[tuple[Citizen, Flag]]


def plan_lists(user: Any, unit: Unit, day: dt.date, *, unmasked: bool = False) -> PlanLists:
    """Confirmed activations, people absent (to revisit) and people not eligible (with
    their reason; they leave the denominator) among the citizens under `unit` on
    `day` that `user` may see."""
    citizens = (
        Citizen.objects.restrict(user)
        .filter(unit__path__startswith=unit.path)
        .select_related("unit", "household")
    )
    flags = (
        Flag.objects.restrict(user)
        .filter(unit__path__startswith=unit.path, date__lte=day)
        .filter(Q(until__isnull=True) | Q(until__gt=day))
    )
    by_kind: dict[str, dict[int, Flag]] = {FlagKind.ABSENT: {}, FlagKind.NOT_ELIGIBLE: {}}
    for flag in flags.order_by("date", "id"):
        by_kind[flag.kind][flag.citizen_id] = flag
    not_eligible_ids = set(by_kind[FlagKind.NOT_ELIGIBLE])
    ordering = ("unit__path", "household__code", "full_name", "id")
    activated = [
        c
        for c in citizens.filter(state__in=ACTIVATED_STATES, state_date__lte=day).order_by(
            *ordering
        )
        if c.pk not in not_eligible_ids
    ]
    flagged_ids = set(by_kind[FlagKind.ABSENT]) | not_eligible_ids
    flagged = {c.pk: c for c in citizens.filter(pk__in=flagged_ids).order_by(*ordering)}
    absent = [
        (c, by_kind[FlagKind.ABSENT][pk])
        for pk, c in flagged.items()
        if pk in by_kind[FlagKind.ABSENT]
        and pk not in not_eligible_ids
        and c.state not in ACTIVATED_STATES
    ]
    not_eligible = [
        (c, by_kind[FlagKind.NOT_ELIGIBLE][pk])
        for pk, c in flagged.items()
        if pk in not_eligible_ids
    ]
    if not unmasked:
        for c in [*activated, *flagged.values()]:
            c.id_number, c.phone = mask_id(c.id_number), mask_phone(c.phone)
    return PlanLists(activated, absent, not_eligible)


@dataclass
class TeamMopUp:
    team: Team
    households: int  # households of the team's hamlets that still have work
    people: int  # people still to win there
    activated_last_days: int
    pace: float  # activations per day over the last PACE_WINDOW days

    @property
    def days_needed(self) -> int | None:
        """Days to finish at the current pace; None when the team has no pace."""
        if self.people == 0:
            return 0
        if self.pace <= 0:
            return None
        return math.ceil(self.people / self.pace)


@dataclass
class HouseholdWork:
    """A household under a unit with `people` still to win."""

    code: str
    hamlet: str
    people: int


def mop_up(user: Any, unit: Unit, day: dt.date) -> tuple[list[HouseholdWork], list[TeamMopUp]]:
    """Households under `unit` that still have work (in hamlets the user may work in),
    most work first, and for each team covering them the days still needed at its
    last 7 days' pace: "activated" outcomes recorded by the team over the PACE_WINDOW
    days ending on `day`, divided by PACE_WINDOW. One grouped query, so a district
    or the province is as quick as a hamlet."""
    hamlets = hamlets_for(user).filter(path__startswith=unit.path)
    hamlet_ids = list(hamlets.values_list("pk", flat=True))
    names = dict(Unit.objects.filter(pk__in=hamlet_ids).values_list("pk", "name"))
    # Two grouped scans (open cases, then the few not eligible among them) instead
    # of a correlated NOT EXISTS per citizen, which SQLite plans poorly.
    key = ("unit_id", "household__code")
    open_cases = (
        Citizen.objects.restrict(user)
        .filter(unit_id__in=hamlet_ids)
        .exclude(state__in=ACTIVATED_STATES)
        .values(*key)
        .annotate(people=Count("id"))
    )
    left = {(r["unit_id"], r["household__code"]): r["people"] for r in open_cases}
    not_eligible = (
        Flag.objects.filter(unit_id__in=hamlet_ids, kind=FlagKind.NOT_ELIGIBLE, date__lte=day)
        .filter(Q(until__isnull=True) | Q(until__gt=day))
        .exclude(citizen__state__in=ACTIVATED_STATES)
        .values("citizen_id", "citizen__unit_id", "citizen__household__code")
        .distinct()
    )
    for r in not_eligible:
        k = (r["citizen__unit_id"], r["citizen__household__code"])
        if k in left:
            left[k] -= 1
    work = [
        {"unit_id": u, "unit__name": names[u], "household__code": h, "people": n}
        for (u, h), n in left.items()
        if n > 0
    ]
    households = []
    per_hamlet: dict[int, list[int]] = {}
    for row in work:
        households.append(
            HouseholdWork(row["household__code"] or "-", row["unit__name"], row["people"])
        )
        per_hamlet.setdefault(row["unit_id"], []).append(row["people"])
    households.sort(key=lambda h: (-h.people, h.hamlet, h.code))
    teams = (
        Team.objects.restrict(user)
        .filter(hamlets__in=hamlet_ids)
        .distinct()
        .prefetch_related("hamlets")
        .order_by("name")
    )
    since = day - dt.timedelta(days=PACE_WINDOW - 1)
    pace = dict(
        Visit.objects.filter(
            team__in=teams, outcome=Outcome.ACTIVATED_L1, day__gte=since, day__lte=day
        )
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    rows = []
    for team in teams:
        counts = [n for h in team.hamlets.all() for n in per_hamlet.get(h.pk, [])]
        done = pace.get(team.pk, 0)
        rows.append(
            TeamMopUp(
                team=team,
                households=len(counts),
                people=sum(counts),
                activated_last_days=done,
                pace=done / PACE_WINDOW,
            )
        )
    return households, rows


def recording_days(user: Any, hamlet: Unit, today: dt.date) -> list[dt.date]:
    """Days an officer may record outcomes for: the VNeID peak up to today (so the
    2023 campaign can be replayed); volunteers always record today."""
    if getattr(user, "role", None) == Role.VOLUNTEER:
        return []
    plan = plan_for_unit(hamlet)
    target = vneid_target(plan) if plan else None
    period = target.period if target else None
    if period is None or period.start > today:
        return []
    last = min(period.end, today)
    return [last - dt.timedelta(days=k) for k in range((last - period.start).days + 1)]
