"""Rules across the items of a plan file: unique keys, references, date windows, weights,
and the levels and unit types the province's tree has on the plan's dates.

The schema checks each item on its own; these check what one item says
about another. `reference_check` runs on the raw data, so a dangling
reference is reported together with any shape errors; `cross_check` needs
the validated plan; `tree_check` needs the province's units, so plan_load
runs it once it has found the province in force on the plan's first day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chiendich.units import gso
from chiendich.units.models import Kind, Level, Unit
from chiendich.units.selectors import describe_validity

from .problems import Loc, Problem, adder

if TYPE_CHECKING:
    from .schema import PeriodSpec, PlanFile, ReportSpec, ScoringSpec

# Dates further than this from the issue date are almost surely typos (2032 for 2023).
EARLIEST_BEFORE_ISSUE = dt.timedelta(days=366)
LATEST_AFTER_ISSUE = dt.timedelta(days=3 * 366)

_LISTS = ("periods", "targets", "reports", "deliverables", "indicators")

# Formula variants an indicator may name in the plan file, by indicator key. The
# app that computes an indicator declares them at startup (procedures.apps), so a
# plan that names a variant the code does not have is refused at load time.
INDICATOR_VARIANTS: dict[str, tuple[str, ...]] = {}


def register_indicator_variants(key: str, variants: tuple[str, ...]) -> None:
    """Declare the formula variants of indicator `key` (the first is the default)."""
    INDICATOR_VARIANTS[key] = tuple(variants)


def reference_check(data: dict[str, Any]) -> list[Problem]:
    """Duplicate keys and references to periods and indicators that do not exist.

    Runs on the raw data, so these are reported even when other parts of the
    file do not validate; values of the wrong type are left to the schema.
    """
    problems: list[Problem] = []
    add = adder(problems, data)

    def items(name: str) -> list[tuple[int, dict[str, Any]]]:
        found = data.get(name)
        if not isinstance(found, list):
            return []
        return [(i, x) for i, x in enumerate(found) if isinstance(x, dict)]

    def keys(name: str) -> list[str]:
        return [x["key"] for _, x in items(name) if isinstance(x.get("key"), str)]

    for name in _LISTS:
        first: dict[str, int] = {}
        for i, x in items(name):
            key = x.get("key")
            if not isinstance(key, str):
                continue
            if key in first:
                add((name, i, "key"), f"khóa “{key}” trùng với {name}[{first[key]}]")
            first.setdefault(key, i)

    periods = keys("periods")
    for name in ("targets", "reports"):
        for i, x in items(name):
            ref = x.get("period")
            if isinstance(ref, str) and ref not in periods:
                add(
                    (name, i, "period"),
                    f"không có đợt “{ref}” trong periods (có: {', '.join(periods) or 'không'})",
                )

    indicators = keys("indicators")
    if indicators:  # the section is optional; when present it must cover every target
        for i, x in items("targets"):
            ref = x.get("indicator")
            if isinstance(ref, str) and ref not in indicators:
                add(("targets", i, "indicator"), f"chỉ số “{ref}” chưa khai trong indicators")
    return problems


def cross_check(plan: PlanFile) -> list[Problem]:
    """What one part of a validated file says about another: dates, report kinds, weights."""
    problems: list[Problem] = []
    add = adder(problems, plan.as_document())
    earliest = plan.issued_on - EARLIEST_BEFORE_ISSUE
    latest = plan.issued_on + LATEST_AFTER_ISSUE

    def check_date(loc: Loc, day: dt.date | None) -> None:
        if day is not None and not earliest <= day <= latest:
            add(
                loc,
                f"ngày {day:%d/%m/%Y} quá xa ngày ban hành {plan.issued_on:%d/%m/%Y} "
                f"(phải từ {earliest:%d/%m/%Y} đến {latest:%d/%m/%Y})",
            )

    periods = {p.key: p for p in plan.periods}
    for i, p in enumerate(plan.periods):
        check_date(("periods", i, "start"), p.start)
        check_date(("periods", i, "end"), p.end)

    indicators = {ind.key: ind for ind in plan.indicators}
    for i, t in enumerate(plan.targets):
        period = periods.get(t.period or "")
        check_date(("targets", i, "applies_from"), t.applies_from)
        if period and t.applies_from and not period.start <= t.applies_from <= period.end:
            add(("targets", i, "applies_from"), f"nằm ngoài đợt “{period.key}”")
        indicator = indicators.get(t.indicator)
        if indicator is not None and indicator.measure != t.measure:
            add(("targets", i, "measure"), f"chỉ số “{t.indicator}” đo bằng {indicator.measure}")
        if t.example and t.context:
            add(
                ("targets", i, "example"),
                "chỉ tiêu căn cứ (context) được trích từ một văn bản, không phải giá trị ví dụ",
            )

    targeted = {t.indicator for t in plan.targets if not t.context}
    for i, ind in enumerate(plan.indicators):
        _check_indicator(i, ind.key, ind.measure, ind.variant, ind.scoring, targeted, add)

    for i, r in enumerate(plan.reports):
        _check_report(i, r, periods.get(r.period or ""), add)
        for field in ("data_from", "data_to", "deadline"):
            check_date(("reports", i, field), getattr(r, field))

    for i, d in enumerate(plan.deliverables):
        check_date(("deliverables", i, "due"), d.due)
        check_date(("deliverables", i, "until"), d.until)

    if plan.emulation is not None:
        weights = plan.emulation.score.weights
        assigned = {t.indicator for t in plan.targets if not t.context}
        for key in weights:
            if key not in assigned:
                add(
                    ("emulation", "score", "weights", key),
                    "không có chỉ tiêu (không phải context) nào dùng chỉ số này",
                )
        total = sum(weights.values(), Decimal(0))
        if total != 1:
            add(("emulation", "score", "weights"), f"tổng trọng số phải bằng 1 (đang là {total})")
    return problems


def _check_report(i: int, r: ReportSpec, period: PeriodSpec | None, add: Any) -> None:
    """The keys each kind of report needs, and its data window inside its period."""
    loc: Loc = ("reports", i)
    needs = {
        "once": ("deadline",),
        "daily": ("period",),
        "weekly": ("period", "weekday"),
        "batch": ("period", "data_from", "data_to", "deadline"),
    }[r.kind]
    for field in needs:
        if getattr(r, field) is None:
            add((*loc, field), f"báo cáo loại {r.kind} cần khóa {field}")
    if r.weekday is not None and r.kind != "weekly":
        add((*loc, "weekday"), "chỉ dùng cho báo cáo loại weekly")
    if r.batch is not None and r.kind != "batch":
        add((*loc, "batch"), "chỉ dùng cho báo cáo loại batch")
    if period is not None:
        for field in ("data_from", "data_to"):
            day = getattr(r, field)
            if day is not None and not period.start <= day <= period.end:
                add(
                    (*loc, field),
                    f"{day:%d/%m/%Y} nằm ngoài đợt “{period.key}” "
                    f"({period.start:%d/%m/%Y}–{period.end:%d/%m/%Y})",
                )


def _check_indicator(
    i: int,
    key: str,
    measure: str,
    variant: str | None,
    scoring: ScoringSpec | None,
    targeted: set[str],
    add: Any,
) -> None:
    """A variant the code offers; a score only for a rate, with a threshold it can find."""
    loc: Loc = ("indicators", i)
    if variant is not None:
        offered = INDICATOR_VARIANTS.get(key)
        if not offered:
            add((*loc, "variant"), "chỉ số này không có biến thể công thức nào để chọn")
        elif variant not in offered:
            add(
                (*loc, "variant"),
                f"không có biến thể “{variant}”; dùng một trong: {', '.join(offered)}",
            )
    if scoring is None:
        return
    if measure != "percent":
        add((*loc, "scoring"), "chỉ tính điểm cho chỉ số đo bằng tỷ lệ (measure: percent)")
    if scoring.threshold == "target" and key not in targeted:
        add(
            (*loc, "scoring", "threshold"),
            "không có chỉ tiêu nào (không phải context) dùng chỉ số này để lấy làm ngưỡng; "
            "ghi ngưỡng bằng số",
        )


# --- the plan against the province's unit tree -------------------------------------------------

# Every type a GSO tree of any date gives a territorial unit (hamlet types aside).
_LEGACY_GSO_TYPES = {str(t) for t in gso.tree_types(reformed=False)}
_CURRENT_GSO_TYPES = {str(t) for t in gso.tree_types(reformed=True)}
_ALL_GSO_TYPES = _LEGACY_GSO_TYPES | _CURRENT_GSO_TYPES


def _gso_types(start: dt.date, end: dt.date) -> set[str]:
    """The territorial unit types of the GSO trees in force between `start` and `end`
    (since 1/7/2025: tỉnh, thành phố trực thuộc trung ương, xã, phường, đặc khu)."""
    types: set[str] = set()
    if not gso.is_reformed(start):
        types |= _LEGACY_GSO_TYPES
    if gso.is_reformed(end):
        types |= _CURRENT_GSO_TYPES
    return types


def _tree_window(start: dt.date, end: dt.date) -> str:
    """ "từ 01/07/2025", "đến 30/06/2025": which tree the plan's days fall in."""
    if gso.is_reformed(start):
        return f"từ {gso.REFORM_DATE:%d/%m/%Y}"
    if not gso.is_reformed(end):
        return f"đến {gso.LAST_DAY_BEFORE_REFORM:%d/%m/%Y}"
    return f"từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"


def tree_check(plan: PlanFile, province: Unit) -> list[Problem]:
    """Levels and unit types the plan names that do not exist on its dates.

    A level (targets' `levels`, reports' `responsible_levels`, `reports_on_level`,
    `recipient_level`) must be one the province's territorial units have during the
    plan's periods: since 1/7/2025 there is no district level, so a 2026 plan
    naming `district` is refused. A territorial unit type must be one the GSO tree
    of those days has: `huyen` or `thi_tran` in a 2026 plan, `dac_khu` in a 2023
    plan are refused. A type the tree has but the province lacks (Tiền Giang had no
    quận in 2023, Đồng Tháp has no đặc khu) is accepted: plans list the types of a
    level as the law names them, and such a target applies to no unit.
    """
    problems: list[Problem] = []
    add = adder(problems, plan.as_document())
    start, end = plan.first_day, plan.last_day
    units = (
        Unit.objects.subtree(province)
        .filter(kind=Kind.TERRITORIAL)
        .exclude(valid_from__gt=end)
        .exclude(valid_to__lt=start)
    )
    levels = set(units.values_list("level", flat=True).distinct())
    if Level.COMMUNE in levels:
        levels.add(Level.HAMLET.value)  # hamlets are imported under the communes
    territorial = _gso_types(start, end)
    known = {str(t) for t in Level.values}
    where = f"{province.name} {describe_validity(province)}".strip()
    have = ", ".join(lv for lv in Level.values if lv in levels)

    def level(loc: Loc, value: str | None) -> None:
        if value and value in known and value not in levels:
            add(loc, f"cấp “{value}” không có trong địa giới của {where} (có các cấp: {have})")

    def unit_type(loc: Loc, value: str) -> None:
        # Hamlets (ấp, khu phố) and organizations are imported by officers after the GSO
        # tree and may not be there yet when the plan is loaded: the schema checks those.
        if value in _ALL_GSO_TYPES and value not in territorial:
            add(
                loc,
                f"loại đơn vị “{value}” không có trong hệ thống đơn vị hành chính "
                f"{_tree_window(start, end)} (có: {', '.join(sorted(territorial))})",
            )

    for i, t in enumerate(plan.targets):
        for j, value in enumerate(t.levels):
            level(("targets", i, "levels", j), value)
        for j, value in enumerate(t.unit_types):
            unit_type(("targets", i, "unit_types", j), value)
    for i, r in enumerate(plan.reports):
        for j, value in enumerate(r.responsible_levels):
            level(("reports", i, "responsible_levels", j), value)
        for j, value in enumerate(r.responsible_unit_types):
            unit_type(("reports", i, "responsible_unit_types", j), value)
        level(("reports", i, "reports_on_level"), r.reports_on_level)
        level(("reports", i, "recipient_level"), r.recipient_level)
    return problems
