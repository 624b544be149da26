"""`chiendich import citizens`: summary, exit codes, dry run, error file, template."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command, execute_from_command_line

from chiendich.units.models import Unit
from chiendich.vneid.models import Citizen, ImportBatch

pytestmark = pytest.mark.django_db

HEADER = "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Trạng thái,Ngày cập nhật"
GOOD = "082095000123,Nguyễn Văn An,15/03/1995,Nam,28249,Đã kích hoạt mức 2,01/09/2023"
BAD = "082095000124,Nguyễn Văn Ba,15/03/1996,Nam,28249,,"

WriteFile = Callable[..., Path]


def run(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_summary_in_vietnamese(tien_giang: Unit, write_file: WriteFile) -> None:
    path = write_file(
        "ds.csv", "\n".join([HEADER, GOOD, BAD, "82095000125,C,1/1/1995,Nam,28249,,"])
    )
    out = run("citizens", str(path))
    assert out.splitlines() == [
        "Tệp ds.csv",
        "Số dòng đã đọc: 3; hợp lệ: 2; bị từ chối: 1",
        "Công dân thêm mới: 2; cập nhật: 0; không đổi: 0",
        "Sự kiện trạng thái tài khoản thêm: 1; hộ gia đình thêm mới: 0",
        "Số định danh được thêm lại số 0 ở đầu: 1",
        f"Tệp lỗi: {path.with_name('ds-loi.xlsx')} (1 lỗi)",
    ]
    assert Citizen.objects.count() == 2


def test_dry_run_and_errors_option(tien_giang: Unit, write_file: WriteFile, tmp_path: Path) -> None:
    path = write_file("ds.csv", "\n".join([HEADER, GOOD, BAD]))
    errors = tmp_path / "bao-cao" / "loi.xlsx"
    out = run("citizens", str(path), "--dry-run", "--errors", str(errors))
    assert "chạy thử, không ghi gì" in out
    assert "Công dân sẽ thêm mới: 1" in out
    assert f"Tệp lỗi: {errors} (1 lỗi)" in out
    assert Citizen.objects.count() == 0
    rows = list(openpyxl.load_workbook(errors).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[1][:2] == (3, "Ngày sinh")


def test_every_row_rejected_exits_non_zero(tien_giang: Unit, write_file: WriteFile) -> None:
    path = write_file("ds.csv", "\n".join([HEADER, BAD]))
    with pytest.raises(CommandError, match="Không có dòng hợp lệ nào"):
        run("citizens", str(path))
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["chiendich", "import", "citizens", str(path)])
    assert exit_info.value.code == 1


def test_an_empty_list_exits_non_zero(tien_giang: Unit, write_file: WriteFile) -> None:
    with pytest.raises(CommandError, match="Không có dòng hợp lệ nào"):
        run("citizens", str(write_file("rong.csv", HEADER + "\n")))


def test_an_unreadable_file_exits_non_zero(
    tien_giang: Unit, write_file: WriteFile, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="không mở được tệp"):
        run("citizens", str(tmp_path / "khong-co.csv"))
    with pytest.raises(CommandError, match="dòng 1: thiếu cột “Giới tính”"):
        run(
            "citizens", str(write_file("x.csv", "Số định danh cá nhân,Họ và tên,Ngày sinh,Mã xã\n"))
        )
    latin = write_file("latin.csv", HEADER + "\n" + GOOD + "\n", encoding="utf-16")
    with pytest.raises(CommandError, match="không phải UTF-8"):
        run("citizens", str(latin))
    with pytest.raises(CommandError, match="không phải Excel"):
        run("citizens", str(write_file("gia.xlsx", "không phải excel")))
    assert Citizen.objects.count() == 0


def test_template(tmp_path: Path) -> None:
    out = tmp_path / "mau.xlsx"
    assert run("citizens", "--template", str(out)).strip() == f"Đã ghi tệp mẫu {out}"
    sheet = openpyxl.load_workbook(out)["Danh sách"]
    assert [c.value for c in sheet[1]] == [
        "Số định danh cá nhân",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Mã xã",
        "Ấp/Khu phố",
        "Mã hộ",
        "Họ tên chủ hộ",  # optional household columns the door-to-door worklist reads
        "Địa chỉ",
        "Số điện thoại",
        "Trạng thái",
        "Ngày cập nhật",
    ]
    assert sheet["A2"].value == "082095000123"  # text, leading zero kept


def test_a_file_is_needed_unless_writing_the_template() -> None:
    with pytest.raises(CommandError, match="Cần tên tệp"):
        run("citizens")


def test_apps_register_more_kinds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    command = importlib.import_module("chiendich.core.management.commands.import")
    assert command.import_kinds()["citizens"].service == "chiendich.vneid.importing.citizens_import"
    config = apps.get_app_config("vneid")
    monkeypatch.setattr(
        config,
        "import_kinds",
        {
            "households": {
                "service": "x.y",
                "template": "chiendich.vneid.importing.citizen_template_xlsx",
            }
        },
        raising=False,
    )
    assert run("households", "--template", str(tmp_path / "h.xlsx")).startswith("Đã ghi tệp mẫu")


def test_options_may_come_before_the_file(tien_giang, write_file) -> None:
    from io import StringIO

    from django.core.management import call_command

    from chiendich.vneid.models import Citizen

    path = write_file(
        "ds.csv",
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã\n082090000001,Nguyễn Văn A,01/01/1990,Nam,28249\n",
    )
    out = StringIO()
    call_command("import", "citizens", "--dry-run", str(path), stdout=out)
    assert "Số dòng đã đọc: 1" in out.getvalue() and not Citizen.objects.exists()
