"""Writes of aggregate forms: counts entered by units without record-level exports.

Plan 383 VII.2.b asks for four batches of figures (data windows 01/9–15/9,
16/9–30/9, 01/10–15/10 and 01/9–30/10/2023). A unit whose one-stop system
cannot export dossiers enters, per batch, the counts the indicators need;
they add to the same sums as imported dossiers (indicators.py). A part never
exceeds its whole, and a unit with imported dossiers in a window cannot also
enter a form for it (the import refuses the converse, see importing.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction

from chiendich.accounts.context import acting_as, current_origin
from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.plans.models import ReportKind, ReportSchedule
from chiendich.plans.selectors import plan_for_unit
from chiendich.units.models import Level, Unit

from .models import FORM_FIELDS, AggregateForm, Dossier

AUDIT_FORM_SUBMITTED = AuditEvent.Type.TTHC_FORM_SUBMITTED
AUDIT_FORM_DELETED = AuditEvent.Type.TTHC_FORM_DELETED
FORM_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)

# How the form names its fields to the officer (Vietnamese, as on the paper template).
FORM_LABELS: dict[str, str] = {
    "received": "Số hồ sơ tiếp nhận",
    "received_online": "Trong đó: tiếp nhận trực tuyến",
    "digitized": "Số hồ sơ được số hóa (thành phần hồ sơ và kết quả)",
    "fee_bearing": "Số hồ sơ phải nộp phí, lệ phí (trừ hồ sơ được miễn)",
    "paid_online": "Trong đó: thanh toán trực tuyến",
    "resolved": "Số hồ sơ đã giải quyết",
    "resolved_e_result": "Trong đó: có kết quả điện tử",
    "reused": "Số hồ sơ sử dụng lại dữ liệu đã số hóa",
}

# (part, whole): the part is a subset of the whole, so it can never be larger.
FORM_PARTS: tuple[tuple[str, str], ...] = (
    ("received_online", "received"),
    ("digitized", "received"),
    ("fee_bearing", "received"),
    ("paid_online", "fee_bearing"),
    ("resolved_e_result", "resolved"),
    ("reused", "received"),
)
_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")
FORM_MAX = 10_000_000  # no unit receives ten million dossiers in a fortnight


def _whole_number(text: str) -> int:
    text = text.strip()
    if _THOUSANDS.fullmatch(text):  # "1.250" is one thousand two hundred and fifty
        text = text.replace(".", "")
    return int(text)


def aggregate_form_clean(values: Mapping[str, Any]) -> dict[str, int]:
    """The eight counts of a form as integers, or ValidationError with one Vietnamese
    message per wrong field, naming it (and, for a part larger than its whole, both)."""
    errors: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for name in FORM_FIELDS:
        raw = values.get(name)
        label = FORM_LABELS[name]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors.setdefault(name, []).append(f"“{label}”: chưa nhập (ghi 0 nếu không có).")
            continue
        try:
            if isinstance(raw, bool):
                raise TypeError
            number = _whole_number(raw) if isinstance(raw, str) else int(raw)
            if isinstance(raw, float) and raw != number:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault(name, []).append(f"“{label}”: phải là số nguyên (đang là “{raw}”).")
            continue
        if number < 0:
            errors.setdefault(name, []).append(f"“{label}”: không được âm (đang là {raw}).")
            continue
        if number > FORM_MAX:
            errors.setdefault(name, []).append(f"“{label}”: lớn bất thường ({number}).")
            continue
        counts[name] = number
    for part, whole in FORM_PARTS:
        if part in counts and whole in counts and counts[part] > counts[whole]:
            errors.setdefault(part, []).append(
                f"“{FORM_LABELS[part]}” ({counts[part]}) không được lớn hơn "
                f"“{FORM_LABELS[whole]}” ({counts[whole]})."
            )
    if errors:
        raise ValidationError(errors)
    return counts


def _check_scope(unit: Unit, acting_user: User | None) -> None:
    """A user may enter a form only for a unit they may change (None: the system)."""
    if acting_user is None:
        return
    if not Unit.objects.restrict(acting_user, "change").filter(pk=unit.pk).exists():
        raise PermissionDenied("unit outside the user's scope")


def batch_report(unit: Unit, report_key: str) -> ReportSchedule:
    """The batch report `report_key` of the plan of `unit`'s province, or ValidationError."""
    plan = plan_for_unit(unit)
    report = plan.reports.filter(key=report_key, kind=ReportKind.BATCH).first() if plan else None
    if report is None or report.data_from is None or report.data_to is None:
        raise ValidationError(
            {"report": [f"Kế hoạch không có đợt báo cáo “{report_key}” có khoảng số liệu."]}
        )
    return report


@transaction.atomic
def aggregate_form_submit(
    *,
    unit: Unit,
    report_key: str,
    values: Mapping[str, Any],
    acting_user: User | None,
    note: str = "",
) -> AggregateForm:
    """Create or replace `unit`'s form for the batch report `report_key` (e.g.
    "tthc_batch_1"), after checking scope, the counts and that the unit has no
    imported dossiers received in the batch's data window. Change-logged and audited.

    Raises PermissionDenied (unit outside the acting user's scope) or ValidationError
    (field errors keyed by field name; NON_FIELD_ERRORS for the window conflict).
    """
    _check_scope(unit, acting_user)
    if unit.level not in FORM_LEVELS:
        raise ValidationError(
            {NON_FIELD_ERRORS: ["Chỉ đơn vị cấp tỉnh, huyện, xã mới nhập biểu mẫu tổng hợp."]}
        )
    report = batch_report(unit, report_key)
    counts = aggregate_form_clean(values)
    assert report.data_from is not None and report.data_to is not None  # noqa: S101
    records = Dossier.objects.filter(
        unit=unit, received_on__gte=report.data_from, received_on__lte=report.data_to
    ).count()
    if records:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    f"{unit.name} đã có {records} hồ sơ nhập từ hệ thống một cửa, tiếp nhận từ "
                    f"{report.data_from:%d/%m/%Y} đến {report.data_to:%d/%m/%Y}: số liệu của "
                    "đợt này tính từ hồ sơ, không nhập biểu mẫu tổng hợp."
                ]
            }
        )
    form = AggregateForm.objects.filter(unit=unit, report_key=report.key).first()
    created = form is None
    with acting_as(acting_user, origin=current_origin()):
        if form is None:
            form = AggregateForm(unit=unit, report_key=report.key)
        form.report = report
        form.data_from, form.data_to = report.data_from, report.data_to
        for name, number in counts.items():
            setattr(form, name, number)
        form.note = note.strip()
        form.submitted_by = acting_user if acting_user is not None and acting_user.pk else None
        form.save()
    audit_event_record(
        AUDIT_FORM_SUBMITTED,
        user=acting_user,
        unit=unit,
        obj=form,
        report=report.key,
        created=created,
        counts=counts,
    )
    return form


@transaction.atomic
def aggregate_form_delete(*, form: AggregateForm, acting_user: User | None) -> None:
    """Delete a form (say, before importing the unit's records for that window). Audited."""
    _check_scope(form.unit, acting_user)
    unit, key, pk = form.unit, form.report_key, form.pk
    with acting_as(acting_user, origin=current_origin()):
        form.delete()
    audit_event_record(AUDIT_FORM_DELETED, user=acting_user, unit=unit, report=key, form_id=pk)
