"""The check of an upload (a dry run) writes nothing, for every kind the web imports;
and a damaged XLSX is a clear error naming the file, never an unexpected one."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from chiendich.imports.kinds import kind_service, kinds
from chiendich.imports.models import JobState
from chiendich.procedures.catalogue import catalogue_load
from chiendich.procedures.tests.conftest import CATALOGUE, XA, dossier_row, write_csv
from chiendich.results.catalogue import result_types_load
from chiendich.results.tests.test_import import rows_ok, write_zip
from chiendich.units.models import Kind, Level, Unit, UnitType
from chiendich.units.services import unit_upsert

from .conftest import GOOD_1, GOOD_3, police_csv, upload

pytestmark = pytest.mark.django_db


def _citizens(folder: Path) -> Path:
    path = folder / "ds-cong-an.csv"
    path.write_bytes(police_csv(GOOD_1, GOOD_3))
    return path


def _dossiers(folder: Path) -> Path:
    (folder / "danh-muc.csv").write_text(CATALOGUE, encoding="utf-8")
    catalogue_load(folder / "danh-muc.csv")
    return write_csv(folder / "ho-so.csv", [dossier_row("A1", XA), dossier_row("A2", XA)])


def _staff(folder: Path) -> Path:
    unit_upsert(
        code="82-SGDDT",
        name="Sở Giáo dục và Đào tạo",
        unit_type=UnitType.DEPARTMENT,
        level=Level.PROVINCE,
        parent=Unit.objects.get(code="82"),
        kind=Kind.ORGANIZATION,
    )
    path = folder / "can-bo.csv"
    path.write_text(
        "Số định danh cá nhân,Họ và tên,Chức vụ,Đối tượng,Mã cơ quan\n"
        "082085000001,Nguyễn Văn A,Chuyên viên,Cán bộ,82-SGDDT\n",
        encoding="utf-8",
    )
    return path


def _results(folder: Path) -> Path:
    from chiendich.procedures.catalogue import DEMO_CATALOGUE

    catalogue_load(DEMO_CATALOGUE)
    result_types_load()
    return write_zip(folder / "lo.zip", rows_ok())


def _catalogue(folder: Path) -> Path:
    path = folder / "danh-muc.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    return path


def _hamlets(folder: Path) -> Path:
    from chiendich.units.tests.test_import import HAMLETS

    path = folder / "ap.csv"
    path.write_text(HAMLETS, encoding="utf-8")
    return path


def _organizations(folder: Path) -> Path:
    from chiendich.units.tests.test_import import ORGS

    path = folder / "to-chuc.csv"
    path.write_text(ORGS, encoding="utf-8")
    return path


FILES = {
    "citizens": _citizens,
    "dossiers": _dossiers,
    "staff": _staff,
    "results": _results,
    "catalogue": _catalogue,
    "hamlets": _hamlets,
    "organizations": _organizations,
}


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_every_kind_the_web_imports_is_covered() -> None:
    assert set(FILES) == set(kinds())


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_dry_run_writes_no_row_in_any_table(
    kind: str, tien_giang: Unit, tmp_path: Path, settings: Any
) -> None:
    settings.RESULTS_STORAGE_DIR = tmp_path / "kho"
    path = FILES[kind](tmp_path)
    before = _row_counts()
    report = kind_service(kind)(
        path, dry_run=True, acting_user=None, progress=None, errors_path=tmp_path / "loi.xlsx"
    )
    assert report.rows_read >= 1 and not report.error_count, report.errors
    after = _row_counts()
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == {}
    assert not (tmp_path / "loi.xlsx").exists()


def test_a_damaged_xlsx_upload_fails_with_a_message_naming_the_file(
    officer: Any, tmp_path: Path
) -> None:
    import openpyxl

    from .conftest import HEADER

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    for row in (GOOD_1, GOOD_3) * 100:
        sheet.append(row.split(","))
    good = tmp_path / "good.xlsx"
    book.save(good)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # bad XML: cut in the middle of a row
            out.writestr(info, data)
    job = upload(officer, damaged.read_bytes(), name="Danh sách ấp 3.xlsx")
    assert job.state == JobState.FAILED
    assert "Danh_sách_ấp_3.xlsx, dòng" in job.message and "tệp Excel bị hỏng" in job.message
    assert "unexpected" not in job.message
