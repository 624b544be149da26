"""Teams and door-to-door visits for the demo province (issue 4, item 6).

Called by the demo builder after the population and its account histories
exist. Teams: the five kinds Plan 383 names, in every commune, sharing the
commune's hamlets; the demo volunteer (the province's volunteer user bound to
hamlets: "tinhnguyen.trunghoa" in the 2023 replay) joins the volunteer team of
their commune, which covers exactly the hamlets that user is bound to. Visits:
a few thousand outcomes spread over the days of the VNeID peak simulated so
far, each after the citizen's last known event, written in bulk as Visit rows
plus the account events (source visit) and flags they imply.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q
from django.db.models.functions import Mod

from chiendich.accounts.models import User
from chiendich.accounts.roles import Role
from chiendich.plans.models import Plan
from chiendich.units.models import Kind, Level, Unit
from chiendich.vneid.counts import counts_refresh
from chiendich.vneid.models import (
    ACTIVATED_STATES,
    AccountEvent,
    AccountState,
    Citizen,
    DailyCount,
    Flag,
    FlagKind,
    NotEligibleReason,
    Source,
)
from chiendich.vneid.services import events_relink

from .models import Outcome, Team, TeamType, Visit

VISITS = 3_000  # citizens visited across the province
VOLUNTEER_SHARE = 3  # one in this many open cases of the volunteer's hamlets is visited
TEAM_NAMES = {
    TeamType.DIGITAL_TECH: "Tổ công nghệ số cộng đồng",
    TeamType.PROJECT_06: "Tổ công tác Đề án 06",
    TeamType.YOUTH_UNION: "Đoàn thanh niên",
    TeamType.WOMEN_UNION: "Hội phụ nữ",
    TeamType.VOLUNTEER: "Đội tình nguyện",
}
# How door-to-door outcomes fall, roughly as communes reported them in 2023.
OUTCOME_WEIGHTS = {
    Outcome.ACTIVATED_L1: 50,
    Outcome.GUIDED: 14,
    Outcome.ABSENT: 16,
    Outcome.REFUSED: 5,
    Outcome.POLICE_L2: 6,
    Outcome.FREE_SIM: 5,
    Outcome.NOT_ELIGIBLE: 4,
}
NOT_ELIGIBLE_REASONS = (
    NotEligibleReason.MOVED_AWAY,
    NotEligibleReason.DECEASED,
    NotEligibleReason.NO_CHIP_CCCD,
    NotEligibleReason.OTHER,
)


def field_simulate_clear() -> int:
    """Delete the demo's visits and teams (before the population is replaced, since
    visits point at citizens). Returns the visits deleted."""
    with transaction.atomic():
        visits, _ = Visit.objects.all().delete()
        Team.objects.all().delete()
    return visits


def _teams_create(
    province: Unit, volunteer: User | None, volunteer_commune: str
) -> dict[int, Team]:
    """Five teams per commune sharing its hamlets; returns the team of each hamlet id
    (the volunteer team for the demo volunteer's hamlets)."""
    communes = list(
        Unit.objects.filter(path__startswith=province.path, level=Level.COMMUNE, kind="territorial")
    )
    hamlets_of: dict[int, list[Unit]] = defaultdict(list)
    for h in Unit.objects.filter(path__startswith=province.path, level=Level.HAMLET).order_by(
        "code"
    ):
        hamlets_of[h.parent_id].append(h)  # type: ignore[index]
    teams = Team.objects.bulk_create(
        [
            Team(name=f"{label} {c.name}", type=kind, commune=c)
            for c in communes
            for kind, label in TEAM_NAMES.items()
        ]
    )
    by_commune: dict[int, list[Team]] = defaultdict(list)
    for team in teams:
        by_commune[team.commune_id].append(team)
    volunteer_hamlets = (
        set(volunteer.units.filter(level=Level.HAMLET).values_list("pk", flat=True))
        if volunteer
        else set()
    )
    links, team_of = [], {}
    for commune in communes:
        own = by_commune[commune.pk]
        volunteer_team = next(t for t in own if t.type == TeamType.VOLUNTEER)
        # In the volunteer's commune the other teams share the remaining hamlets.
        local = commune.code == volunteer_commune and volunteer_hamlets
        pool = [t for t in own if t is not volunteer_team] if local else own
        for k, hamlet in enumerate(hamlets_of[commune.pk]):
            team = volunteer_team if hamlet.pk in volunteer_hamlets else pool[k % len(pool)]
            links.append(Team.hamlets.through(team_id=team.pk, unit_id=hamlet.pk))
            team_of[hamlet.pk] = team
        if commune.code == volunteer_commune and volunteer is not None:
            volunteer_team.members.add(volunteer)
    Team.hamlets.through.objects.bulk_create(links, batch_size=5_000)
    return team_of


def _sample(
    province: Unit, seed: int, last: dt.date, volunteer_commune: str
) -> list[dict[str, Any]]:
    """Citizens with work left before `last` and no open flag: about VISITS across the
    province, plus one in VOLUNTEER_SHARE of the volunteer's hamlets."""
    open_cases = (
        Citizen.objects.filter(unit__path__startswith=province.path)
        .exclude(state__in=ACTIVATED_STATES)
        .filter(Q(state_date__isnull=True) | Q(state_date__lt=last))
        .exclude(Exists(Flag.objects.filter(citizen=OuterRef("pk"), until__isnull=True)))
    )
    fields = ("pk", "unit_id", "commune_id", "household_id", "state", "state_date")
    every = max(1, open_cases.count() // VISITS)
    spread = open_cases.annotate(bucket=Mod(F("id") * 7919 + seed, every)).filter(bucket=0)
    # In id order: the same visits in every build (a LIMIT without an order takes the
    # rows the query plan meets first).
    rows = {r["pk"]: r for r in spread.order_by("pk").values(*fields)[: VISITS * 2]}
    local = open_cases.filter(commune__code=volunteer_commune, unit__level=Level.HAMLET)
    local = local.annotate(bucket=Mod(F("id") + seed, VOLUNTEER_SHARE)).filter(bucket=0)
    rows.update({r["pk"]: r for r in local.order_by("pk").values(*fields)})
    return list(rows.values())


def _province() -> Unit | None:
    """The province of the latest plan, else the first province loaded."""
    plan = Plan.objects.select_related("province").order_by("-issued_on").first()
    if plan is not None:
        return plan.province
    return (
        Unit.objects.filter(level=Level.PROVINCE, kind=Kind.TERRITORIAL, parent__isnull=True)
        .order_by("code")
        .first()
    )


def _volunteer(province: Unit) -> tuple[User | None, str]:
    """The demo volunteer (the first volunteer bound to hamlets of the province) and the
    code of their commune."""
    volunteer = (
        User.objects.filter(
            role=Role.VOLUNTEER,
            units__level=Level.HAMLET,
            units__path__startswith=province.path,
        )
        .order_by("username")
        .first()
    )
    if volunteer is None:
        return None, ""
    hamlet = volunteer.units.filter(level=Level.HAMLET).select_related("parent").first()
    return volunteer, hamlet.parent.code if hamlet and hamlet.parent else ""


def field_simulate(
    *,
    province: Unit | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    seed: int = 383,
) -> dict[str, int]:
    """Teams and visits for the demo province (default: the latest plan's) on the days
    of `period` (default: the days the VNeID counts cover); does nothing when they are
    there.

    Returns what it wrote: teams, visits, events, flags, count rows refreshed.
    """
    nothing = {"teams": 0, "visits": 0, "events": 0, "flags": 0, "counts": 0}
    province = province or _province()
    if period is None:
        span = DailyCount.objects.aggregate(first=Min("date"), last=Max("date"))
        period = (span["first"], span["last"]) if span["first"] else None
    if province is None or period is None:
        return nothing
    start, end = period
    existing = Visit.objects.filter(unit__path__startswith=province.path).count()
    if Team.objects.filter(commune__path__startswith=province.path).exists() and existing:
        return {**nothing, "skipped": 1}
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    volunteer, volunteer_commune = _volunteer(province)
    with transaction.atomic():
        if not Team.objects.filter(commune__path__startswith=province.path).exists():
            team_of = _teams_create(province, volunteer, volunteer_commune)
        else:
            team_of = {
                h: t
                for t in Team.objects.filter(commune__path__startswith=province.path)
                for h in t.hamlets.values_list("pk", flat=True)
            }
        visits, events, flags = [], [], []
        outcomes, weights = list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values())
        volunteer_team = (
            volunteer.teams.filter(commune__code=volunteer_commune).first() if volunteer else None
        )
        for row in _sample(province, seed, end, volunteer_commune):
            first = max(start, (row["state_date"] or start) + dt.timedelta(days=1))
            if first > end:
                continue
            day = first + dt.timedelta(days=rng.randrange((end - first).days + 1))
            team = team_of.get(row["unit_id"])
            by = volunteer if volunteer_team is not None and team == volunteer_team else None
            outcome = rng.choices(outcomes, weights)[0]
            plan = [(day, outcome)]
            # A third of the people found absent are found at home on a later round.
            revisit = day + dt.timedelta(days=rng.randint(3, 10))
            if outcome == Outcome.ABSENT and revisit <= end and rng.random() < 0.35:
                plan.append((revisit, Outcome.ACTIVATED_L1))
            state = row["state"]
            for when, what in plan:
                reason = rng.choice(NOT_ELIGIBLE_REASONS) if what == Outcome.NOT_ELIGIBLE else ""
                visits.append(
                    Visit(
                        citizen_id=row["pk"],
                        household_id=row["household_id"],
                        unit_id=row["unit_id"],
                        team=team,
                        outcome=what,
                        reason=reason,
                        day=when,
                        recorded_by=by,
                    )
                )
                new_state = None
                if what == Outcome.ACTIVATED_L1:
                    new_state = AccountState.ACTIVATED_L1
                elif what == Outcome.GUIDED and state == AccountState.NOT_REGISTERED:
                    new_state = AccountState.L1_PENDING
                if new_state is not None:
                    state = new_state
                    events.append(
                        AccountEvent(
                            citizen_id=row["pk"],
                            state=new_state,
                            date=when,
                            source=Source.VISIT,
                            unit_id=row["unit_id"],
                            recorded_by=by,
                        )
                    )
                if what in (Outcome.ABSENT, Outcome.NOT_ELIGIBLE):
                    flags.append(
                        Flag(
                            citizen_id=row["pk"],
                            kind=FlagKind.ABSENT
                            if what == Outcome.ABSENT
                            else FlagKind.NOT_ELIGIBLE,
                            reason=reason,
                            date=when,
                            until=revisit if len(plan) == 2 else None,
                            source=Source.VISIT,
                            unit_id=row["unit_id"],
                            recorded_by=by,
                        )
                    )
        Visit.objects.bulk_create(visits, batch_size=5_000)
        AccountEvent.objects.bulk_create(events, batch_size=5_000)
        Flag.objects.bulk_create(flags, batch_size=5_000)
        events_relink(
            "SELECT DISTINCT citizen_id FROM field_visit WHERE day >= %s AND day <= %s",
            (start, end),
        )
    units = {v.unit_id for v in visits}
    counted = counts_refresh(units, since=start)
    return {
        "teams": Team.objects.filter(commune__path__startswith=province.path).count(),
        "visits": len(visits),
        "events": len(events),
        "flags": len(flags),
        "counts": counted,
    }
