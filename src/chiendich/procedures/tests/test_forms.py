"""Aggregate forms: validation with a message per field, the records-or-form rule,
scope, the change log, and the forms' counts in the same indicators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.accounts.roles import Role
from chiendich.plans.models import Plan
from chiendich.procedures.models import AggregateForm
from chiendich.procedures.selectors import batch_statuses, forms_for_user, unit_kpi
from chiendich.procedures.services import (
    AUDIT_FORM_SUBMITTED,
    aggregate_form_clean,
    aggregate_form_delete,
    aggregate_form_submit,
)
from chiendich.units.models import Unit
from chiendich.units.services import unit_upsert

from .conftest import AGENCY, PEAK, PHUONG, XA, dossier_row

pytestmark = pytest.mark.django_db

GOOD = {
    "received": 100,
    "received_online": 60,
    "digitized": 90,
    "fee_bearing": 40,
    "paid_online": 20,
    "resolved": 80,
    "resolved_e_result": 70,
    "reused": 10,
}


def test_a_part_larger_than_its_whole_is_refused_naming_both_fields() -> None:
    with pytest.raises(ValidationError) as exc:
        aggregate_form_clean({**GOOD, "received_online": 120, "paid_online": 41})
    errors = exc.value.message_dict
    assert set(errors) == {"received_online", "paid_online"}
    assert errors["received_online"] == [
        "“Trong đó: tiếp nhận trực tuyến” (120) không được lớn hơn “Số hồ sơ tiếp nhận” (100)."
    ]
    assert "“Số hồ sơ phải nộp phí, lệ phí (trừ hồ sơ được miễn)” (40)" in errors["paid_online"][0]


def test_missing_negative_and_non_numbers_are_named() -> None:
    with pytest.raises(ValidationError) as exc:
        aggregate_form_clean({**GOOD, "digitized": -1, "reused": "mười", "resolved": None})
    errors = exc.value.message_dict
    assert (
        "“Số hồ sơ được số hóa (thành phần hồ sơ và kết quả)”: không được âm"
        in errors["digitized"][0]
    )
    assert "phải là số nguyên" in errors["reused"][0]
    assert "chưa nhập" in errors["resolved"][0]
    # "1.250" is read the Vietnamese way.
    assert aggregate_form_clean({**GOOD, "received": "1.250"})["received"] == 1250


def test_submit_is_scoped_logged_and_audited(
    plan_383: Plan, agencies: dict[str, Unit], make_user: Callable[..., Any]
) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, XA)
    with pytest.raises(PermissionDenied):
        aggregate_form_submit(
            unit=Unit.objects.get(code=PHUONG), report_key="tthc_batch_1", values=GOOD,
            acting_user=officer,
        )  # fmt: skip
    form = aggregate_form_submit(
        unit=Unit.objects.get(code=XA), report_key="tthc_batch_1", values=GOOD, acting_user=officer
    )
    assert (form.data_from, form.data_to) == (dt.date(2023, 9, 1), dt.date(2023, 9, 15))
    logged = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(AggregateForm), object_id=str(form.pk)
    )
    change = logged.get()
    assert change.user == officer and change.after["received"] == 100
    again = aggregate_form_submit(
        unit=form.unit, report_key="tthc_batch_1", values={**GOOD, "received": 110},
        acting_user=officer,
    )  # fmt: skip
    assert again.pk == form.pk
    update = logged.order_by("-id").first()
    assert update is not None and update.changed_fields() == ["received", "submitted_at"]
    assert AuditEvent.objects.filter(type=AUDIT_FORM_SUBMITTED, user=officer).count() == 2
    assert list(forms_for_user(officer)) == [form]
    assert not forms_for_user(make_user(Role.COMMUNE_OFFICER, PHUONG)).exists()


def test_unknown_batch_and_hamlets_are_refused(plan_383: Plan, agencies: dict[str, Unit]) -> None:
    with pytest.raises(ValidationError) as exc:
        aggregate_form_submit(
            unit=Unit.objects.get(code=XA), report_key="vneid_daily", values=GOOD, acting_user=None
        )
    assert "report" in exc.value.message_dict
    hamlet, _ = unit_upsert(
        code=f"{XA}-01", name="Ấp 1", unit_type="ap", level="hamlet",
        parent=Unit.objects.get(code=XA),
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        aggregate_form_submit(unit=hamlet, report_key="tthc_batch_1", values=GOOD, acting_user=None)
    assert "cấp tỉnh, huyện, xã" in exc.value.message_dict[NON_FIELD_ERRORS][0]


def test_records_and_a_form_never_cover_the_same_window(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows([dossier_row("S1", AGENCY, procedure="T.PROV", received="10/09/2023")])
    agency = Unit.objects.get(code=AGENCY)
    with pytest.raises(ValidationError) as exc:
        aggregate_form_submit(unit=agency, report_key="tthc_batch_1", values=GOOD, acting_user=None)
    assert "đã có 1 hồ sơ" in exc.value.message_dict[NON_FIELD_ERRORS][0]
    # Another window is free; and then the import refuses dossiers inside it.
    aggregate_form_submit(unit=agency, report_key="tthc_batch_2", values=GOOD, acting_user=None)
    report = import_rows([dossier_row("S2", AGENCY, procedure="T.PROV", received="20/09/2023")])
    assert report.rows_valid == 0
    assert "biểu mẫu tổng hợp đợt “tthc_batch_2”" in report.errors[0].problem
    statuses = {s.report.key: s for s in batch_statuses(agency, plan_383)}
    assert statuses["tthc_batch_1"].dossiers == 1 and not statuses["tthc_batch_1"].form_allowed
    assert statuses["tthc_batch_2"].form is not None
    assert statuses["tthc_batch_3"].needs_form
    aggregate_form_delete(form=statuses["tthc_batch_2"].form, acting_user=None)
    assert not AggregateForm.objects.exists()


def test_forms_feed_the_same_indicators_without_double_counting(
    plan_383: Plan, agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    phuong = Unit.objects.get(code=PHUONG)
    aggregate_form_submit(unit=phuong, report_key="tthc_batch_1", values=GOOD, acting_user=None)
    batch_4 = {**GOOD, "received": 300, "received_online": 120, "fee_bearing": 100}
    aggregate_form_submit(unit=phuong, report_key="tthc_batch_4", values=batch_4, acting_user=None)

    first = unit_kpi(phuong, dt.date(2023, 9, 1), dt.date(2023, 9, 15))
    online = first.indicator("online_dossier_rate")
    assert (online.numerator, online.denominator, online.rate) == (60, 100, Decimal("60.00"))
    assert (online.met, online.forms) == (True, 1)
    payment = first.indicator("online_payment_rate")
    assert (payment.numerator, payment.denominator) == (20, 40)
    assert first.indicator("digitization_rate").rate == Decimal("90.00")
    assert first.indicator("electronic_result_rate").rate == Decimal("87.50")
    assert first.indicator("data_reuse_rate").rate == Decimal("10.00")
    assert first.indicator("result_reuse_rate").rate == Decimal("87.50")
    # Forms carry no due dates nor procedures: those indicators stay without them.
    assert first.indicator("on_time_rate").denominator == 0
    assert first.indicator("online_dossier_rate_police_essential").forms == 0

    # The whole peak: batch 4 (cumulative) replaces batch 1, never both.
    whole = unit_kpi(phuong, *PEAK).indicator("online_dossier_rate")
    assert (whole.numerator, whole.denominator, whole.forms) == (120, 300, 1)
    # A window that holds no form whole counts none.
    assert (
        unit_kpi(phuong, dt.date(2023, 9, 1), dt.date(2023, 9, 10))
        .indicator("online_dossier_rate")
        .denominator
        == 0
    )
    # Forms add up the tree with records: Mỹ Tho sees the ward's form and a commune's dossier.
    import_rows([dossier_row("R1", "28252", channel=2, received="05/09/2023")])  # Phường 4
    city = unit_kpi(Unit.objects.get(code="815"), dt.date(2023, 9, 1), dt.date(2023, 9, 15))
    ward_row = next(
        b for b in city.indicator("online_dossier_rate").breakdown if b.unit_type == "phuong"
    )
    assert (ward_row.numerator, ward_row.denominator) == (61, 101)
