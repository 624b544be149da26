"""Reads of the TTHC indicators and of the data behind them, shared by the `kpi`
command, pages, reports and the API.

`unit_kpi` / `units_kpi` compute every indicator of indicators.py for units over
a window of days, from stored counts summed over each unit's subtree (never
from children's rates) plus the aggregate forms whose data window lies inside
the window. A dossier's level is its receiving unit's level: a unit's figure
against a target counts the dossiers received in its subtree at the target's
levels (a district against "cấp huyện 60%" counts what the district and its
district-level agencies received; the province against "cấp tỉnh 70%", what
province-level agencies received), and `breakdown` gives the same figure per
level and, for communes, per commune type, each against its own target.
Rows a user may see come from the `*_for_user` functions, already scoped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from chiendich.accounts.models import User
from chiendich.plans.models import Plan, ReportKind, ReportSchedule, Target
from chiendich.plans.selectors import plan_for_unit, province_code_of
from chiendich.units.models import Kind, Level, Unit, path_codes
from chiendich.units.selectors import covers_everything, territory_condition

from .counts import OpenCounts, open_sums, window_sums
from .indicators import INDICATORS, FormCounts, Fraction, Indicator, Sums, index_score
from .models import FORM_FIELDS, AggregateForm, Dossier, DossierImport, Procedure

Bucket = tuple[str, str]  # (level, commune type or "")
LEVEL_ORDER = {Level.PROVINCE.value: 0, Level.DISTRICT.value: 1, Level.COMMUNE.value: 2}


# --- plan settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorSetting:
    """What the plan file says about an indicator: its name, variant and scoring."""

    indicator: Indicator
    name: str
    variant: str
    pmax: Decimal | None
    threshold: Decimal | str | None  # a rate, "target", or None (no score)


def indicator_settings(plan: Plan | None) -> list[IndicatorSetting]:
    """The TTHC indicators in a stable order, each with the plan's name, chosen variant
    (the code's default when the plan names none) and national-index scoring."""
    declared = {i.get("key"): i for i in (plan.document.get("indicators", []) if plan else []) if i}
    out = []
    for indicator in INDICATORS:
        spec = declared.get(indicator.key) or {}
        scoring = spec.get("scoring") or {}
        threshold = scoring.get("threshold")
        out.append(
            IndicatorSetting(
                indicator=indicator,
                name=spec.get("name") or str(indicator.name),
                variant=spec.get("variant") or indicator.variants[0],
                pmax=Decimal(str(scoring["pmax"])) if scoring.get("pmax") is not None else None,
                threshold=(threshold if threshold in (None, "target") else Decimal(str(threshold))),
            )
        )
    return out


# --- results -------------------------------------------------------------------------------------


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class BreakdownRow:
    """An indicator over the dossiers of one level (and commune type) of a subtree."""

    level: str
    unit_type: str | None
    numerator: int
    denominator: int
    rate: Decimal | None
    target: Decimal | None
    met: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "unit_type": self.unit_type,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": _number(self.rate),
            "target": _number(self.target),
            "met": self.met,
        }


@dataclass
class IndicatorResult:
    """One indicator of one unit over a window, against the unit's own target."""

    key: str
    name: str
    variant: str
    date_from: dt.date
    date_to: dt.date
    levels: list[str]  # receiving levels counted
    numerator: int
    denominator: int
    rate: Decimal | None
    target: Decimal | None
    target_key: str | None
    stretch: bool
    met: bool | None
    threshold: Decimal | None
    pmax: Decimal | None
    score: Decimal | None
    forms: int  # aggregate forms counted
    area: Fraction  # every level of the subtree together ("toàn địa bàn")
    breakdown: list[BreakdownRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; the keys are documented in KPI_JSON.md and kept stable."""
        return {
            "key": self.key,
            "name": self.name,
            "variant": self.variant,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "levels": self.levels,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": _number(self.rate),
            "target": _number(self.target),
            "target_key": self.target_key,
            "stretch": self.stretch,
            "met": self.met,
            "threshold": _number(self.threshold),
            "pmax": _number(self.pmax),
            "score": _number(self.score),
            "forms": self.forms,
            "area": {
                "numerator": self.area.numerator,
                "denominator": self.area.denominator,
                "rate": _number(self.area.rate),
            },
            "breakdown": [b.as_dict() for b in self.breakdown],
        }


@dataclass
class UnitKpi:
    """Every TTHC indicator of one unit over a window."""

    unit: Unit
    date_from: dt.date
    date_to: dt.date
    plan: Plan | None
    indicators: list[IndicatorResult]

    def indicator(self, key: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": {
                "code": self.unit.gso_code or self.unit.code,
                "key": self.unit.code,
                "name": self.unit.name,
                "level": self.unit.level,
                "type": self.unit.type,
            },
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "plan": self.plan.code if self.plan else None,
            "indicators": [i.as_dict() for i in self.indicators],
        }


# --- collecting sums ------------------------------------------------------------------------------


def select_forms(
    forms: Iterable[AggregateForm], start: dt.date, end: dt.date
) -> list[AggregateForm]:
    """The forms of one unit that count for the window `start`..`end`: those whose data
    window lies inside it, widest first, skipping any that overlaps one already taken
    (batch 4 covers 01/9–30/10 cumulatively, so it replaces batches 1–3)."""
    inside = [f for f in forms if start <= f.data_from and f.data_to <= end]
    inside.sort(key=lambda f: (-(f.data_to - f.data_from).days, f.data_from, f.report_key))
    chosen: list[AggregateForm] = []
    for form in inside:
        if all(form.data_to < c.data_from or c.data_to < form.data_from for c in chosen):
            chosen.append(form)
    return chosen


def _form_counts(forms: Iterable[AggregateForm]) -> FormCounts:
    out = FormCounts()
    for form in forms:
        for name in FORM_FIELDS:
            setattr(out, name, getattr(out, name) + getattr(form, name))
        out.forms += 1
    return out


def _type_of(unit_id: int | None) -> str:
    if unit_id is None:
        return ""
    found = Unit.objects.filter(pk=unit_id).values_list("type", flat=True).first()
    return found or ""


class _Tree:
    """The units below some units: each one's path, level and bucket.

    "Below" includes the units of an earlier tree whose records count under a
    root (Unit.successor_path), so a commune of today's tree asked about 2023 sums
    its predecessors' dossiers, each in the bucket of its own level and type.
    """

    def __init__(self, roots: Sequence[Unit]) -> None:
        units = Unit.objects.all()
        everything = any(covers_everything(u) for u in roots)
        if not everything:
            condition = Q()
            for root in roots:
                condition |= territory_condition(root)
            units = units.filter(condition)
        rows = list(
            units.values_list("pk", "path", "successor_path", "level", "type", "kind", "parent_id")
        )
        types = {pk: unit_type for pk, _, _, _, unit_type, _, _ in rows}
        self.codes: dict[int, list[str]] = {}
        self.buckets: dict[int, Bucket] = {}
        for pk, path, successor, level, unit_type, kind, parent in rows:
            self.codes[pk] = path_codes(path, successor)
            commune_type = ""
            if level == Level.COMMUNE:
                # A commune's police or People's Committee counts with its commune's type.
                if kind == Kind.TERRITORIAL:
                    commune_type = unit_type
                elif parent in types:
                    commune_type = types[parent]
                else:  # the organization itself is a root
                    commune_type = _type_of(parent)
            self.buckets[pk] = (level, commune_type)
        # None: every unit (a root's territory is the whole table), so no IN (...) list.
        self.ids: list[int] | None = None if everything else list(self.codes)


def _collect(
    tree: _Tree, start: dt.date, end: dt.date, roots: Sequence[Unit]
) -> dict[str, dict[Bucket, Sums]]:
    """For each root (by code): Sums of its subtree over the window, by bucket."""
    records = window_sums(start, end, tree.ids)
    still_open = open_sums(end, tree.ids)
    forms_by_unit: dict[int, list[AggregateForm]] = defaultdict(list)
    form_query = AggregateForm.objects.filter(data_from__gte=start, data_to__lte=end)
    if tree.ids is not None:
        form_query = form_query.filter(unit_id__in=tree.ids)
    for form in form_query:
        forms_by_unit[form.unit_id].append(form)
    per_unit: dict[int, Sums] = {}
    # The results store (R12) counts which resolved dossiers have their result stored;
    # imported here, not at the top, because results itself builds on procedures.
    from chiendich.results.coverage import stored_result_sums

    stored = stored_result_sums(start, end, tree.ids)
    for unit_id in {*records, *still_open, *forms_by_unit, *stored}:
        if unit_id not in tree.codes:
            continue
        per_unit[unit_id] = Sums(
            records=records.get(unit_id, {}),
            forms=_form_counts(select_forms(forms_by_unit.get(unit_id, []), start, end)),
            open=still_open.get(unit_id, OpenCounts()),
            stored=stored.get(unit_id, {}),
        )
    wanted = {u.code for u in roots}
    out: dict[str, dict[Bucket, Sums]] = {code: {} for code in wanted}
    for unit_id, sums in per_unit.items():
        bucket = tree.buckets[unit_id]
        for code in tree.codes[unit_id]:
            if code in wanted:
                out[code].setdefault(bucket, Sums()).add(sums)
    return out


# --- targets ---------------------------------------------------------------------------------------


def _target_for_bucket(targets: list[Target], bucket: Bucket) -> Target | None:
    level, commune_type = bucket
    for t in targets:
        if level in t.levels and (
            level != Level.COMMUNE or not t.unit_types or commune_type in t.unit_types
        ):
            return t
    return None


def _met(value: Decimal | None, target: Target | None) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target.value


def _window_start(targets: list[Target], start: dt.date) -> dt.date:
    """A target that applies only from a date (II.1.đ: from 01/9/2023) moves the start."""
    days = [t.applies_from for t in targets if t.applies_from is not None]
    return max(start, min(days)) if days else start


def units_kpi(
    units: Sequence[Unit],
    date_from: dt.date,
    date_to: dt.date,
    *,
    plan: Plan | None = None,
) -> list[UnitKpi]:
    """Every TTHC indicator of each of `units` over `date_from`..`date_to` (both
    included), against the targets of `plan` (by default the plan of the first unit's
    province). One read of the counts serves all the units."""
    if not units:
        return []
    if plan is None:
        plan = plan_for_unit(units[0], on=date_to)
    settings = indicator_settings(plan)
    all_targets = list(plan.targets.filter(is_context=False).order_by("position")) if plan else []
    by_indicator: dict[str, list[Target]] = defaultdict(list)
    for t in all_targets:
        by_indicator[t.indicator].append(t)
    tree = _Tree(units)
    windows: dict[dt.date, dict[str, dict[Bucket, Sums]]] = {}
    starts = {
        s.indicator.key: _window_start(by_indicator[s.indicator.target_key], date_from)
        for s in settings
    }
    for start in set(starts.values()):
        if start <= date_to:
            windows[start] = _collect(tree, start, date_to, units)
    out = []
    for unit in units:
        in_plan = plan is not None and province_code_of(unit) == plan.province.code
        own = {
            t.indicator: t
            for t in reversed([t for t in all_targets if in_plan and t.applies_to(unit)])
        }
        results = []
        # Sums over a set of buckets, once per window and set of levels: the nine
        # indicators share them (adding them again per indicator was most of the time).
        summed: dict[tuple[dt.date, tuple[str, ...] | None], Sums] = {}
        for setting in settings:
            key = setting.indicator.key
            start = starts[key]
            buckets = windows[start][unit.code] if start in windows else {}
            target_key = setting.indicator.target_key
            results.append(
                _result(
                    setting,
                    unit,
                    start,
                    date_to,
                    buckets,
                    own.get(target_key),
                    by_indicator[target_key],
                    summed,
                )
            )
        out.append(UnitKpi(unit, date_from, date_to, plan, results))
    return out


def _result(
    setting: IndicatorSetting,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    buckets: dict[Bucket, Sums],
    target: Target | None,
    targets: list[Target],
    summed: dict[tuple[dt.date, tuple[str, ...] | None], Sums] | None = None,
) -> IndicatorResult:
    formula, variant = setting.indicator.formula, setting.variant
    levels = (
        list(target.levels)
        if target
        else sorted({b[0] for b in buckets} or {unit.level}, key=lambda lv: LEVEL_ORDER.get(lv, 9))
    )
    memo = {} if summed is None else summed

    def total(wanted: tuple[str, ...] | None) -> Sums:
        """The buckets at the levels `wanted` (None: every bucket) added together."""
        key = (start, wanted)
        if key not in memo:
            out = Sums()
            for bucket, sums in buckets.items():
                if wanted is None or bucket[0] in wanted:
                    out.add(sums)
            memo[key] = out
        return memo[key]

    population, area = total(tuple(levels)), total(None)
    value: Fraction = formula(population, variant)
    breakdown = []
    for bucket in sorted(buckets, key=lambda b: (LEVEL_ORDER.get(b[0], 9), b[1])):
        part = formula(buckets[bucket], variant)
        bucket_target = _target_for_bucket(targets, bucket)
        breakdown.append(
            BreakdownRow(
                level=bucket[0],
                unit_type=bucket[1] or None,
                numerator=part.numerator,
                denominator=part.denominator,
                rate=part.rate,
                target=bucket_target.value if bucket_target else None,
                met=_met(part.rate, bucket_target),
            )
        )
    threshold: Decimal | None
    if setting.threshold == "target":
        threshold = target.value if target else None
    else:
        threshold = setting.threshold if isinstance(setting.threshold, Decimal) else None
    return IndicatorResult(
        key=setting.indicator.key,
        name=setting.name,
        variant=variant,
        date_from=start,
        date_to=end,
        levels=levels,
        numerator=value.numerator,
        denominator=value.denominator,
        rate=value.rate,
        target=target.value if target else None,
        target_key=target.key if target else None,
        stretch=bool(target and target.is_stretch),
        met=_met(value.rate, target),
        threshold=threshold,
        pmax=setting.pmax,
        score=index_score(value.rate, threshold, setting.pmax),
        forms=population.forms.forms if value.forms else 0,
        area=formula(area, variant),
        breakdown=breakdown,
    )


def unit_kpi(
    unit: Unit, date_from: dt.date, date_to: dt.date, *, plan: Plan | None = None
) -> UnitKpi:
    """Every TTHC indicator of `unit` over `date_from`..`date_to`; see units_kpi."""
    return units_kpi([unit], date_from, date_to, plan=plan)[0]


# --- rows a user may see -------------------------------------------------------------------------


def procedures_catalogue() -> QuerySet[Procedure]:
    """The procedure catalogue: public reference data, not scoped."""
    return Procedure.objects.all()


def dossiers_for_user(user: User, action: str = "view") -> QuerySet[Dossier]:
    return Dossier.objects.restrict(user, action).select_related("procedure", "unit")


def forms_for_user(user: User, action: str = "view") -> QuerySet[AggregateForm]:
    return AggregateForm.objects.restrict(user, action).select_related("unit")


def dossier_imports() -> QuerySet[DossierImport]:
    return DossierImport.objects.all()


def batch_reports(plan: Plan) -> list[ReportSchedule]:
    """The plan's batch reports with a data window (Plan 383 VII.2.b: tthc_batch_1..4)."""
    return list(
        plan.reports.filter(
            kind=ReportKind.BATCH, data_from__isnull=False, data_to__isnull=False
        ).order_by("position")
    )


@dataclass
class BatchStatus:
    """Where a unit stands for one batch: its form, or how many imported dossiers it has."""

    report: ReportSchedule
    form: AggregateForm | None
    dossiers: int

    @property
    def needs_form(self) -> bool:
        """No records and no form yet: the unit should enter one."""
        return self.form is None and self.dossiers == 0

    @property
    def form_allowed(self) -> bool:
        return self.dossiers == 0


def batch_statuses(unit: Unit, plan: Plan) -> list[BatchStatus]:
    """For each batch report of `plan`: `unit`'s form, if any, and its dossier count."""
    forms = {f.report_key: f for f in AggregateForm.objects.filter(unit=unit)}
    out = []
    for report in batch_reports(plan):
        dossiers = Dossier.objects.filter(
            unit=unit, received_on__gte=report.data_from, received_on__lte=report.data_to
        ).count()
        out.append(BatchStatus(report, forms.get(report.key), dossiers))
    return out
