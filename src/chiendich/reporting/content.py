"""What a report says: its tables, computed from the stored counts and the aggregate forms.

One builder serves every report of the schedule; what goes in follows from the data,
not from report keys: a report over the VNeID period carries the VNeID tables, one
over the TTHC period the indicator tables; the weekly and final reports add the
emulation ranking, the lagging and forecast-to-miss lists and the communication
activities (R9-R11). A table has one row per unit of one level, so the XLSX has one
sheet per level. Everything is plain JSON (`as_dict`), which is what a submitted
report freezes in its snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db.models import F, Sum

from chiendich.plans.models import Period, Plan, ReportKind, ReportSchedule
from chiendich.procedures.selectors import indicator_settings, units_kpi
from chiendich.units.models import Kind, Level, Unit
from chiendich.vneid.models import DailyCount
from chiendich.vneid.progress import progress_for, vneid_target

from .emulation import IndicatorStatus, indicator_statuses, standings
from .labels import COLUMN_KINDS, column_label
from .models import CommunicationActivity, Report

LEVEL_ORDER: list[str] = [Level.PROVINCE, Level.DISTRICT, Level.COMMUNE, Level.HAMLET]
# The levels that enter communication activities (hamlets report through their commune).
ACTIVITY_LEVELS: list[str] = [Level.PROVINCE, Level.DISTRICT, Level.COMMUNE]
OWN = "__own__"  # the code of a row holding what belongs to no unit below (labels.row_name)


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(value)


@dataclass
class Table:
    """Rows of one kind (`kind` names the column set, see labels.py) for units of one level.

    `columns` lists the value keys in order; `labels` carries the labels that come
    from the plan file (indicator names), the others are translated at render time.
    """

    key: str
    kind: str
    level: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    # How columns not in labels.COLUMN_KINDS are written (indicator keys: "pct").
    kinds: dict[str, str] = field(default_factory=dict)
    # Columns left out because every row holds the same value, with that value: written
    # once under the title ("Expected by now (%): 100,00%") instead of on every row.
    constants: dict[str, Any] = field(default_factory=dict)
    # Columns whose kind follows each row's "measure" (a count, or a rate written with
    # "%"): the lagging list holds VNeID accounts and TTHC rates in the same columns.
    measured: list[str] = field(default_factory=list)

    def kind_of(self, column: str, row: dict[str, Any] | None = None) -> str:
        if row is not None and column in self.measured:
            return "pct" if row.get("measure") == "percent" else "int"
        return self.kinds.get(column) or COLUMN_KINDS.get(column, "int")


@dataclass
class ReportContent:
    """The computed report: which report, which unit and data, its tables and trend."""

    schedule_key: str
    unit_code: str
    unit_name: str
    data_from: dt.date | None
    data_to: dt.date | None
    tables: list[Table]
    trend: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule_key,
            "unit": {"code": self.unit_code, "name": self.unit_name},
            "data_from": self.data_from.isoformat() if self.data_from else None,
            "data_to": self.data_to.isoformat() if self.data_to else None,
            "tables": [t.__dict__ for t in self.tables],
            "trend": self.trend,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportContent:
        return cls(
            schedule_key=data["schedule"],
            unit_code=data["unit"]["code"],
            unit_name=data["unit"]["name"],
            data_from=dt.date.fromisoformat(data["data_from"]) if data["data_from"] else None,
            data_to=dt.date.fromisoformat(data["data_to"]) if data["data_to"] else None,
            tables=[Table(**t) for t in data["tables"]],
            trend=data.get("trend"),
        )


# --- units ---------------------------------------------------------------------------------------


def levels_below(unit: Unit, schedule: ReportSchedule) -> list[str]:
    """The levels a report on `unit` has a sheet for: each territorial level below the
    unit that its tree has, down to the plan's `reports_on_level` (else to communes; a
    commune's report goes down to its hamlets). Since 1/7/2025 a province has no
    district level: its report goes straight to its communes."""
    if unit.kind != Kind.TERRITORIAL or unit.level not in LEVEL_ORDER:
        return []
    below = LEVEL_ORDER[LEVEL_ORDER.index(unit.level) + 1 :]
    last = schedule.reports_on_level or (
        Level.HAMLET if unit.level == Level.COMMUNE else Level.COMMUNE
    )
    if last not in below:
        return []
    chain = below[: below.index(last) + 1]
    present = set(
        Unit.objects.filter(kind=Kind.TERRITORIAL, level__in=chain, path__startswith=unit.path)
        .values_list("level", flat=True)
        .distinct()
    )
    return [lv for lv in chain if lv == last or lv in present]


def units_at(unit: Unit, level: str, day: dt.date) -> list[Unit]:
    units = Unit.objects.filter(
        kind=Kind.TERRITORIAL, level=level, path__startswith=unit.path
    ).order_by("path")
    return [u for u in units if u.is_valid_on(day)]


def _row(unit: Unit, parents: dict[str, str]) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "parent": parents.get(unit.parent_code, "")}


def with_remainder(
    rows: list[dict[str, Any]], total: dict[str, Any], columns: list[str]
) -> list[dict[str, Any]]:
    """`rows`, plus a row for what the total holds beyond them, so that every count
    column's total is the sum of its rows: the unit's own activities (entered by the
    district itself, not by a commune), citizens not placed in a unit below. The row
    is added only when something is left over."""
    rest = {c: (total.get(c) or 0) - sum(r.get(c) or 0 for r in rows) for c in columns}
    if not any(rest.values()):
        return rows
    return [*rows, {"code": OWN, "name": total["name"], "parent": "", "own": True, **rest}]


def constant_columns(
    rows: list[dict[str, Any]], columns: list[str], candidates: list[str]
) -> tuple[list[str], dict[str, Any]]:
    """(`columns` without the `candidates` that hold one same value on every row,
    {dropped column: that value}): such a column tells nothing row by row."""
    constants = {}
    for column in candidates:
        values = {r.get(column) for r in rows}
        if rows and len(values) == 1:
            constants[column] = values.pop()
    return [c for c in columns if c not in constants], constants


# --- VNeID ---------------------------------------------------------------------------------------

# Counts that add up: a total is the sum of its rows (a remainder row makes it so).
VNEID_ADDITIVE = ["eligible", "activated", "activated_l2", "new_activations"]
VNEID_COLUMNS = [
    "eligible",
    "activated",
    "activated_l2",
    "new_activations",
    "rate_of_eligible",
    "target",
    "percent_of_target",
    "needed_daily_pace",
    "recent_daily_pace",
]


def _vneid_values(p: Any) -> dict[str, Any]:
    return {
        "eligible": p.counts.eligible,
        "activated": p.activated,
        "activated_l2": p.counts.activated_l2,
        "new_activations": p.counts.new_activations,
        "rate_of_eligible": _num(p.rate_of_eligible),
        "target": p.target,
        "percent_of_target": _num(p.percent_of_target),
        "needed_daily_pace": p.needed_daily_pace,
        "recent_daily_pace": _num(p.recent_daily_pace),
    }


def vneid_trend(unit: Unit, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    """Activated accounts under `unit` on each day from `start` to `end`, in one query."""
    rows = (
        DailyCount.objects.filter(unit__path__startswith=unit.path, date__range=(start, end))
        .values("date")
        .annotate(activated=Sum(F("activated_l1") + F("activated_l2")))
        .order_by("date")
    )
    return [(r["date"], r["activated"] or 0) for r in rows]


# --- lagging (the one status model: a unit lags on an indicator when it is behind) -------------

LAGGING_COLUMNS = ["indicator", "value", "target", "percent", "forecast_end", "needed_now"]
LAGGING_MEASURED = ["value", "target", "forecast_end", "needed_now"]


def _status_values(state: IndicatorStatus) -> dict[str, Any]:
    """What the status compared, for a lagging row: the value and the target; the
    forecast for the period's end (behind: below the target), or without a forecast
    yet the plan's share of the steady pace by the day (behind: the value is below
    it). A count is written whole, a rate as a rate (`measure`)."""
    needed = None
    if state.forecast_end is None and state.expected is not None:
        needed = state.expected * state.share
    if state.measure == "count":

        def write(v: Decimal | None) -> Any:
            return None if v is None else int(v.to_integral_value(ROUND_CEILING))
    else:

        def write(v: Decimal | None) -> Any:
            return _num(None if v is None else v.quantize(Decimal("0.01"), ROUND_CEILING))

    return {
        "measure": state.measure,
        "value": write(state.value),
        "target": write(state.target),
        "forecast_end": write(state.forecast_end),
        "needed_now": write(needed),
    }


# --- the builder ---------------------------------------------------------------------------------


class _Builder:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.schedule = report.schedule
        self.plan: Plan = report.plan
        self.unit = report.unit
        self.day = report.data_to or report.deadline
        self.levels = levels_below(self.unit, self.schedule)
        self.by_level = {lv: units_at(self.unit, lv, self.day) for lv in self.levels}
        everyone = [self.unit, *(u for us in self.by_level.values() for u in us)]
        self.parents = dict(
            Unit.objects.filter(
                code__in={u.parent_code for u in everyone if u.parent_code}
            ).values_list("code", "name")
        )
        target = vneid_target(self.plan)
        self.vneid_period: Period | None = target.period if target else None
        tthc_keys = {s.indicator.key for s in indicator_settings(self.plan)}
        tthc = [
            t.period
            for t in self.plan.targets.select_related("period").filter(
                is_context=False, indicator__in=tthc_keys, period__isnull=False
            )
        ]
        self.tthc_period: Period | None = tthc[0] if tthc else None
        self._progress: dict[str, Any] | None = None
        self._kpis: dict[str, Any] | None = None

    # What the report is about, from its period.
    def about(self, period: Period | None) -> bool:
        return period is not None and self.schedule.period_id == period.pk

    @property
    def summary(self) -> bool:
        """The weekly and final reports carry emulation and communication activities."""
        return self.schedule.kind == ReportKind.WEEKLY or (
            self.schedule.kind == ReportKind.ONCE and self.schedule.period_id is not None
        )

    def progress(self) -> dict[str, Any]:
        if self._progress is None:
            units = [self.unit, *(u for us in self.by_level.values() for u in us)]
            self._progress = {p.code: p for p in progress_for(units, self.day, self.plan)}
        return self._progress

    def kpis(self) -> dict[str, Any]:
        """TTHC indicators from the TTHC period's start (or the report's window) to its end."""
        if self._kpis is None:
            self._kpis = {}
            window = self.tthc_window()
            if window is not None:
                units = [self.unit, *(u for us in self.by_level.values() for u in us)]
                self._kpis = {k.unit.code: k for k in units_kpi(units, *window, plan=self.plan)}
        return self._kpis

    def tthc_window(self) -> tuple[dt.date, dt.date] | None:
        if self.about(self.tthc_period) and self.report.data_from and self.report.data_to:
            return self.report.data_from, self.report.data_to
        if self.tthc_period is None or self.day < self.tthc_period.start:
            return None
        return self.tthc_period.start, min(self.day, self.tthc_period.end)

    def build(self) -> ReportContent:
        tables: list[Table] = []
        trend = None
        if self.about(self.vneid_period):
            tables += self.vneid_tables()
            trend = self.trend()
        if self.about(self.tthc_period):
            tables += self.tthc_tables()
        if self.summary:
            tables += self.emulation_tables()
            tables += self.activity_tables()
        return ReportContent(
            schedule_key=self.schedule.key,
            unit_code=self.unit.code,
            unit_name=self.unit.name,
            data_from=self.report.data_from,
            data_to=self.report.data_to,
            tables=tables,
            trend=trend,
        )

    def vneid_tables(self) -> list[Table]:
        progress = self.progress()
        total = {"code": self.unit.code, "name": self.unit.name, "parent": ""}
        total.update(_vneid_values(progress[self.unit.code]))
        tables = []
        for level in self.levels:
            rows = [
                {**_row(u, self.parents), **_vneid_values(progress[u.code])}
                for u in self.by_level[level]
            ]
            rows = with_remainder(rows, total, VNEID_ADDITIVE)
            tables.append(Table(f"vneid.{level}", "vneid", level, VNEID_COLUMNS, rows, total))
        if not self.levels:
            tables.append(Table("vneid.own", "vneid", self.unit.level, VNEID_COLUMNS, [], total))
        return tables

    def trend(self) -> dict[str, Any] | None:
        period = self.vneid_period
        if period is None:
            return None
        series = vneid_trend(self.unit, period.start, min(self.day, period.end))
        return {
            "dates": [d.isoformat() for d, _ in series],
            "activated": [v for _, v in series],
            "target": self.progress()[self.unit.code].target,
            "period_end": period.end.isoformat(),
        }

    def tthc_tables(self) -> list[Table]:
        kpis = self.kpis()
        own = kpis.get(self.unit.code)
        settings = indicator_settings(self.plan)
        names = {s.indicator.key: s.name for s in settings}
        tables = []
        if own is not None:
            rows = [
                {
                    "code": r.key,
                    "name": names.get(r.key, r.name),
                    "parent": "",
                    "numerator": r.numerator,
                    "denominator": r.denominator,
                    "rate": _num(r.rate),
                    "target": _num(r.target),
                    "met": None if r.met is None else int(r.met),
                }
                for r in own.indicators
            ]
            tables.append(
                Table(
                    "tthc.indicators",
                    "tthc_indicators",
                    self.unit.level,
                    ["numerator", "denominator", "rate", "target", "met"],
                    rows,
                    kinds={"target": "pct"},  # an indicator's target is a rate, as is its value
                )
            )
        keys = [s.indicator.key for s in settings]
        for level in self.levels:
            rows = []
            for u in self.by_level[level]:
                row = _row(u, self.parents)
                kpi = kpis.get(u.code)
                for result in kpi.indicators if kpi else []:
                    row[result.key] = _num(result.rate)
                rows.append(row)
            tables.append(Table(f"tthc.{level}", "tthc_units", level, keys, rows, labels=names))
        return tables

    def emulation_tables(self) -> list[Table]:
        progress, kpis = self.progress(), self.kpis()
        statuses = indicator_statuses(
            [u for us in self.by_level.values() for u in us],
            self.plan,
            day=self.day,
            scope=self.unit,
            progress=progress,
            kpis=kpis,
        )
        weights = list((self.plan.emulation.get("score") or {}).get("weights") or {})
        names = {s.indicator.key: s.name for s in indicator_settings(self.plan)}
        names.update(
            {
                i["key"]: i["name"]
                for i in self.plan.document.get("indicators", [])
                if i.get("key") in weights
            }
        )
        tables = []
        for level in self.levels:
            ranked = standings(
                self.by_level[level],
                self.plan,
                progress=progress,
                kpis=kpis,
                statuses=statuses,
            )
            if not any(s.achievements for s in ranked):
                continue  # no unit of this level has a target (hamlets): nothing to rank
            rows, lagging, missing = [], [], []
            for s in ranked:
                row = {**_row(s.unit, self.parents), "rank": s.rank}
                row.update({k: _num(a.percent) for k, a in s.achievements.items()})
                row.update({"score": _num(s.score), "bonus": s.bonus, "total": _num(s.total)})
                rows.append(row)
                for key in s.lagging:
                    a = s.achievements[key]
                    lagging.append(
                        {
                            **_row(s.unit, self.parents),
                            "code": f"{s.unit.code}.{key}",
                            "indicator": names.get(key, key),
                            "percent": _num(a.percent),
                            **_status_values(a.status),  # type: ignore[arg-type]  # lagging: set
                        }
                    )
                if s.forecast_miss:
                    p = progress[s.unit.code]
                    missing.append(
                        {
                            **_row(s.unit, self.parents),
                            "activated": p.activated,
                            "target": p.target,
                            "needed_daily_pace": p.needed_daily_pace,
                            "recent_daily_pace": _num(p.recent_daily_pace),
                        }
                    )
            # A column no row fills (no forecast yet anywhere, or a forecast everywhere)
            # tells nothing: left out.
            lagging_columns = [
                c
                for c in LAGGING_COLUMNS
                if c not in ("forecast_end", "needed_now") or any(r[c] is not None for r in lagging)
            ]
            tables += [
                Table(
                    f"ranking.{level}",
                    "ranking",
                    level,
                    ["rank", *weights, "score", "bonus", "total"],
                    rows,
                    labels={k: names.get(k, k) for k in weights},
                    kinds=dict.fromkeys(weights, "pct"),
                ),
                Table(
                    f"lagging.{level}",
                    "lagging",
                    level,
                    lagging_columns,
                    lagging,
                    measured=list(LAGGING_MEASURED),
                ),
                Table(
                    f"forecast_miss.{level}",
                    "forecast_miss",
                    level,
                    ["activated", "target", "needed_daily_pace", "recent_daily_pace"],
                    missing,
                ),
            ]
        return tables

    def activity_tables(self) -> list[Table]:
        start = self.plan.periods.order_by("start").values_list("start", flat=True).first()
        activities = CommunicationActivity.objects.filter(
            unit__path__startswith=self.unit.path, date__lte=self.day
        )
        if start is not None:
            activities = activities.filter(date__gte=start)
        sums: dict[str, dict[str, int]] = {}
        for row in activities.values("unit__path", *CommunicationActivity.FIELDS):
            for code in row["unit__path"].rstrip("/").split("/"):
                bucket = sums.setdefault(code, dict.fromkeys(CommunicationActivity.FIELDS, 0))
                for f in CommunicationActivity.FIELDS:
                    bucket[f] += row[f]
        empty = dict.fromkeys(CommunicationActivity.FIELDS, 0)
        total = {
            "code": self.unit.code,
            "name": self.unit.name,
            "parent": "",
            **sums.get(self.unit.code, empty),
        }
        columns = list(CommunicationActivity.FIELDS)
        # The first level below that enters activities; a commune's report has no
        # hamlet rows (hamlets enter none), only the commune's own.
        below = [lv for lv in self.levels if lv in ACTIVITY_LEVELS]
        levels = below[:1] or [self.unit.level]
        tables = []
        for level in levels:
            units = self.by_level.get(level, [])
            rows = [{**_row(u, self.parents), **sums.get(u.code, empty)} for u in units]
            rows = with_remainder(rows, total, columns)
            tables.append(Table(f"activities.{level}", "activities", level, columns, rows, total))
        return tables


def report_content(report: Report) -> ReportContent:
    """The report computed from today's records (not its snapshot)."""
    return _Builder(report).build()


@dataclass(frozen=True)
class Change:
    """One number that differs between the submitted report and today's records."""

    table: str
    code: str
    name: str
    column: str
    before: Any
    after: Any
    kind: str = "int"  # how the column's values are written (labels.COLUMN_KINDS)

    @property
    def label(self) -> str:
        return column_label(self.column, {})


def content_changes(before: ReportContent, after: ReportContent) -> list[Change]:
    """Every cell whose value changed, table by table and unit by unit (rows added or
    removed show as a change from or to nothing)."""
    changes: list[Change] = []
    after_tables = {t.key: t for t in after.tables}
    for table in before.tables:
        new = after_tables.get(table.key)
        if new is None:
            continue
        old_rows = {r["code"]: r for r in table.rows}
        new_rows = {r["code"]: r for r in new.rows}
        if table.total is not None and new.total is not None:
            old_rows["__total__"], new_rows["__total__"] = table.total, new.total
        for code in [*old_rows, *(c for c in new_rows if c not in old_rows)]:
            a, b = old_rows.get(code, {}), new_rows.get(code, {})
            name = (a or b).get("name", code)
            for column in table.columns:
                if a.get(column) != b.get(column):
                    changes.append(
                        Change(
                            table.key,
                            code,
                            name,
                            column,
                            a.get(column),
                            b.get(column),
                            table.kind_of(column, b or a),
                        )
                    )
    return changes
