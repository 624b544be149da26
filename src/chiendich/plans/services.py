"""Writes of plans: loading a plan file into rows.

The loader is idempotent (an unchanged file writes nothing at all, not even
a change-log row) and atomic (the file is validated and the province looked
up before the first write; a failure inside rolls everything back). Rows are
matched by `key`, updated in place, and removed when their key leaves the
file, so the change log reads as a diff of the plan.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.units.models import Unit
from chiendich.units.selectors import province_at

from .checks import tree_check
from .models import Deliverable, Period, Plan, ReportSchedule, Target
from .schema import PlanFile, PlanFileError, load_plan_file


class PlanLoadError(Exception):
    """A valid plan file that cannot be loaded into this database as it stands."""


@dataclass(frozen=True)
class Change:
    """One row the load created, updated (with the fields that changed) or deleted."""

    kind: str  # plan, period, target, report, deliverable
    key: str
    action: str  # created, updated, deleted
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.kind} {self.key}: {self.action}{what}"


@dataclass
class PlanLoadResult:
    """What plan_load did: nothing when the file's checksum was already loaded."""

    plan: Plan
    checksum: str
    changes: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def counts(self) -> Counter[str]:
        """Rows created, updated and deleted, by action."""
        return Counter(c.action for c in self.changes)


def document_checksum(document: dict[str, Any]) -> str:
    """SHA-256 of the normalised document, so comments, layout and key order do not count."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_load(path: Path | str, *, acting_user: User | None = None) -> PlanLoadResult:
    """Load the plan file at `path`: create the plan or bring it in line with the file.

    The province code is read as of the plan's first day (`PlanFile.first_day`): "82"
    is Tỉnh Tiền Giang in a 2023 plan and Tỉnh Đồng Tháp in a 2026 one. Raises
    schema.PlanFileError (every problem of the file, including the levels and unit
    types its province's tree does not have on its dates: checks.tree_check) or
    PlanLoadError (the province's units are not loaded) before writing anything.
    Records one AuditEvent PLAN_LOADED when something changed.
    """
    spec = load_plan_file(path)
    document = spec.as_document()
    checksum = document_checksum(document)
    province = plan_province(spec)
    if province is None:
        day = spec.first_day
        raise PlanLoadError(
            f"{path}: chưa nạp đơn vị của tỉnh {spec.province} có hiệu lực ngày "
            f"{day:%d/%m/%Y}: chạy `chiendich units load --province {int(spec.province)} "
            f"--date {day.isoformat()}` rồi nạp lại kế hoạch."
        )
    problems = tree_check(spec, province)
    if problems:
        raise PlanFileError(str(path), problems)
    existing = Plan.objects.filter(code=spec.code).first()
    if existing is not None and existing.checksum == checksum:
        return PlanLoadResult(plan=existing, checksum=checksum)

    with transaction.atomic(), acting_as(acting_user, origin="command"):
        changes: list[Change] = []
        plan = _plan_upsert(existing, spec, document, checksum, str(path), province, changes)
        periods = _sync(
            Period,
            plan,
            "period",
            [
                (p.key, {"section": p.section, "name": p.name, "start": p.start, "end": p.end})
                for p in spec.periods
            ],
            changes,
            positioned=False,
        )
        period_ids = {key: p.pk for key, p in periods.items()}
        stale = [
            *_sync(Target, plan, "target", _target_rows(spec, period_ids), changes).stale,
            *_sync(ReportSchedule, plan, "report", _report_rows(spec, period_ids), changes).stale,
            *_sync(Deliverable, plan, "deliverable", _deliverable_rows(spec), changes).stale,
            # Periods last: a stale target may still point at a stale period.
            *periods.stale,
        ]
        for kind, key, obj in stale:
            obj.delete()
            changes.append(Change(kind, key, "deleted"))
        if not changes:
            # Only what no row mirrors changed (say, the indicators section).
            changes.append(Change("plan", plan.code, "updated", ("document",)))
        audit_event_record(
            AuditEvent.Type.PLAN_LOADED,
            user=acting_user,
            unit=province,
            obj=plan,
            code=plan.code,
            file=str(path),
            checksum=checksum,
            created=sum(c.action == "created" for c in changes),
            updated=sum(c.action == "updated" for c in changes),
            deleted=sum(c.action == "deleted" for c in changes),
            changes=[str(c) for c in changes[:200]],
        )
    return PlanLoadResult(plan=plan, checksum=checksum, changes=changes)


def plan_province(spec: PlanFile) -> Unit | None:
    """The province the plan is for: the one its code names on the plan's first day.

    None when no province with that code is in force then, even if one of another
    tree has it as its identity ("82", Tiền Giang, ended on 30/06/2025).
    """
    province = province_at(spec.province, spec.first_day)
    return province if province is not None and province.is_valid_on(spec.first_day) else None


def _plan_upsert(
    plan: Plan | None,
    spec: PlanFile,
    document: dict[str, Any],
    checksum: str,
    source_file: str,
    province: Unit,
    changes: list[Change],
) -> Plan:
    facts: dict[str, Any] = {
        "number": spec.number,
        "issued_on": spec.issued_on,
        "issuer": spec.issuer,
        "signer_name": spec.signer.name,
        "signer_title": spec.signer.title,
        "title": spec.title,
        "place": spec.place,
        "province_id": province.pk,
        "note": spec.note,
        "emulation": document["emulation"] or {},
    }
    bookkeeping = {
        "document": document,
        "checksum": checksum,
        "source_file": source_file,
        "loaded_at": timezone.now(),
    }
    if plan is None:
        plan = Plan(code=spec.code, **facts, **bookkeeping)
        plan.save()
        changes.append(Change("plan", spec.code, "created"))
        return plan
    differ = [name for name, value in facts.items() if getattr(plan, name) != value]
    for name, value in {**facts, **bookkeeping}.items():
        setattr(plan, name, value)
    plan.save()
    if differ:
        changes.append(Change("plan", spec.code, "updated", tuple(_field(n) for n in differ)))
    return plan


def _target_rows(spec: PlanFile, period_ids: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            t.key,
            {
                "section": t.section,
                "indicator": t.indicator,
                "name": t.name,
                # As the column stores it, so the change log reads 25.00 -> 30.00.
                "value": t.value.quantize(Decimal("0.01")),
                "measure": t.measure,
                "period_id": period_ids[t.period] if t.period else None,
                "levels": list(t.levels),
                "unit_types": list(t.unit_types),
                "applies_from": t.applies_from,
                "is_stretch": t.stretch,
                "is_context": t.context,
                "note": t.note,
            },
        )
        for t in spec.targets
    ]


def _report_rows(spec: PlanFile, period_ids: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            r.key,
            {
                "section": r.section,
                "name": r.name,
                "kind": r.kind,
                "period_id": period_ids[r.period] if r.period else None,
                "responsible": r.responsible,
                "responsible_levels": list(r.responsible_levels),
                "responsible_unit_types": list(r.responsible_unit_types),
                "reports_on_level": r.reports_on_level or "",
                "recipient": r.recipient,
                "recipient_level": r.recipient_level or "",
                "weekday": r.weekday,
                "batch": r.batch,
                "data_from": r.data_from,
                "data_to": r.data_to,
                "deadline": r.deadline,
                "source": r.source,
                "note": r.note,
            },
        )
        for r in spec.reports
    ]


def _deliverable_rows(spec: PlanFile) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            d.key,
            {
                "section": d.section,
                "name": d.name,
                "responsible": d.responsible,
                "due": d.due,
                "until": d.until,
                "note": d.note,
            },
        )
        for d in spec.deliverables
    ]


class _Synced(dict[str, Any]):
    """Rows by key after a sync, plus the rows whose key left the file (not yet deleted)."""

    stale: list[tuple[str, str, models.Model]]


def _sync(
    model: type[models.Model],
    plan: Plan,
    kind: str,
    rows: list[tuple[str, dict[str, Any]]],
    changes: list[Change],
    *,
    positioned: bool = True,
) -> _Synced:
    """Create or update `model` rows of `plan` by key; a row saves only if a field differs."""
    existing: dict[str, Any] = {
        obj.key: obj  # type: ignore[attr-defined]
        for obj in model._default_manager.filter(plan=plan)
    }
    synced = _Synced()
    for position, (key, wanted) in enumerate(rows):
        if positioned:
            wanted = {**wanted, "position": position}
        obj = existing.get(key)
        if obj is None:
            obj = model(plan=plan, key=key, **wanted)
            obj.save()
            changes.append(Change(kind, key, "created"))
        else:
            differ = [name for name, value in wanted.items() if getattr(obj, name) != value]
            if differ:
                for name in differ:
                    setattr(obj, name, wanted[name])
                obj.save()
                changes.append(Change(kind, key, "updated", tuple(_field(n) for n in differ)))
        synced[key] = obj
    synced.stale = [(kind, key, obj) for key, obj in existing.items() if key not in synced]
    return synced


def _field(attname: str) -> str:
    return attname.removesuffix("_id")
