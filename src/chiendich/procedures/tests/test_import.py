"""`chiendich import dossiers`: validation by row and column, error file, atomicity,
idempotence, updates of known dossiers, dry run, XLSX, scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from chiendich.accounts.models import AuditEvent, ObjectChange
from chiendich.accounts.roles import Role
from chiendich.core.tabular import TabularError
from chiendich.procedures import importing
from chiendich.procedures.importing import dossiers as import_module
from chiendich.procedures.importing import dossiers_import
from chiendich.procedures.models import Dossier, DossierCount, DossierImport
from chiendich.units.models import Unit

from .conftest import AGENCY, HEADERS, PHUONG, XA, dossier_row, write_csv

pytestmark = pytest.mark.django_db


def counts_snapshot() -> list[tuple[Any, ...]]:
    return sorted(
        DossierCount.objects.values_list(
            "unit__code",
            "day",
            "procedure__code",
            "received",
            "resolved",
            "closed",
            "became_overdue",
        )  # fmt: skip
    )


def test_every_problem_is_named_by_row_and_column_and_valid_rows_are_kept(
    agencies: dict[str, Unit], import_rows: Callable[..., Any], tmp_path: Path
) -> None:
    future = (timezone.localdate() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    report = import_rows(
        [
            dossier_row("OK1", XA, channel=2),  # row 2
            dossier_row("E1", XA, procedure="KHONG.CO"),  # 3: unknown procedure
            dossier_row("E2", "99999"),  # 4: unknown unit
            dossier_row(
                "E3", f"{XA}-01"
            ),  # 5: a hamlet cannot receive (no hamlets loaded: unknown)
            dossier_row("E4", XA, channel=5),  # 6
            dossier_row("E5", XA, received=future),  # 7
            dossier_row("E6", XA, status="Đã giải quyết"),  # 8: resolved without an end date
            dossier_row("E7", XA, finished="06/09/2023"),  # 9: open with an end date
            dossier_row("E8", XA, e_result=1),  # 10: electronic result of an open dossier
            dossier_row("E9", XA, procedure="T.FEE", fee=0, payment=1),  # 11
            dossier_row("OK1", XA),  # 12: repeated code
            dossier_row("E10", XA, procedure="T.PROV"),  # 13: province-only procedure
            dossier_row("E11", XA, fee=-5000),  # 14
            dossier_row("E12", XA, digitized=2),  # 15
            dossier_row(
                "E13", XA, status="Đã giải quyết", received="10/09/2023", finished="09/09/2023"
            ),  # 16
            dossier_row("E14", XA, status="Bay màu"),  # 17
            dossier_row("E15", XA, received="31/02/2023"),  # 18
            dossier_row("OK2", AGENCY, procedure="T.PROV"),  # 19
        ]
    )
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (18, 2, 16)
    assert report.created == 2
    assert set(Dossier.objects.values_list("code", flat=True)) == {"OK1", "OK2"}
    by_row = {(e.row, e.column): e.problem for e in report.errors}
    assert "chưa có trong danh mục" in by_row[(3, "Mã TTHC")]
    assert "không có đơn vị mã này" in by_row[(4, "Mã đơn vị")]
    assert "kênh phải là 1" in by_row[(6, "Kênh")]
    assert "tương lai" in by_row[(7, "Ngày tiếp nhận")]
    assert "phải có ngày kết thúc" in by_row[(8, "Ngày kết thúc")]
    assert "không có ngày kết thúc" in by_row[(9, "Ngày kết thúc")]
    assert "kết quả điện tử" in by_row[(10, "Có kết quả điện tử")]
    assert "phí, lệ phí bằng 0" in by_row[(11, "Thanh toán trực tuyến")]
    assert "trùng mã hồ sơ với dòng 2" in by_row[(12, "Mã hồ sơ")]
    assert "không thực hiện ở cấp" in by_row[(13, "Mã TTHC")]
    assert "không được âm" in by_row[(14, "Phí, lệ phí")]
    assert "1 (có) hoặc 0" in by_row[(15, "Có thành phần số hóa")]
    assert "trước ngày tiếp nhận" in by_row[(16, "Ngày kết thúc")]
    assert "trạng thái" in by_row[(17, "Trạng thái")]
    assert "không tồn tại" in by_row[(18, "Ngày tiếp nhận")]
    assert report.error_file is not None and report.error_file.exists()
    sheet = openpyxl.load_workbook(report.error_file).worksheets[0]
    assert [c.value for c in sheet[1]] == ["Dòng", "Cột", "Giá trị", "Lỗi"]
    assert sheet.max_row == 1 + report.error_count


def test_a_hamlet_cannot_receive_dossiers(
    agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    from chiendich.units.services import unit_upsert

    unit_upsert(
        code=f"{XA}-01", name="Ấp 1", unit_type="ap", level="hamlet",
        parent=Unit.objects.get(code=XA),
    )  # fmt: skip
    report = import_rows([dossier_row("H1", f"{XA}-01")])
    assert report.rows_valid == 0
    assert "ấp, khu phố không tiếp nhận" in report.errors[0].problem


def test_the_same_file_twice_changes_nothing(
    agencies: dict[str, Unit], catalogue: None, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "ho-so.csv",
        [
            dossier_row("A1", XA, channel=2, due="10/09/2023"),
            dossier_row("A2", XA, status="Đã giải quyết", finished="07/09/2023", e_result=1),
        ],
    )
    first = dossiers_import(path)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    counts, changes = counts_snapshot(), ObjectChange.objects.count()
    again = dossiers_import(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.count_rows == 0  # nothing touched, nothing recounted
    assert counts_snapshot() == counts
    assert Dossier.objects.count() == 2
    assert ObjectChange.objects.count() == changes


def test_a_changed_status_and_end_date_update_the_dossier_and_its_counts(
    agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows([dossier_row("A1", XA, due="10/09/2023")])
    assert DossierCount.objects.filter(became_overdue__gt=0).count() == 1  # open after 10/9
    report = import_rows(
        [dossier_row("A1", XA, due="10/09/2023", status="Đã trả kết quả", finished="12/09/2023")]
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    dossier = Dossier.objects.get(code="A1")
    assert (dossier.status, dossier.finished_on) == ("resolved", dt.date(2023, 9, 12))
    assert dossier.overdue_on == dt.date(2023, 9, 11)  # finished after its due date
    day = DossierCount.objects.get(day=dt.date(2023, 9, 12))
    assert (day.resolved, day.finished, day.closed, day.closed_late) == (1, 1, 1, 1)
    # Finished on time after all: the overdue day disappears from the counts.
    import_rows(
        [dossier_row("A1", XA, due="10/09/2023", status="Đã trả kết quả", finished="09/09/2023")]
    )
    assert not DossierCount.objects.filter(became_overdue__gt=0).exists()
    assert not DossierCount.objects.filter(day=dt.date(2023, 9, 12)).exists()
    assert DossierCount.objects.get(day=dt.date(2023, 9, 9)).finished_on_time == 1


def test_a_failure_while_writing_leaves_nothing(
    agencies: dict[str, Unit], import_rows: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import_rows([dossier_row("KEEP", XA)])
    before = (Dossier.objects.count(), DossierImport.objects.count(), AuditEvent.objects.count())
    counts = counts_snapshot()

    def broken(**_: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_module, "counts_rebuild", broken)
    with pytest.raises(RuntimeError):
        import_rows([dossier_row("NEW", XA), dossier_row("KEEP", XA, channel=2)])
    after = (Dossier.objects.count(), DossierImport.objects.count(), AuditEvent.objects.count())
    assert after == before
    assert Dossier.objects.get(code="KEEP").channel == 1
    assert counts_snapshot() == counts


def test_a_missing_column_refuses_the_file_before_anything(
    agencies: dict[str, Unit], catalogue: None, tmp_path: Path
) -> None:
    headers = [h for h in HEADERS if h != "Có thành phần số hóa"]
    path = write_csv(
        tmp_path / "thieu-cot.csv", [dossier_row("A1", XA)[:8] + [0, 0, 0, 0]], headers
    )
    with pytest.raises(TabularError) as exc:
        dossiers_import(path)
    assert "Có thành phần số hóa" in str(exc.value)
    assert not Dossier.objects.exists() and not DossierImport.objects.exists()


def test_dry_run_writes_no_dossier(
    agencies: dict[str, Unit], import_rows: Callable[..., Any]
) -> None:
    import_rows([dossier_row("A1", XA)])
    report = import_rows([dossier_row("A1", XA, channel=2), dossier_row("A2", XA)], dry_run=True)
    assert (report.created, report.updated) == (1, 1)
    assert Dossier.objects.count() == 1 and Dossier.objects.get().channel == 1
    assert DossierImport.objects.count() == 1  # the real run's; the dry run wrote none


def excel_time(*parts: int) -> dt.datetime:
    """A date cell as Excel stores it: a local time without a time zone."""
    return dt.datetime.combine(dt.date(*parts[:3]), dt.time(*parts[3:]))


def test_xlsx_with_headers_written_differently(
    agencies: dict[str, Unit], catalogue: None, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    # No diacritics, other case, extra spaces: the same columns.
    sheet.append(
        ["ma ho so", "MÃ TTHC", "Mã  đơn vị", " Kênh ", "ngay tiep nhan", "Ngày hẹn trả",
         "Ngày kết thúc", "trang thai", "Có thành phần số hóa", "Có kết quả điện tử",
         "phi, le phi", "Thanh toán trực tuyến", "Tái sử dụng dữ liệu"]
    )  # fmt: skip
    sheet.append(
        ["X1", "T.FEE", int(XA), 2, excel_time(2023, 9, 5, 8, 30), excel_time(2023, 9, 8),
         excel_time(2023, 9, 7), "đã giải quyết", 1, 1, 50000, 1, 0]
    )  # fmt: skip
    path = tmp_path / "ho-so.xlsx"
    book.save(path)
    report = dossiers_import(path)
    assert (report.created, report.rows_rejected) == (1, 0), report.errors
    dossier = Dossier.objects.get(code="X1")
    assert (dossier.received_on, dossier.fee, dossier.payment) == (dt.date(2023, 9, 5), 50000, 1)
    assert dossier.unit.code == XA


def test_a_user_imports_only_for_units_in_scope(
    agencies: dict[str, Unit], import_rows: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    officer = make_user(Role.COMMUNE_OFFICER, XA)
    report = import_rows([dossier_row("A1", XA), dossier_row("B1", PHUONG)], acting_user=officer)
    assert report.created == 1
    assert "không có đơn vị mã này" in report.errors[0].problem  # like a code that does not exist
    assert list(Dossier.objects.restrict(officer).values_list("code", flat=True)) == ["A1"]
    event = AuditEvent.objects.get(type=importing.AUDIT_DOSSIERS_IMPORTED)
    assert event.user == officer and event.detail["created"] == 1


def test_command_imports_and_writes_a_template(
    agencies: dict[str, Unit], catalogue: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "ho-so.csv", [dossier_row("A1", XA)])
    call_command("import", "dossiers", str(path))
    assert "thêm mới: 1" in capsys.readouterr().out
    bad = write_csv(tmp_path / "sai.csv", [dossier_row("A2", "99999")])
    with pytest.raises(CommandError, match="Không có dòng hợp lệ"):
        call_command("import", "dossiers", str(bad))
    template = tmp_path / "mau.xlsx"
    call_command("import", "dossiers", "--template", str(template))
    book = openpyxl.load_workbook(template)
    assert [c.value for c in book.worksheets[0][1]] == HEADERS
    # The template's example row passes the import's own checks (given its unit and procedure).
    assert book.worksheets[0]["B2"].value == "MP.TP.01"
