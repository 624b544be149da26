"""Reads of staff compliance shared by commands, pages and reports.

Per agency and category: how many staff, how many match a citizen record (by
ID number, at read time), how many are at VNeID level 2 on a day, the rate
against the plan's 100% target, and who is still missing. With a `user`, only
the staff rows that user may see are counted (the agency and the units above
it: restrict on `agency`), and ID numbers are shown only where the user's
"view_personal" scope covers the agency.

A staff member's citizen record may lie outside the reader's territory (a
teacher living in another district); only its account state is read, never
shown, so the agency's accountability for its own staff decides visibility.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from chiendich.accounts.models import User
from chiendich.plans.models import Plan, Target
from chiendich.plans.selectors import plan_for_unit, province_code_of
from chiendich.units.models import Unit
from chiendich.vneid.models import AccountEvent, AccountState, Citizen
from chiendich.vneid.progress import rate

from .cells import category_name
from .models import StaffCategory, StaffMember

# Which of the plan's indicators measures each category (plan file `indicators`).
# Plan 383 II.1.a note sets 100% level 2 for officials, civil servants, public
# employees, armed forces and party members; V.5.b the same for teachers; V.6
# only asks that industrial-zone workers be mobilized, so workers have no target.
CATEGORY_INDICATORS: dict[str, str | None] = {
    StaffCategory.CAN_BO: "staff_vneid_level2_rate",
    StaffCategory.CONG_CHUC: "staff_vneid_level2_rate",
    StaffCategory.VIEN_CHUC: "staff_vneid_level2_rate",
    StaffCategory.ARMED_FORCES: "staff_vneid_level2_rate",
    StaffCategory.PARTY_MEMBER: "staff_vneid_level2_rate",
    StaffCategory.TEACHER: "teacher_vneid_level2_rate",
    StaffCategory.WORKER: None,
}
NOT_FOUND = "not_found"  # the state of a staff member with no citizen record


def level2_rate(level2: int, staff: int) -> Decimal | None:
    """The staff level-2 rate: Plan 383 II.1.a note (officials ... armed forces) and
    V.5.b (teachers); plan file indicators `staff_vneid_level2_rate` and
    `teacher_vneid_level2_rate`.

    Numerator: staff on the list whose VNeID account is activated at level 2 on
    the day. Denominator: everyone on the list, including people not found in
    the citizen records (they are not at level 2 as far as we know). x 100, two
    decimals; None ("N/A") for an empty list.
    """
    return rate(level2, staff)


def mask_id_number(id_number: str) -> str:
    """An ID number with its middle hidden: province code and last three digits stay."""
    if len(id_number) < 7:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 6) + id_number[-3:]


def staff_visible(user: User | Any) -> QuerySet[StaffMember]:
    """The staff rows `user` may see: their agencies' and those below their units."""
    return StaffMember.objects.restrict(user, "view")


def agencies_under(unit: Unit, user: User | Any = None) -> QuerySet[Unit]:
    """The organizations in `unit`'s subtree (the unit itself when it is one) that
    hold a staff list; with `user`, only those the user may see."""
    units = Unit.objects.all() if user is None else Unit.objects.restrict(user, "view")
    return units.organizations().subtree(unit).filter(staff__isnull=False).distinct()


def account_states(id_numbers: QuerySet[Any], day: dt.date | None) -> dict[str, str]:
    """ID number -> account state, for the citizens whose ID is in `id_numbers` (a
    values("id_number") queryset). On `day`: the state of the citizen's last event
    dated on or before it (not registered when there is none); `day` None: now.
    A staff ID without a citizen record is absent from the result.
    """
    citizens = Citizen.objects.filter(id_number__in=id_numbers)
    if day is None:
        return dict(citizens.values_list("id_number", "state"))
    states = dict.fromkeys(citizens.values_list("id_number", flat=True), "")
    events = (
        AccountEvent.objects.filter(citizen__id_number__in=id_numbers, date__lte=day)
        .order_by("citizen_id", "date", "id")
        .values_list("citizen__id_number", "state")
    )
    for id_number, state in events:  # in date order: the last one wins
        states[id_number] = state
    return {k: v or AccountState.NOT_REGISTERED.value for k, v in states.items()}


@dataclass(frozen=True)
class MissingStaff:
    """A staff member not at level 2 on the day; `state` is NOT_FOUND without a citizen record."""

    full_name: str
    id_number: str  # masked unless the reader may see personal data of the agency
    position: str
    category: str
    state: str

    @property
    def state_label(self) -> str:
        if self.state == NOT_FOUND:
            return "không có trong dữ liệu dân cư"
        return str(AccountState(self.state).label)

    def as_dict(self) -> dict[str, Any]:
        return {
            "full_name": self.full_name,
            "id_number": self.id_number,
            "position": self.position,
            "category": self.category,
            "state": self.state,
        }


@dataclass
class ComplianceLine:
    """One agency's staff of one category (`category` None: all its categories)."""

    category: str | None
    staff: int = 0
    matched: int = 0
    level2: int = 0
    target_key: str = ""
    target: Decimal | None = None
    missing: list[MissingStaff] = field(default_factory=list)

    @property
    def category_name(self) -> str:
        return category_name(self.category) if self.category else "Tổng"

    @property
    def unmatched(self) -> int:
        return self.staff - self.matched

    @property
    def missing_count(self) -> int:
        return self.staff - self.level2

    @property
    def rate(self) -> Decimal | None:
        return level2_rate(self.level2, self.staff)

    @property
    def met(self) -> bool | None:
        if self.target is None or self.rate is None:
            return None
        return self.rate >= self.target

    def add(self, other: ComplianceLine) -> None:
        self.staff += other.staff
        self.matched += other.matched
        self.level2 += other.level2

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "category_name": self.category_name,
            "staff": self.staff,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "level2": self.level2,
            "rate": self.rate,
            "target_key": self.target_key,
            "target": self.target,
            "met": self.met,
            "missing": [m.as_dict() for m in self.missing],
        }


@dataclass
class AgencyCompliance:
    """An agency's staff compliance on one day: a line per category and their total."""

    code: str
    name: str
    day: dt.date | None
    categories: list[ComplianceLine]
    total: ComplianceLine
    ids_shown: bool

    def as_dict(self) -> dict[str, Any]:
        total = self.total.as_dict()
        total.pop("missing")
        return {
            "code": self.code,
            "name": self.name,
            "date": self.day,
            "categories": [c.as_dict() for c in self.categories],
            "total": total,
        }


class _Targets:
    """The plan's target of each indicator for an agency, one query per province."""

    def __init__(self) -> None:
        self._plans: dict[str, Plan | None] = {}
        self._targets: dict[int, list[Target]] = {}

    def for_agency(self, agency: Unit, category: str) -> tuple[str, Decimal | None]:
        indicator = CATEGORY_INDICATORS.get(category)
        if indicator is None:
            return "", None
        province = province_code_of(agency)
        if province not in self._plans:
            self._plans[province] = plan_for_unit(agency)
        plan = self._plans[province]
        if plan is None:
            return "", None
        if plan.pk not in self._targets:
            self._targets[plan.pk] = list(plan.targets.filter(is_context=False))
        targets = [t for t in self._targets[plan.pk] if t.indicator == indicator]
        # The target set for the agency's level and type; else the plan's target of
        # that indicator (all teachers count, whichever agency lists them).
        chosen = next((t for t in targets if t.applies_to(agency)), None) or next(
            iter(targets), None
        )
        return (chosen.key, chosen.value) if chosen else ("", None)


def staff_compliance(
    agency_units: Iterable[Unit], day: dt.date | None, *, user: User | Any = None
) -> list[AgencyCompliance]:
    """Staff compliance of each of `agency_units` that has staff, in tree order.

    `day` None reads the citizens' current states. With `user`, only rows the
    user may see count, and IDs of the missing are masked unless the user's
    "view_personal" scope covers the agency; without one (commands run by the
    operator) every row counts and IDs are masked.
    """
    agencies = {u.pk: u for u in agency_units}
    staff = StaffMember.objects.all() if user is None else staff_visible(user)
    staff = staff.filter(agency_id__in=list(agencies))
    states = account_states(staff.values("id_number"), day)
    personal: set[int] = set()
    if user is not None:
        personal = set(
            Unit.objects.restrict(user, "view_personal")
            .filter(pk__in=list(agencies))
            .values_list("pk", flat=True)
        )
    targets = _Targets()
    lines: dict[int, dict[str, ComplianceLine]] = {}
    for member in staff.order_by("agency_id", "category", "full_name", "id"):
        agency = agencies[member.agency_id]
        by_category = lines.setdefault(member.agency_id, {})
        line = by_category.get(member.category)
        if line is None:
            key, value = targets.for_agency(agency, member.category)
            line = by_category[member.category] = ComplianceLine(
                member.category, target_key=key, target=value
            )
        line.staff += 1
        state = states.get(member.id_number, NOT_FOUND)
        line.matched += state != NOT_FOUND
        if state == AccountState.ACTIVATED_L2:
            line.level2 += 1
        else:
            shown = member.id_number if member.agency_id in personal else None
            line.missing.append(
                MissingStaff(
                    member.full_name,
                    shown or mask_id_number(member.id_number),
                    member.position,
                    member.category,
                    state,
                )
            )
    order = list(StaffCategory.values)
    results = []
    for agency_id, by_category in lines.items():
        agency = agencies[agency_id]
        categories = sorted(by_category.values(), key=lambda c: order.index(c.category or ""))
        results.append(
            AgencyCompliance(
                agency.code,
                agency.name,
                day,
                categories,
                compliance_total(categories),
                ids_shown=agency_id in personal,
            )
        )
    paths = {a.code: a.path for a in agencies.values()}
    return sorted(results, key=lambda r: paths[r.code])


def compliance_total(lines: Iterable[ComplianceLine]) -> ComplianceLine:
    """Lines summed (rates come from the sums, never from averaging). The total's
    target is the lines' common target, or None when they differ or one has none."""
    lines = list(lines)
    total = ComplianceLine(None)
    for line in lines:
        total.add(line)
    targets = {line.target for line in lines}
    if len(targets) == 1:
        total.target = targets.pop()
    return total
