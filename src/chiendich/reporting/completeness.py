"""Completeness of reporting, as DHIS2 defines it (R9).

Expected: reports whose deadline has come by the day asked about. Received: those
submitted (in any state after open). Reporting rate = received / expected; on-time
reporting rate = received by the deadline / expected. Both per report type, per
responsible unit and overall, with the late and the missing reports listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from chiendich.units.models import Unit
from chiendich.vneid.progress import rate

from .models import Report


@dataclass
class Rates:
    """Expected, received and on-time counts of one group of reports."""

    expected: int = 0
    received: int = 0
    on_time: int = 0

    @property
    def reporting_rate(self) -> Decimal | None:
        return rate(self.received, self.expected)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.on_time, self.expected)

    def add(self, report: Report) -> None:
        self.expected += 1
        self.received += report.received
        self.on_time += report.on_time

    def as_dict(self) -> dict[str, object]:
        return {
            "expected": self.expected,
            "received": self.received,
            "on_time": self.on_time,
            "reporting_rate": _float(self.reporting_rate),
            "on_time_rate": _float(self.on_time_rate),
        }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass
class Completeness:
    """Completeness as of one day over a set of reports."""

    as_of: dt.date
    overall: Rates = field(default_factory=Rates)
    by_type: dict[str, Rates] = field(default_factory=dict)  # schedule key
    by_unit: dict[str, Rates] = field(default_factory=dict)  # unit code
    late: list[Report] = field(default_factory=list)
    missing: list[Report] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "overall": self.overall.as_dict(),
            "by_type": {k: v.as_dict() for k, v in self.by_type.items()},
            "by_unit": {k: v.as_dict() for k, v in self.by_unit.items()},
            "late": [r.slug for r in self.late],
            "missing": [r.slug for r in self.missing],
        }


def completeness(reports: QuerySet[Report], as_of: dt.date) -> Completeness:
    """Completeness of `reports` (already scoped to the user) as of the end of `as_of`.

    A report submitted after `as_of` counts as not yet received on that day.
    """
    out = Completeness(as_of=as_of)
    due = reports.filter(deadline__lte=as_of).select_related("schedule", "unit")
    for report in due.order_by("deadline", "schedule__position", "unit__path"):
        if report.submitted_on is not None and report.submitted_on > as_of:
            report.submitted_on = None  # seen as of that day: not yet received
        out.overall.add(report)
        out.by_type.setdefault(report.schedule.key, Rates()).add(report)
        out.by_unit.setdefault(report.unit.code, Rates()).add(report)
        if not report.received:
            out.missing.append(report)
        elif not report.on_time:
            out.late.append(report)
    return out


@dataclass
class Cell:
    """One unit's reports of one type due by the day: how many were expected and
    received, and the latest one due (its state as of the day)."""

    expected: int = 0
    received: int = 0
    on_time: int = 0
    latest: Report | None = None
    latest_received: bool = False

    @property
    def state(self) -> str:
        """ "sent", "late" or "missing": the latest report due, as of the day."""
        if self.latest is None:
            return ""
        if not self.latest_received:
            return "missing"
        return "sent" if self.latest.on_time else "late"


@dataclass
class UnitCompleteness:
    """A unit below and its reports due, type by type (schedule key → Cell)."""

    unit: Unit
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return sum(c.expected - c.received for c in self.cells.values())


def completeness_below(
    reports: QuerySet[Report], unit: Unit, as_of: dt.date
) -> tuple[list[tuple[str, str]], list[UnitCompleteness]]:
    """Which units in `unit`'s subtree (itself first) sent each report due by `as_of`,
    and which did not: ([(schedule key, name)], one row per unit that owes any).

    `reports` is already scoped to the user; a report submitted after `as_of` counts
    as not received on that day, as in `completeness`.
    """
    due = (
        reports.filter(deadline__lte=as_of, unit__path__startswith=unit.path)
        .select_related("schedule", "unit")
        .order_by("unit__path", "schedule__position", "deadline")
    )
    kinds: dict[str, str] = {}
    positions: dict[str, int] = {}
    rows: dict[int, UnitCompleteness] = {}
    for report in due:
        kinds.setdefault(report.schedule.key, report.schedule.name)
        positions.setdefault(report.schedule.key, report.schedule.position)
        row = rows.setdefault(report.unit_id, UnitCompleteness(report.unit))
        cell = row.cells.setdefault(report.schedule.key, Cell())
        received = report.submitted_on is not None and report.submitted_on <= as_of
        cell.expected += 1
        cell.received += received
        cell.on_time += received and report.on_time
        cell.latest, cell.latest_received = report, received  # ordered by deadline
    ordered = sorted(kinds, key=lambda k: positions[k])
    return [(k, kinds[k]) for k in ordered], list(rows.values())
