"""What the pages show, assembled from the units and plans selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chiendich.accounts.models import User
from chiendich.core.inputs import day_param
from chiendich.plans.models import Period, Plan, ReportSchedule, Target
from chiendich.plans.selectors import plan_for_unit, targets_for_unit
from chiendich.units.models import Unit


@dataclass
class PeriodStatus:
    """A peak period and where a given day stands in it."""

    period: Period
    days: int
    day_number: int | None  # 1-based day of the period, None outside it
    state: str  # "upcoming", "running" or "ended"


def period_statuses(plan: Plan, today: dt.date) -> list[PeriodStatus]:
    rows = []
    for period in Period.objects.filter(plan=plan).order_by("start", "key"):
        days = (period.end - period.start).days + 1
        if today < period.start:
            rows.append(PeriodStatus(period, days, None, "upcoming"))
        elif today > period.end:
            rows.append(PeriodStatus(period, days, None, "ended"))
        else:
            rows.append(PeriodStatus(period, days, (today - period.start).days + 1, "running"))
    return rows


@dataclass
class UnitTargets:
    unit: Unit
    targets: list[Target]


def campaign_overview(user: User, today: dt.date) -> dict[str, Any]:
    """The plan that covers the user's units, its periods, and each unit's own targets."""
    units = (
        list(user.units.order_by("path"))
        if not user.is_superuser
        else list(Unit.objects.filter(parent__isnull=True))
    )
    plan = next((p for p in (plan_for_unit(u) for u in units) if p is not None), None)
    if plan is None:
        return {"plan": None, "units": units}
    return {
        "plan": plan,
        "units": units,
        "periods": period_statuses(plan, today),
        "unit_targets": [
            UnitTargets(u, _with_provenance(plan, targets_for_unit(plan, u))) for u in units
        ],
        "reports": list(ReportSchedule.objects.filter(plan=plan).order_by("deadline", "key")),
    }


def _with_provenance(plan: Plan, targets: list[Any]) -> list[Any]:
    """Each target with `source` (the document that set it) and `example` (a value
    written for an example plan, not taken from a document), read from the plan file
    as loaded: an officer must see which figures are not yet official."""
    written = {t.get("key"): t for t in plan.document.get("targets", [])}
    for t in targets:
        spec = written.get(t.key, {})
        t.source = spec.get("source") or ""
        t.example = bool(spec.get("example"))
    return targets


def breadcrumbs(unit: Unit, visible: Any) -> list[tuple[Unit, bool]]:
    """Ancestors of `unit` from the root, each with whether the user may open it."""
    codes = unit.ancestor_codes
    ancestors = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    openable = set(visible.filter(code__in=codes).values_list("code", flat=True))
    return [(ancestors[c], c in openable) for c in codes if c in ancestors]


@dataclass
class TreeSwitch:
    """ "Địa giới: năm 2023 | hiện nay" on a unit's page for a day of an earlier tree.

    `side` is the tree the page shows: "day" (the units of the as-of day: an old
    unit) or "today" (a unit of today's tree, its figures summed from the old units
    it was formed from). `others` are the units on the other side the reader may
    open: the old unit's successor (several for a split commune; the new province for
    a district), or the new unit's predecessors.
    """

    side: str
    year: int
    others: list[Unit]
    ended: dt.date | None = None  # an old unit asked about a day after it ended


def tree_switch(unit: Unit, day: dt.date | None, visible: Any, today: dt.date) -> TreeSwitch | None:
    """The switch between the as-of day's units and today's, or None when they are the same."""
    from chiendich.units.selectors import predecessors_on, unit_in_tree

    if day is None:
        return None
    if unit.valid_to is not None and unit.valid_to < today:
        found = unit_in_tree(unit, today)
        others = [found.unit] if found.unit else found.candidates
        if not others and unit.successor_path:
            others = list(Unit.objects.filter(path=unit.successor_path))
        side, ended = "day", (unit.valid_to if day > unit.valid_to else None)
    elif unit.valid_from is not None and day < unit.valid_from:
        others, side, ended = predecessors_on(unit, day), "today", None
    else:
        return None
    allowed = set(visible.filter(pk__in=[o.pk for o in others]).values_list("pk", flat=True))
    return TreeSwitch(side, day.year, [o for o in others if o.pk in allowed], ended)


def as_of_day(raw: str | None) -> dt.date | None:
    """The day a page reports on: `raw` (`?ngay=`, dd/mm/yyyy or yyyy-mm-dd) when given,
    else the last day that has counts (a 2023 campaign is read as of its data, not
    today). A `raw` that is not a day of 2000-2099 is BadInput (a 400 saying so)."""
    from .stored import last_day

    day = day_param({"ngay": raw}, "ngay")
    if day is not None:
        return day
    return last_day()


def vneid_progress(
    unit: Unit, visible: Any, day: dt.date | None, plan: Plan | None
) -> dict[str, Any]:
    """The unit's VNeID progress on `day` and that of its children the user may see."""
    from chiendich.vneid.progress import progress_for

    if day is None:
        return {"day": None, "own": None, "children": []}
    children = list(visible.filter(parent=unit, kind="territorial").order_by("code"))
    rows = progress_for([unit, *children], day, plan)
    return {"day": day, "own": rows[0], "children": rows[1:]}


@dataclass
class AllocationRow:
    unit: Unit
    basis: int
    value: int
    is_override: bool
    note: str
    daily_pace: int | None  # new activations a day needed over the whole period


def allocation_rows(unit: Unit, visible: Any, plan: Plan) -> tuple[Any, list[AllocationRow]]:
    """The activated-accounts target of `unit` and of its children in scope."""
    import math

    from chiendich.plans.models import TargetAllocation
    from chiendich.vneid.models import DailyCount
    from chiendich.vneid.progress import rollup, vneid_target

    target = vneid_target(plan)
    if target is None:
        return None, []
    start = target.period.start if target.period else None
    at_start = rollup(start) if start and DailyCount.objects.filter(date=start).exists() else {}
    days = target.period.days if target.period else None
    allocations = TargetAllocation.objects.filter(target=target).select_related("unit")
    mine = allocations.filter(unit=unit).first()
    rows = []
    for a in allocations.filter(unit__in=visible.filter(parent=unit)).order_by("unit__code"):
        already = at_start[a.unit.code].activated if a.unit.code in at_start else 0
        pace = math.ceil(max(a.value - already, 0) / days) if days else None
        rows.append(AllocationRow(a.unit, a.basis, a.value, a.is_override, a.note, pace))
    return mine, rows


def peer_ranks(scores: dict[str, Any]) -> dict[str, int]:
    """Position of each unit (by code) among peers, highest score first; peers with
    the same score share a position ("1, 2, 2, 4") and units without a score are
    not ranked. The dashboard ranks siblings by % of their own target, so a phường
    at 55% and a xã at 25% compete on how much of their target each reached."""
    ranked = sorted(((s, c) for c, s in scores.items() if s is not None), key=lambda x: -x[0])
    out: dict[str, int] = {}
    for index, (score, code) in enumerate(ranked):
        if index and score == ranked[index - 1][0]:
            out[code] = out[ranked[index - 1][1]]
        else:
            out[code] = index + 1
    return out


@dataclass
class DayChoices:
    """The as-of day input's bounds (the days with stored counts) and the days either
    side of the chosen one (the ‹ › steps)."""

    first: dt.date | None
    last: dt.date | None
    previous: dt.date | None
    next: dt.date | None


def day_choices(day: dt.date | None) -> DayChoices:
    from .stored import vneid_span

    first, last = vneid_span()
    one = dt.timedelta(days=1)
    return DayChoices(
        first,
        last,
        day - one if day and first and day - one >= first else None,
        day + one if day and last and day + one <= last else None,
    )


# --- the home page of each role ------------------------------------------------------------

# Roles whose home is their unit's dashboard with "việc hôm nay" (reports due, imports
# waiting for confirmation, units behind pace): the officers who do the campaign's work.
OFFICER_ROLES = frozenset(
    {
        "province_admin",
        "district_officer",
        "commune_officer",
        "police_province",
        "police_district",
        "police_commune",
    }
)
LEADER_ROLES = frozenset({"province_viewer"})
TASKS_SHOWN = 5  # rows of each list in the box; the rest are counted, one click away


def home_units(user: User) -> list[Unit]:
    """The units a user's home is about: their own, in tree order (a superuser without
    units: the provinces)."""
    units = list(user.units.order_by("path"))
    if not units and user.is_superuser:
        units = list(Unit.objects.filter(parent__isnull=True).order_by("path"))
    return units


def home_unit(user: User) -> Unit | None:
    """The unit whose dashboard is the user's home: their first territorial unit that a
    plan covers, else their first unit."""
    units = home_units(user)
    territorial = [u for u in units if u.kind == "territorial"]
    for unit in territorial:
        if plan_for_unit(unit) is not None:
            return unit
    chosen = territorial or units
    return chosen[0] if chosen else None


@dataclass
class TodayTasks:
    """The "việc hôm nay" box of an officer's home, as of the campaign's today."""

    today: dt.date
    overdue: list[Any]  # the user's own units' reports past their deadline, not sent
    due_today: list[Any]
    due_week: list[Any]  # due in the next 7 days
    missing_below: int  # reports due by today that units below have not sent
    overdue_count: int
    due_today_count: int
    due_week_count: int
    imports: list[Any]  # import jobs checked, waiting for confirmation
    imports_count: int
    behind: list[tuple[Unit, int]]  # units below with how many of their indicators lag
    behind_count: int

    @property
    def empty(self) -> bool:
        return not (
            self.overdue_count
            or self.due_today_count
            or self.due_week_count
            or self.missing_below
            or self.imports_count
            or self.behind_count
        )


def behind_units(dashboard: Any) -> list[tuple[Unit, int]]:
    """Units below on the dashboard with at least one indicator behind (status.py),
    most lagging indicators first."""
    if dashboard is None:
        return []
    rows = []
    for row in dashboard.children:
        lights = [row.light, *(c.light for c in row.cells.values())]
        n = sum(1 for light in lights if light == "behind")
        if n:
            rows.append((row.unit, n))
    return sorted(rows, key=lambda r: (-r[1], r[0].path))


def today_tasks(user: User, today: dt.date, dashboard: Any) -> TodayTasks:
    """What an officer has to do today: reading reporting's and imports' own selectors,
    changing nothing."""
    from chiendich.imports.models import JobState
    from chiendich.imports.selectors import jobs_visible
    from chiendich.reporting.completeness import completeness
    from chiendich.reporting.models import ReportState
    from chiendich.reporting.selectors import reports_for_user

    own_ids = list(user.units.values_list("pk", flat=True))
    reports = reports_for_user(user)
    open_own = reports.filter(state=ReportState.OPEN, unit_id__in=own_ids).order_by(
        "deadline", "schedule__position", "unit__path"
    )
    overdue = open_own.filter(deadline__lt=today)
    due_today = open_own.filter(deadline=today)
    due_week = open_own.filter(deadline__gt=today, deadline__lte=today + dt.timedelta(days=7))
    below = completeness(reports.exclude(unit_id__in=own_ids), today)
    jobs = (
        jobs_visible(user, "change").filter(state=JobState.CHECKED)
        if user.can("change")
        else jobs_visible(user).none()
    )
    behind = behind_units(dashboard)
    return TodayTasks(
        today=today,
        overdue=list(overdue[:TASKS_SHOWN]),
        due_today=list(due_today[:TASKS_SHOWN]),
        due_week=list(due_week[:TASKS_SHOWN]),
        missing_below=len(below.missing),
        overdue_count=overdue.count(),
        due_today_count=due_today.count(),
        due_week_count=due_week.count(),
        imports=list(jobs[:TASKS_SHOWN]),
        imports_count=jobs.count(),
        behind=behind[:TASKS_SHOWN],
        behind_count=len(behind),
    )


def agency_compliance(user: User) -> list[Any]:
    """The level-2 compliance of the staff of the agencies the user sees (staff app's
    selector), as of the citizens' current states."""
    from chiendich.staff.selectors import staff_compliance

    agencies = list(
        Unit.objects.restrict(user, "view").organizations().filter(staff__isnull=False).distinct()
    )
    return staff_compliance(agencies, None, user=user)
