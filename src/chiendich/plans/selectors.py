"""Reads of plans shared by pages, commands and reports.

A plan is a public document of its province: every user of the province may
read it, so these reads are not scoped by user (unlike the data the plan's
targets are measured on).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from chiendich.units.models import PATH_SEPARATOR, Unit

from .models import Plan, Target


def province_code_of(unit: Unit) -> str:
    """The code of the province `unit` lies in: the root of its tree path."""
    return unit.path.split(PATH_SEPARATOR)[0]


def plan_for_unit(unit: Unit, on: dt.date | None = None) -> Plan | None:
    """The latest plan (by issue date) of the province `unit` belongs to, if any.

    With `on`, the plan that governs that day: none when the province did not exist
    yet (a unit of today's tree asked about 2023 sums its predecessors' records,
    measured against no target of theirs), else the latest one issued by then, or
    the latest of all when none was issued yet.
    """
    plans = Plan.objects.filter(province__code=province_code_of(unit)).order_by(
        "-issued_on", "-loaded_at", "-pk"
    )
    if on is None:
        return plans.first()
    plans = plans.select_related("province")
    first = plans.first()
    starts = first.province.valid_from if first is not None else None
    if first is None or (starts is not None and on < starts):
        return None
    return plans.filter(issued_on__lte=on).first() or first


def targets_for_unit(plan: Plan, unit: Unit, *, include_context: bool = False) -> list[Target]:
    """The targets of `plan` set for `unit`, in plan order.

    Empty when the unit lies outside the plan's province. National goals the
    plan quotes as background (is_context) only on request.
    """
    if province_code_of(unit) != plan.province.code:
        return []
    targets = plan.targets.select_related("period").order_by("position")
    if not include_context:
        targets = targets.filter(is_context=False)
    return [t for t in targets if t.applies_to(unit)]


def _date(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def plan_as_dict(plan: Plan) -> dict[str, Any]:
    """The plan and its rows as JSON-ready data (ISO dates, numbers as numbers)."""
    periods = list(plan.periods.all())
    period_keys = {p.pk: p.key for p in periods}
    return {
        "code": plan.code,
        "number": plan.number,
        "issued_on": _date(plan.issued_on),
        "issuer": plan.issuer,
        "signer": {"name": plan.signer_name, "title": plan.signer_title},
        "title": plan.title,
        "place": plan.place,
        "province": {"code": plan.province.code, "name": plan.province.name},
        "note": plan.note,
        "checksum": plan.checksum,
        "source_file": plan.source_file,
        "loaded_at": plan.loaded_at.isoformat() if plan.loaded_at else None,
        "periods": [
            {
                "key": p.key,
                "section": p.section,
                "name": p.name,
                "start": _date(p.start),
                "end": _date(p.end),
                "days": p.days,
            }
            for p in periods
        ],
        "targets": [
            {
                "key": t.key,
                "section": t.section,
                "indicator": t.indicator,
                "name": t.name,
                "value": _number(t.value),
                "measure": t.measure,
                "period": period_keys.get(t.period_id) if t.period_id else None,
                "levels": t.levels,
                "unit_types": t.unit_types,
                "applies_from": _date(t.applies_from),
                "stretch": t.is_stretch,
                "context": t.is_context,
                "note": t.note,
            }
            for t in plan.targets.all()
        ],
        "reports": [
            {
                "key": r.key,
                "section": r.section,
                "name": r.name,
                "kind": r.kind,
                "period": period_keys.get(r.period_id) if r.period_id else None,
                "responsible": r.responsible,
                "responsible_levels": r.responsible_levels,
                "responsible_unit_types": r.responsible_unit_types,
                "reports_on_level": r.reports_on_level or None,
                "recipient": r.recipient,
                "recipient_level": r.recipient_level or None,
                "weekday": r.weekday,
                "batch": r.batch,
                "data_from": _date(r.data_from),
                "data_to": _date(r.data_to),
                "deadline": _date(r.deadline),
                "source": r.source,
                "note": r.note,
            }
            for r in plan.reports.all()
        ],
        "deliverables": [
            {
                "key": d.key,
                "section": d.section,
                "name": d.name,
                "responsible": d.responsible,
                "due": _date(d.due),
                "until": _date(d.until),
                "note": d.note,
            }
            for d in plan.deliverables.all()
        ],
        "emulation": plan.emulation or None,
        "indicators": plan.document.get("indicators", []),
    }
