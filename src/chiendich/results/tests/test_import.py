"""Bulk ingest from a zip or a folder with a metadata CSV: checked whole, refused whole
with an error file naming row and column, atomic, idempotent."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from chiendich.accounts.models import AuditEvent
from chiendich.conftest import COMMUNE_A, COMMUNE_B
from chiendich.results.importing import results_import
from chiendich.results.models import Result, ResultImport

from .conftest import CITIZEN, OTHER_CITIZEN, pdf_bytes, scan_bytes

pytestmark = pytest.mark.django_db

HEADER = [
    "Tệp",
    "Mã cơ quan ban hành",
    "Số ký hiệu",
    "Ngày ban hành",
    "Trích yếu",
    "Mã loại kết quả",
    "Mã TTHC",
    "Số định danh/Mã doanh nghiệp",
    "Họ tên/Tên tổ chức",
    "Hiệu lực đến",
    "Mã hồ sơ",
]


def rows_ok() -> list[list[str]]:
    return [
        [
            "a.pdf",
            COMMUNE_A,
            "1/TLKS",
            "05/09/2023",
            "Trích lục khai sinh",
            "TP.KS",
            "MP.TP.01",
            CITIZEN,
            "Nguyễn Văn An",
            "",
            "HS-1",
        ],
        [
            "sub/b.pdf",
            COMMUNE_A,
            "2/QĐ-UBND",
            "2023-09-06",
            "Quyết định giao đất",
            "TN.QD",
            "",
            OTHER_CITIZEN,
            "Trần Thị Bé",
            "",
            "HS-2",
        ],
        [
            "c.pdf",
            COMMUNE_B,
            "3/GCN",
            "07/09/2023",
            "Giấy chứng nhận đăng ký doanh nghiệp",
            "KH.DN",
            "",
            "1201234567",
            "Công ty TNHH Mỹ Tho",
            "",
            "",
        ],
    ]


FILES = {
    "a.pdf": pdf_bytes("TRÍCH LỤC KHAI SINH", "Họ và tên: Nguyễn Văn An"),
    "sub/b.pdf": pdf_bytes("QUYẾT ĐỊNH", "Về việc giao đất ở cho bà Trần Thị Bé"),
    "c.pdf": scan_bytes(3),
}


def write_zip(path: Path, rows: list[list[str]], files: dict[str, bytes] = FILES) -> Path:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(HEADER)
    writer.writerows(rows)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("danh-sach.csv", table.getvalue())
        for name, content in files.items():
            z.writestr(name, content)
    return path


def test_a_zip_is_stored_whole_and_again_is_a_no_op(
    catalogues: None, tmp_path: Path, results_dir: Path
) -> None:
    path = write_zip(tmp_path / "lo-1.zip", rows_ok())
    seen: list[int] = []
    report = results_import(path, progress=seen.append)
    assert (report.rows_read, report.created, report.error_count) == (3, 3, 0)
    assert report.scans == 1 and not report.all_rejected
    assert seen and seen[-1] == 6  # three rows checked, three written
    enterprise = Result.objects.get(number_symbol="3/GCN")
    assert enterprise.subject_kind == "enterprise" and enterprise.needs_review
    land = Result.objects.get(number_key="2/qd-ubnd")
    assert "giao dat o cho ba tran thi be" in land.search_text
    assert (results_dir / land.file_name).read_bytes() == FILES["sub/b.pdf"]
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RESULTS_IMPORTED).count() == 1
    again = results_import(path)
    assert (again.created, again.already_stored, again.error_count) == (0, 3, 0)
    assert Result.objects.count() == 3


def test_a_folder_works_like_a_zip(catalogues: None, tmp_path: Path) -> None:
    folder = tmp_path / "lo"
    (folder / "sub").mkdir(parents=True)
    for name, content in FILES.items():
        (folder / name).write_bytes(content)
    with (folder / "danh-sach.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows_ok()])
    call_command("results", "import", str(folder))
    assert Result.objects.count() == 3


def test_a_bad_row_refuses_the_batch_with_an_error_file(
    catalogues: None, tmp_path: Path, results_dir: Path
) -> None:
    rows = rows_ok()
    rows[1][3] = "31/02/2023"  # no such day
    rows[2][0] = "missing.pdf"
    rows.append(
        ["a.pdf", COMMUNE_A, "9/X", "05/09/2023", "Trùng tệp", "TP.KS", "", CITIZEN, "An", "", ""]
    )
    path = write_zip(tmp_path / "lo-2.zip", rows)
    report = results_import(path)
    assert report.all_rejected and report.created == 0
    assert Result.objects.count() == 0
    assert not list(results_dir.rglob("*.pdf"))
    problems = {(e.row, e.column) for e in report.errors}
    assert (3, "Ngày ban hành") in problems
    assert (4, "Tệp") in problems
    assert (5, "Tệp") in problems  # the same file as row 2
    assert report.error_file == tmp_path / "lo-2-loi.xlsx"
    sheet = openpyxl.load_workbook(report.error_file).active
    assert [c.value for c in sheet[1]] == ["Dòng", "Cột", "Giá trị", "Lỗi"]
    assert ResultImport.objects.get().status == ResultImport.Status.FAILED
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PERSONAL_DATA_EXPORTED).exists()
    with pytest.raises(CommandError):
        call_command("results", "import", str(path))


def test_a_file_already_stored_with_other_metadata_names_the_stored_result(
    catalogues: None, tmp_path: Path
) -> None:
    results_import(write_zip(tmp_path / "lo-1.zip", rows_ok()))
    stored = Result.objects.get(number_symbol="1/TLKS")
    rows = rows_ok()
    rows[0][2] = "1-bis/TLKS"
    report = results_import(write_zip(tmp_path / "lo-3.zip", rows))
    assert report.all_rejected
    message = next(e.problem for e in report.errors if e.row == 2)
    assert f"kết quả số {stored.pk}" in message and "1/TLKS" in message


def test_a_failure_while_writing_leaves_nothing(
    catalogues: None, tmp_path: Path, results_dir: Path, monkeypatch
) -> None:
    from chiendich.results import importing

    path = write_zip(tmp_path / "lo-1.zip", rows_ok())

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing.Result.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        results_import(path)
    assert Result.objects.count() == 0
    assert not list(results_dir.rglob("*.pdf"))
    assert ResultImport.objects.get().status == ResultImport.Status.FAILED


def test_optional_columns_may_be_left_out(catalogues: None, tmp_path: Path) -> None:
    table = "Tệp,Mã cơ quan ban hành,Số ký hiệu,Ngày ban hành,Trích yếu,Mã loại kết quả,"
    table += "Số định danh,Họ và tên\n"
    table += f"a.pdf,{COMMUNE_A},1/TLKS,05/09/2023,Trích lục khai sinh,TP.KS,{CITIZEN},An\n"
    path = tmp_path / "lo.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("danh-sach.csv", table)
        z.writestr("a.pdf", FILES["a.pdf"])
    report = results_import(path)
    assert report.created == 1, report.errors
    assert Result.objects.get().source_dossier_code == ""


def test_the_import_command_knows_results(catalogues: None, tmp_path: Path) -> None:
    call_command("import", "results", str(write_zip(tmp_path / "lo.zip", rows_ok())))
    assert Result.objects.count() == 3


def test_a_zip_uploaded_on_the_web_is_checked_then_stored_as_a_background_job(
    catalogues: None, tmp_path: Path, settings, make_user
) -> None:
    """The imports page offers digitized results: a zip, checked first, stored on confirm."""
    from chiendich.accounts.roles import Role
    from chiendich.imports.models import JobState
    from chiendich.imports.services import ImportJobError, job_confirm, job_upload

    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    officer = make_user(Role.COMMUNE_OFFICER, COMMUNE_A)
    with pytest.raises(ImportJobError, match="zip"):
        job_upload(acting_user=officer, kind="results", file_name="ds.csv", chunks=[b"x"])
    content = write_zip(tmp_path / "lo-web.zip", rows_ok()[:2]).read_bytes()
    job = job_upload(acting_user=officer, kind="results", file_name="lo-web.zip", chunks=[content])
    assert job.state == JobState.CHECKED, job.message
    assert job.check_report["counts"]["rows_read"] == 2 and job.check_report["error_count"] == 0
    assert not Result.objects.exists()  # the check writes nothing
    job = job_confirm(acting_user=officer, job=job)
    assert job.state == JobState.DONE, job.message
    assert set(Result.objects.values_list("number_symbol", flat=True)) == {"1/TLKS", "2/QĐ-UBND"}
    assert job.batch_type == "results.resultimport" and job.batch_id
