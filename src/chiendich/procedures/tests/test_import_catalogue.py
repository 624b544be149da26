"""The procedure catalogue as a kind of the import pipeline (`chiendich import catalogue`):
a declaration only. It reads what the catalogue load reads, refuses what it refuses
(the same errors by row and column), writes whole or nothing, and appears in the CLI
and on the web import page with its template."""

from __future__ import annotations

import dataclasses
import functools
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from chiendich.accounts.models import AuditEvent, User
from chiendich.core.frames import table_frames
from chiendich.core.tabular import TabularError
from chiendich.imports import kinds as import_kinds
from chiendich.imports import pipeline
from chiendich.imports.models import ImportJob, JobState
from chiendich.imports.services import job_confirm, job_upload
from chiendich.procedures.catalogue import DEMO_CATALOGUE, catalogue_load
from chiendich.procedures.importing.catalogue import (
    CATALOGUE_KIND,
    catalogue_import,
    catalogue_template_xlsx,
)
from chiendich.procedures.models import Procedure

pytestmark = pytest.mark.django_db

HEADER = (
    'Mã TTHC,Tên thủ tục,Lĩnh vực,Cấp thực hiện,"Có phí, lệ phí",Có kết quả giấy,'
    "Mức độ DVC trực tuyến,DVC thiết yếu Đề án 06,Thuộc ngành Công an"
)
BAD_ROWS = [
    "T.1,Thủ tục một,Hộ tịch,Xã,0,1,Toàn trình,1,0",
    ",Không mã,Hộ tịch,Xã,0,1,Toàn trình,0,0",  # no code
    "T.1,Trùng mã,Hộ tịch,Tỉnh,0,1,Không,0,0",  # the code of row 2 again
    "T.3,,Hộ tịch,Thôn,2,1,Mức 9,0,0",  # no name, a bad level, flag and online level
    "T.4,Thủ tục bốn,Hộ tịch,Huyện,có,không,Một phần,0,0",
]


def _stored() -> list[tuple[Any, ...]]:
    return sorted(
        Procedure.objects.values_list(
            "code",
            "name",
            "sector",
            "levels",
            "fee_bearing",
            "paper_result",
            "online_level",
            "essential_06",
            "police_service",
            "uncertain",
            "note",
        )
    )


def _write(tmp_path: Path, rows: list[str], name: str = "danh-muc.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_demo_catalogue_imports_as_the_catalogue_load_loads_it(tmp_path: Path) -> None:
    catalogue_load(DEMO_CATALOGUE)
    loaded = _stored()
    Procedure.objects.all().delete()

    report = catalogue_import(DEMO_CATALOGUE, errors_path=tmp_path / "loi.xlsx")

    assert _stored() == loaded
    assert report.created == len(loaded) == report.rows_valid == report.rows_read
    assert (report.rows_rejected, report.error_file, report.all_rejected) == (0, None, False)
    assert report.flags["essential_06"] == 25 and report.flags["police_essential"] == 11
    # The reference load recorded one event, the import another.
    events = AuditEvent.objects.filter(type=AuditEvent.Type.PROCEDURES_LOADED).order_by("pk")
    assert events.count() == 2
    event = events.last()
    assert event is not None
    assert (event.detail["file"], event.detail["created"]) == (DEMO_CATALOGUE.name, len(loaded))

    again = catalogue_import(DEMO_CATALOGUE, errors_path=tmp_path / "loi.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(loaded))
    assert _stored() == loaded


def test_a_bad_row_refuses_the_file_with_the_catalogue_loads_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD_ROWS)
    with pytest.raises(TabularError) as refused:
        catalogue_load(path)

    report = catalogue_import(path, errors_path=tmp_path / "loi.xlsx")

    # The same errors, by row and column, in the same order, as the reference load.
    assert report.errors == refused.value.errors
    assert [(e.row, e.column) for e in report.errors][:3] == [
        (3, "Mã TTHC"),
        (4, "Mã TTHC"),
        (5, "Tên thủ tục"),
    ]
    assert report.errors[1].problem == "trùng mã với dòng 2"
    # Whole or nothing: two rows are valid, none is written.
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (5, 2, 3)
    assert report.all_rejected and report.refused_whole
    assert not Procedure.objects.exists()
    assert report.error_file == tmp_path / "loi.xlsx" and report.error_file.is_file()
    assert any("chỉ được nạp khi mọi dòng hợp lệ" in line for line in report.summary_lines())
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.PROCEDURES_LOADED).exists()


def test_repeated_codes_are_found_across_chunks(tmp_path: Path) -> None:
    one_row_frames = dataclasses.replace(
        CATALOGUE_KIND, reader=functools.partial(table_frames, rows=1)
    )
    path = _write(tmp_path, BAD_ROWS)
    report = pipeline.run(one_row_frames, path, errors_path=tmp_path / "loi.xlsx")
    whole = catalogue_import(path, errors_path=tmp_path / "loi-2.xlsx")
    assert report.errors == whole.errors
    assert report.errors[1].problem == "trùng mã với dòng 2"


def test_a_dry_run_counts_and_writes_nothing(tmp_path: Path) -> None:
    report = catalogue_import(_write(tmp_path, [BAD_ROWS[0]]), dry_run=True)
    assert (report.created, report.rows_valid, report.all_rejected) == (1, 1, False)
    assert not Procedure.objects.exists()
    assert report.summary_lines()[0].endswith("(chạy thử, không ghi gì vào cơ sở dữ liệu)")


def test_only_the_system_or_a_superuser_loads_the_catalogue(
    tmp_path: Path, tien_giang: Any, make_user: Any
) -> None:
    from chiendich.accounts.roles import Role

    officer = make_user(Role.AGENCY_FOCAL_POINT, tien_giang.code)
    path = _write(tmp_path, [BAD_ROWS[0]])
    with pytest.raises(TabularError, match="chỉ quản trị hệ thống"):
        catalogue_import(path, acting_user=officer)
    assert not Procedure.objects.exists()


def test_the_cli_imports_the_catalogue_and_writes_its_template(tmp_path: Path) -> None:
    template = tmp_path / "mau.xlsx"
    out = io.StringIO()
    call_command("import", "catalogue", "--template", str(template), stdout=out)
    # The template's own example rows import.
    call_command("import", "catalogue", str(template), stdout=out)
    assert Procedure.objects.count() == 2
    assert "Thủ tục thêm mới: 2" in out.getvalue()

    bad = _write(tmp_path, BAD_ROWS)
    with pytest.raises(CommandError, match="Tệp còn dòng lỗi"):
        call_command("import", "catalogue", str(bad), stdout=io.StringIO())
    assert Procedure.objects.count() == 2


def test_the_kind_is_on_the_web_import_page_with_its_template(
    tmp_path: Path, settings: Any
) -> None:
    from chiendich.imports.tests.conftest import IMMEDIATE

    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    admin = User.objects.create(username="quan-tri", is_superuser=True, is_staff=True)
    assert "catalogue" in dict(import_kinds.kind_choices())
    from django.utils.translation import override

    with override("en"):
        assert import_kinds.kind_label("catalogue") == "Catalogue of administrative procedures"
    with override("vi"):
        assert import_kinds.kind_label("catalogue") == "Danh mục thủ tục hành chính"
    assert not import_kinds.has_personal_data("catalogue")
    assert not import_kinds.kind_takes_tree("catalogue")
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("imports:home")).content.decode()
    assert 'value="catalogue"' in page
    response = client.get(reverse("imports:template", args=["catalogue"]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert next(sheet.iter_rows(values_only=True))[0] == "Mã TTHC"
    assert response.content[:2] == catalogue_template_xlsx()[:2]

    job = job_upload(
        acting_user=admin,
        kind="catalogue",
        file_name="danh-muc.csv",
        chunks=[DEMO_CATALOGUE.read_bytes()],
    )
    assert job.state == JobState.CHECKED and not Procedure.objects.exists()
    job = job_confirm(acting_user=admin, job=job)
    assert job.state == JobState.DONE
    assert Procedure.objects.count() == job.import_report["counts"]["created"] > 25
    assert ImportJob.objects.count() == 1


def test_the_kind_is_offered_only_to_those_who_may_load_it(tien_giang: Any, make_user: Any) -> None:
    """An officer's import page and API do not offer the province's catalogue (its
    check would refuse them anyway), nor its template; the other kinds stay."""
    from chiendich.accounts.roles import Role
    from chiendich.api.services import api_token_rotate

    officer = make_user(Role.PROVINCE_ADMIN, tien_giang.code)
    assert "catalogue" not in dict(import_kinds.kind_choices(officer))
    assert {"citizens", "dossiers", "staff"} <= set(dict(import_kinds.kind_choices(officer)))
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("imports:home")).content.decode()
    assert 'value="catalogue"' not in page and 'value="dossiers"' in page
    assert reverse("imports:template", args=["catalogue"]) not in page
    upload = io.BytesIO(DEMO_CATALOGUE.read_bytes())
    upload.name = "danh-muc.csv"
    response = client.post(reverse("imports:home"), {"kind": "catalogue", "file": upload})
    assert response.status_code == 200 and "catalogue" in response.context["form"].errors["kind"][0]
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token_rotate(user=officer)}")
    upload.seek(0)
    answer = api.post("/api/imports/", {"kind": "catalogue", "file": upload})
    assert answer.status_code == 400 and "kind" in answer.json()
    assert not ImportJob.objects.exists()
