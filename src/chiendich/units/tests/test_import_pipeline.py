"""Hamlets and organizations as kinds of the import pipeline (issue 15 item 6): declared
in units/importing.py, they come with the command (`chiendich import hamlets|organizations`,
dry run, error file, template), the web import page (an officer's own units only) and the
mapping of an earlier tree's codes onto the tree of the import."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.accounts.roles import Role
from chiendich.conftest import COMMUNE_A, COMMUNE_B, TREE_2023
from chiendich.core.tabular import default_errors_path
from chiendich.imports import kinds as import_kinds
from chiendich.imports.models import JobState
from chiendich.imports.services import job_confirm, job_upload
from chiendich.imports.tests.conftest import IMMEDIATE
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.selectors import unit_in_tree

from .conftest import GAO_GIONG, TODAY_TREE, Split
from .test_import import HAMLETS, ORGS

pytestmark = pytest.mark.django_db
ON_2023 = ["--tree", TREE_2023.isoformat()]


def _hamlets() -> dict[str, Unit]:
    return {u.name: u for u in Unit.objects.filter(level=Level.HAMLET)}


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def _error_cells(path: Path) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return list(sheet.iter_rows(min_row=2, values_only=True))


def test_the_command_checks_then_imports_hamlets_and_a_second_import_writes_nothing(
    tien_giang: Unit, write_file: Callable[..., Path]
) -> None:
    path = write_file("ap.csv", HAMLETS)
    said = _run("hamlets", str(path), "--dry-run", *ON_2023)
    assert "Ấp/khu phố sẽ thêm mới: 5; sẽ cập nhật: 0; không đổi: 0" in said
    assert "Số dòng đã đọc: 5; hợp lệ: 5; bị từ chối: 0" in said
    assert not _hamlets()  # the check wrote nothing

    said = _run("hamlets", str(path), *ON_2023)
    assert "Ấp/khu phố thêm mới: 5; cập nhật: 0; không đổi: 0" in said
    hamlets = _hamlets()
    assert hamlets["Khu phố 2"].code == "28249-02"
    assert hamlets["Ấp Tân Thuận"].code == "28282-02"  # after the coded 2828201
    assert (hamlets["Khu phố 1"].type, hamlets["Ấp Đạo Ninh"].type) == (
        UnitType.QUARTER,
        UnitType.HAMLET,
    )
    audits = AuditEvent.objects.filter(type=AuditEvent.Type.HAMLETS_IMPORTED)
    assert [(a.detail["file"], a.detail["created"]) for a in audits] == [("ap.csv", 5)]

    changes = ObjectChange.objects.count()
    said = _run("hamlets", str(path), *ON_2023)
    assert "thêm mới: 0; cập nhật: 0; không đổi: 5" in said
    assert ObjectChange.objects.count() == changes
    assert audits.count() == 1  # nothing changed, nothing written


def test_a_dry_run_works_out_the_outcomes_the_import_then_has(
    tien_giang: Unit, write_file: Callable[..., Path]
) -> None:
    _run(
        "hamlets", str(write_file("a.csv", "Mã xã,Tên ấp/khu phố\n28282,Ấp Tân Thuận\n")), *ON_2023
    )
    # One renamed (same hamlet, case and diacritics aside), two new in one commune.
    path = write_file(
        "b.csv", "Mã xã,Tên ấp/khu phố\n28282,ẤP TÂN THUẬN\n28282,Ấp Mới\n28282,Ấp Mới Hai\n"
    )
    assert "sẽ thêm mới: 2; sẽ cập nhật: 1; không đổi: 0" in _run(
        "hamlets", str(path), "--dry-run", *ON_2023
    )
    assert "thêm mới: 2; cập nhật: 1; không đổi: 0" in _run("hamlets", str(path), *ON_2023)
    assert sorted(u.code for u in _hamlets().values()) == ["28282-01", "28282-02", "28282-03"]


def test_a_file_with_a_bad_row_is_refused_whole_with_its_error_file(
    tien_giang: Unit, write_file: Callable[..., Path]
) -> None:
    path = write_file(
        "ap-loi.csv",
        "Mã xã,Tên ấp/khu phố,Mã ấp/khu phố\n28249,Khu phố 1,\n99999,Ấp Ma,\n28249,,\n"
        "28249,khu pho 1,\n28249,Khu phố 7,a/b\n",
    )
    before = Unit.objects.count()
    with pytest.raises(CommandError, match="Tệp còn dòng lỗi"):
        _run("hamlets", str(path), *ON_2023)
    assert Unit.objects.count() == before
    assert _error_cells(default_errors_path(path)) == [
        (3, "Mã xã", "99999", "không có xã/phường/thị trấn mã này"),
        (4, "Tên ấp/khu phố", None, "thiếu tên ấp/khu phố"),
        (5, "Tên ấp/khu phố", "khu pho 1", "trùng với dòng 2"),
        (6, "Mã ấp/khu phố", "a/b", "mã không hợp lệ"),
    ]


def test_the_templates_import_as_they_are(tien_giang: Unit, tmp_path: Path, settings: Any) -> None:
    settings.CAMPAIGN_TODAY = TREE_2023.isoformat()  # the example commune is in force
    for kind in ("hamlets", "organizations"):
        template = tmp_path / f"{kind}.xlsx"
        _run(kind, "--template", str(template))
        assert "thêm mới: " in _run(kind, str(template))
    assert sorted(u.name for u in _hamlets().values()) == ["Khu phố 2", "Ấp Tân Hòa"]
    police = Unit.objects.get(code="28249-CA")
    assert (police.kind, police.type, police.level) == (
        Kind.ORGANIZATION,
        UnitType.POLICE,
        Level.COMMUNE,
    )


def test_organizations_through_the_pipeline_report_every_problem_of_a_row(
    tien_giang: Unit, write_file: Callable[..., Path]
) -> None:
    assert "Tổ chức thêm mới: 4" in _run("organizations", str(write_file("tc.csv", ORGS)), *ON_2023)
    path = write_file(
        "tc-loi.csv",
        "Mã đơn vị,Tên đơn vị,Loại,Cấp,Mã đơn vị hành chính\n"
        "X-1,,hợp tác xã,thôn,00000\n82-CA,Công an tỉnh,Công an,tỉnh,82\n",
    )
    with pytest.raises(CommandError):
        _run("organizations", str(path), *ON_2023)
    assert [row[:2] for row in _error_cells(default_errors_path(path))] == [
        (2, "Tên đơn vị"),
        (2, "Loại"),
        (2, "Cấp"),
        (2, "Mã đơn vị hành chính"),
    ]


def test_an_officer_imports_hamlets_of_their_own_commune_on_the_web(
    tien_giang: Unit, make_user: Callable[..., Any], tmp_path: Path, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    settings.CAMPAIGN_TODAY = TREE_2023.isoformat()
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    assert {"hamlets", "organizations"} <= set(dict(import_kinds.kind_choices(officer)))
    assert not import_kinds.has_personal_data("hamlets")
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("imports:home")).content.decode()
    assert 'value="hamlets"' in page and 'value="organizations"' in page
    template = client.get(reverse("imports:template", args=["hamlets"]))
    assert template.status_code == 200
    example = list(openpyxl.load_workbook(io.BytesIO(template.content)).worksheets[0].values)
    assert example[1][0] == COMMUNE_A  # the officer's own commune

    # A row of another commune refuses the file, and nothing is written.
    other = f"Mã xã,Tên ấp/khu phố\n{COMMUNE_A},Khu phố 1\n{COMMUNE_B},Ấp Khác\n"
    job = job_upload(
        acting_user=officer, kind="hamlets", file_name="ap.csv", chunks=[other.encode()]
    )
    assert job.state == JobState.CHECKED
    assert [(e["row"], e["problem"]) for e in job.check_report["errors"]] == [
        (3, "xã này ngoài phạm vi các đơn vị của bạn")
    ]
    job = job_confirm(acting_user=officer, job=job)
    assert job.state == JobState.FAILED and not _hamlets()

    own = f"Mã xã,Tên ấp/khu phố\n{COMMUNE_A},Khu phố 1\n{COMMUNE_A},Khu phố 2\n"
    job = job_upload(acting_user=officer, kind="hamlets", file_name="ap.csv", chunks=[own.encode()])
    assert job.check_report["counts"]["created"] == 2 and not _hamlets()
    job = job_confirm(acting_user=officer, job=job)
    assert job.state == JobState.DONE, job.message
    hamlets = _hamlets()
    assert {h.parent.code for h in hamlets.values()} == {COMMUNE_A}
    change = ObjectChange.objects.filter(object_id=str(hamlets["Khu phố 1"].pk)).get()
    assert change.user == officer


def test_an_earlier_tree_s_commune_code_lands_on_the_commune_it_became(
    split: Split, write_file: Callable[..., Path]
) -> None:
    """On today's tree, Xã Đạo Thạnh (28282) and Phường 4 (28252) of 2023 are part of
    Phường Đạo Thạnh (which took the code 28249 of Phường 5): their hamlets land there,
    as one list (one "Khu phố 1" only); Gáo Giồng,
    split between two new communes, is refused with what to write instead; so is a
    district after the reform, for an organization."""
    tree = ["--tree", TODAY_TREE.isoformat()]
    old = Unit.objects.get(code="28282")
    new = unit_in_tree(old, TODAY_TREE).unit
    assert new is not None and new.valid_from is not None
    assert new == unit_in_tree(Unit.objects.get(code="28252"), TODAY_TREE).unit

    clash = write_file("ap-trung.csv", "Mã xã,Tên ấp/khu phố\n28282,Khu phố 1\n28252,Khu phố 1\n")
    with pytest.raises(CommandError):
        _run("hamlets", str(clash), *tree)
    assert _error_cells(default_errors_path(clash)) == [
        (3, "Tên ấp/khu phố", "Khu phố 1", "trùng với dòng 2")
    ]

    path = write_file(
        "ap.csv", f"Mã xã,Tên ấp/khu phố\n28282,Khu phố 1\n28252,Khu phố 9\n{new.gso_code},Ấp 3\n"
    )
    said = _run("hamlets", str(path), *tree)
    assert "số dòng mang mã đơn vị cũ được quy đổi: 2" in said
    assert "28282 Xã Đạo Thạnh → 28249 Phường Đạo Thạnh: 1 dòng" in said
    landed = Unit.objects.filter(parent=new, level=Level.HAMLET)
    assert sorted(h.name for h in landed) == ["Khu phố 1", "Khu phố 9", "Ấp 3"]
    assert all(h.code.endswith(new.tree_suffix) and h.valid_to is None for h in landed)

    split_file = write_file("ap-chia.csv", f"Mã xã,Tên ấp/khu phố\n{GAO_GIONG},Ấp 9\n")
    with pytest.raises(CommandError):
        _run("hamlets", str(split_file), *tree)
    ((row, column, value, problem),) = _error_cells(default_errors_path(split_file))
    assert (row, column, value) == (2, "Mã xã", GAO_GIONG)
    assert "đã được chia cho nhiều xã mới" in problem and "ghi mã xã/phường mới" in problem

    org = write_file(
        "tc.csv",
        "Mã đơn vị,Tên đơn vị,Loại,Cấp,Mã đơn vị hành chính\nMT-CA,Công an,Công an,huyện,815\n",
    )
    with pytest.raises(CommandError):
        _run("organizations", str(org), *tree)
    ((_, column, _, problem),) = _error_cells(default_errors_path(org))
    assert column == "Mã đơn vị hành chính" and "không còn cấp huyện" in problem
