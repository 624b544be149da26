"""plan_load: refuses bad files whole, writes nothing twice, updates rows in place."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError

from chiendich.accounts.models import AuditEvent, ObjectChange, User
from chiendich.plans.models import Period, Plan, ReportSchedule, Target
from chiendich.plans.schema import PlanFileError
from chiendich.plans.services import Change, PlanLoadError, plan_load

from .conftest import PLAN_383, index_of, item, plan_data, row_counts


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """Set data[path...] = value, where a (section, key) pair picks a list item by key."""

    def change(data: dict[str, Any]) -> None:
        node: Any = data
        *parents, last = path
        for part in parents:
            node = item(data, *part) if isinstance(part, tuple) else node[part]
        node[last] = value

    return change


XA = index_of(plan_data(), "targets", "online_dossier_xa")
PHUONG = index_of(plan_data(), "targets", "online_dossier_phuong")
BATCH_1 = index_of(plan_data(), "reports", "tthc_batch_1")

BAD_FILES = [
    pytest.param(
        _set((("targets", "online_dossier_xa"), "value"), "hai lăm"),
        f"targets[{XA}].value: phải là số",
        id="wrong-type",
    ),
    pytest.param(
        _set((("targets", "online_dossier_xa"), "levels"), "commune"),
        f"targets[{XA}].levels: phải là danh sách",
        id="wrong-type-list",
    ),
    pytest.param(
        _set((("periods", "vneid"), "colour"), "đỏ"),
        "periods[0].colour: khóa lạ",
        id="unknown-key",
    ),
    pytest.param(
        _set((("periods", "vneid"), "start"), "20/8/2023"),
        "periods[0].start: phải là ngày dạng YYYY-MM-DD",
        id="bad-date",
    ),
    pytest.param(
        _set((("targets", "online_dossier_xa"), "value"), 120),
        f"targets[{XA}].value: tỷ lệ phải từ 0 đến 100",
        id="percent-120",
    ),
    pytest.param(
        _set((("targets", "online_dossier_xa"), "period"), "cao_diem"),
        f"targets[{XA}].period: không có đợt “cao_diem”",
        id="missing-period",
    ),
    pytest.param(
        _set((("targets", "online_dossier_xa"), "unit_types"), ["xã"]),
        f"targets[{XA}].unit_types[0]: loại đơn vị “xã” không có",
        id="unknown-unit-type",
    ),
    pytest.param(
        _set((("reports", "tthc_batch_1"), "deadline"), "2023-09-10"),
        f"reports[{BATCH_1}].deadline: hạn nộp 10/09/2023 phải sau",
        id="deadline-inside-window",
    ),
    pytest.param(
        _set(("emulation", "score", "weights", "online_payment_rate"), 0.25),
        "emulation.score.weights: tổng trọng số phải bằng 1",
        id="weights-sum",
    ),
    pytest.param(
        _set((("targets", "online_dossier_phuong"), "key"), "online_dossier_xa"),
        f"targets[{PHUONG}].key: khóa “online_dossier_xa” trùng với targets[{XA}]",
        id="duplicate-key",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "expected"), BAD_FILES)
def test_a_bad_file_is_refused_and_nothing_is_written(
    plan_383: Plan, write_variant: Callable[..., Path], change: Any, expected: str
) -> None:
    before = row_counts()
    path = write_variant(change)
    with pytest.raises(PlanFileError) as caught:
        plan_load(path)
    assert f"{path}: {expected}" in str(caught.value)
    assert row_counts() == before


@pytest.mark.django_db
def test_a_yaml_syntax_error_names_line_and_column(
    plan_383: Plan, write_variant: Callable[..., Path]
) -> None:
    lines = PLAN_383.read_text(encoding="utf-8").splitlines()
    at = lines.index("    start: 2023-08-20")
    lines.insert(at + 1, "   name: thụt lề sai")  # one space short
    before = row_counts()
    path = write_variant(text="\n".join(lines) + "\n")
    with pytest.raises(PlanFileError) as caught:
        plan_load(path)
    message = str(caught.value)
    assert re.search(rf"^{re.escape(str(path))}: dòng {at + 2}, cột \d+: lỗi cú pháp YAML", message)
    assert row_counts() == before


@pytest.mark.django_db
def test_every_problem_is_listed_at_once(write_variant: Callable[..., Path]) -> None:
    def change(data: dict[str, Any]) -> None:
        data["issued_on"] = "15/8/2023"
        item(data, "targets", "online_dossier_xa")["value"] = 120
        item(data, "periods", "tthc")["colour"] = "xanh"
        item(data, "targets", "online_dossier_phuong")["period"] = "cao_diem"

    with pytest.raises(PlanFileError) as caught:
        plan_load(write_variant(change))
    assert [p.where for p in caught.value.problems] == [
        "issued_on",
        "periods[1].colour",
        f"targets[{XA}].value",
        f"targets[{PHUONG}].period",  # a reference, reported with the shape errors
    ]


@pytest.mark.django_db
def test_the_command_reports_every_problem(
    plan_383: Plan, write_variant: Callable[..., Path]
) -> None:
    def change(data: dict[str, Any]) -> None:
        item(data, "targets", "online_dossier_xa")["value"] = 120
        item(data, "targets", "online_dossier_phuong")["period"] = "cao_diem"

    before = row_counts()
    with pytest.raises(CommandError) as caught:
        call_command("plan", "load", str(write_variant(change)))
    message = str(caught.value)
    assert "Không ghi gì vào cơ sở dữ liệu; 2 lỗi" in message
    assert f"targets[{XA}].value: tỷ lệ phải từ 0 đến 100" in message
    assert f"targets[{PHUONG}].period: không có đợt “cao_diem”" in message
    assert row_counts() == before


@pytest.mark.django_db
def test_a_province_not_loaded_yet_is_named_with_the_command_to_run() -> None:
    with pytest.raises(PlanLoadError, match=r"chiendich units load --province 82"):
        plan_load(PLAN_383)
    assert Plan.objects.count() == 0


@pytest.mark.django_db
def test_first_load_creates_the_plan_and_its_rows(plan_383: Plan) -> None:
    assert plan_383.number == "383/KH-UBND"
    assert plan_383.province.code == "82"
    assert plan_383.signer_name == "Nguyễn Văn Vĩnh"
    assert len(plan_383.checksum) == 64
    assert plan_383.document["code"] == "tien-giang-383-2023"
    assert plan_383.emulation["lagging"]["pace_share"] == 0.8
    assert Period.objects.filter(plan=plan_383).count() == 2
    assert Target.objects.filter(plan=plan_383).count() == len(plan_data()["targets"])
    assert ReportSchedule.objects.filter(plan=plan_383).count() == 8
    event = AuditEvent.objects.get(type=AuditEvent.Type.PLAN_LOADED)
    assert event.object_id == str(plan_383.pk) and event.unit == plan_383.province
    assert event.origin == "command"
    # Every row went through the change log.
    assert (
        ObjectChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Target), action="create"
        ).count()
        == Target.objects.count()
    )


@pytest.mark.django_db
def test_loading_twice_writes_nothing_the_second_time(plan_383: Plan) -> None:
    before = row_counts()
    loaded_at = plan_383.loaded_at
    result = plan_load(PLAN_383)
    assert not result.changed and result.changes == []
    assert row_counts() == before
    assert Plan.objects.get().loaded_at == loaded_at


@pytest.mark.django_db
def test_one_changed_value_updates_that_row_only_and_logs_one_change(
    plan_383: Plan, write_variant: Callable[..., Path]
) -> None:
    user = User.objects.create(username="vp-ubnd", role="", full_name="Văn phòng UBND tỉnh")
    others_before = {
        t.key: (t.pk, t.value, t.levels, t.period_id)
        for t in Target.objects.exclude(key="online_dossier_xa")
    }
    xa = Target.objects.get(key="online_dossier_xa")
    last_change = ObjectChange.objects.order_by("-pk").first()
    events = AuditEvent.objects.count()

    result = plan_load(
        write_variant(_set((("targets", "online_dossier_xa"), "value"), 30)), acting_user=user
    )

    assert result.changes == [Change("target", "online_dossier_xa", "updated", ("value",))]
    xa.refresh_from_db()
    assert xa.value == Decimal("30")
    assert {
        t.key: (t.pk, t.value, t.levels, t.period_id)
        for t in Target.objects.exclude(key="online_dossier_xa")
    } == others_before
    new_changes = list(ObjectChange.objects.filter(pk__gt=last_change.pk))  # type: ignore[union-attr]
    assert len(new_changes) == 1
    change = new_changes[0]
    assert (change.action, change.object_id, change.changed_fields()) == (
        "update",
        str(xa.pk),
        ["value"],
    )
    assert (change.before["value"], change.after["value"]) == ("25.00", "30.00")
    assert change.user == user and change.origin == "command"
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.filter(type=AuditEvent.Type.PLAN_LOADED).first()
    assert event is not None and event.user == user and event.detail["updated"] == 1
    assert Plan.objects.get().checksum == result.checksum != plan_383.checksum


@pytest.mark.django_db
def test_a_key_that_leaves_the_file_is_deleted(
    plan_383: Plan, write_variant: Callable[..., Path]
) -> None:
    def drop(data: dict[str, Any]) -> None:
        del data["reports"][index_of(data, "reports", "vneid_final")]

    result = plan_load(write_variant(drop))
    assert result.changes[-1] == Change("report", "vneid_final", "deleted")
    assert not ReportSchedule.objects.filter(key="vneid_final").exists()
    # The later reports moved up one place; that is all that changed.
    assert {c.action for c in result.changes} == {"updated", "deleted"}
    assert all(c.fields == ("position",) for c in result.changes if c.action == "updated")


@pytest.mark.django_db
def test_a_change_no_row_mirrors_is_kept_in_the_document_and_audited(
    plan_383: Plan, write_variant: Callable[..., Path]
) -> None:
    changes_before = ObjectChange.objects.count()
    events_before = AuditEvent.objects.count()
    result = plan_load(
        write_variant(_set((("indicators", "online_payment_rate"), "source"), "QĐ 766/QĐ-TTg"))
    )
    assert result.changes == [Change("plan", "tien-giang-383-2023", "updated", ("document",))]
    plan = Plan.objects.get()
    indicator = next(i for i in plan.document["indicators"] if i["key"] == "online_payment_rate")
    assert indicator["source"] == "QĐ 766/QĐ-TTg"
    # The document is not copied into the change log; the audit event carries the checksum.
    assert ObjectChange.objects.count() == changes_before
    assert AuditEvent.objects.count() == events_before + 1
    assert AuditEvent.objects.first().detail["checksum"] == plan.checksum  # type: ignore[union-attr]
