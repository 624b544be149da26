"""Reading CSV and XLSX the way officers save them, and writing error files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from chiendich.core.tabular import (
    Row,
    RowError,
    RowErrorLog,
    TabularError,
    cell_text,
    read_csv,
    read_table,
    table_row_estimate,
    write_error_file,
)

COLUMNS = {
    "code": ["Mã xã", "commune_code"],
    "name": ["Tên ấp/khu phố", "Ấp/Khu phố"],
    "note": ["Ghi chú"],
    "commune_name": ["Xã/Phường/Thị trấn"],
}
WriteFile = Callable[..., Path]


def rows(path: Path, required: list[str | tuple[str, ...]] | None = None) -> list[Row]:
    return list(read_table(path, COLUMNS, required or ["code", "name"]))


def test_csv_with_and_without_bom_and_folded_headers(write_file: WriteFile) -> None:
    for text in (
        "\ufeffMã xã,Tên ấp/khu phố\n28249,Khu phố 1\n",
        "ma xa,  TEN AP / KHU PHO\n28249,Khu phố 1\n",
    ):
        assert rows(write_file("a.csv", text)) == [Row(2, {"code": "28249", "name": "Khu phố 1"})]


def test_semicolons_as_excel_writes_them_under_a_vietnamese_locale(write_file: WriteFile) -> None:
    path = write_file("a.csv", "Mã xã;Ấp/Khu phố;Ghi chú\n28249;Khu phố 1;có dấu, phẩy\n")
    assert rows(path)[0].values == {"code": "28249", "name": "Khu phố 1", "note": "có dấu, phẩy"}


def test_cells_are_cleaned_to_nfc_single_spaced_text(write_file: WriteFile) -> None:
    decomposed = "Khu pho\u0302\u0301  1"  # "phố" typed with combining marks, two spaces
    path = write_file("a.csv", f"Mã xã,Tên ấp/khu phố,Ghi chú\n 28249 ,{decomposed},\u00a0x\tb\n")
    assert rows(path)[0].values == {"code": "28249", "name": "Khu phố 1", "note": "x b"}


def test_blank_rows_are_skipped_and_numbered_rows_keep_their_place(write_file: WriteFile) -> None:
    path = write_file("a.csv", "Mã xã,Tên ấp/khu phố\n28249,A\n,\n\n28249,B\n")
    assert [(r.number, r.get("name")) for r in rows(path)] == [(2, "A"), (5, "B")]


def test_a_quoted_newline_stays_in_its_cell_and_rows_count_records(write_file: WriteFile) -> None:
    path = write_file("a.csv", 'Mã xã,Tên ấp/khu phố\n28249,"Khu\nphố 1"\n28249,B\n')
    assert [(r.number, r.get("name")) for r in rows(path)] == [(2, "Khu phố 1"), (3, "B")]


def test_missing_columns_are_one_error_on_row_1(write_file: WriteFile) -> None:
    path = write_file("a.csv", "Ghi chú\nx\n")
    with pytest.raises(TabularError) as info:
        rows(path, ["code", "name", ("code", "commune_name")])
    assert [str(e) for e in info.value.errors] == [
        "a.csv, dòng 1: thiếu cột “Mã xã”, “Tên ấp/khu phố”, “Mã xã” hoặc “Xã/Phường/Thị trấn”"
    ]
    # one of a group is enough
    ok = write_file("b.csv", "Xã/Phường/Thị trấn\nPhường 5\n")
    assert rows(ok, [("code", "commune_name")])[0].values == {"commune_name": "Phường 5"}


def test_a_short_row_and_an_unterminated_quote_are_flagged_not_fatal(write_file: WriteFile) -> None:
    path = write_file("a.csv", 'Mã xã,Tên ấp/khu phố,Ghi chú\n28249,A,x\n28249,B\n28249,"C')
    found = rows(path)
    assert [(r.number, r.problem) for r in found] == [
        (2, ""),
        (3, "dòng bị cắt: có 2 ô, dòng tiêu đề có 3 cột"),
        (4, "dòng bị cắt: dấu ngoặc kép mở mà không đóng (tệp bị cắt giữa chừng?)"),
    ]
    assert found[1].values == {"code": "28249", "name": "B"}


def test_a_file_that_is_not_utf8(write_file: WriteFile) -> None:
    path = write_file("a.csv", "Mã xã,Tên ấp/khu phố\n28249,Ấp Đạo\n", encoding="utf-16")
    with pytest.raises(TabularError, match="không phải UTF-8"):
        rows(path)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TabularError, match="không mở được tệp"):
        rows(tmp_path / "x.csv")


def test_read_csv_keeps_its_old_signature(write_file: WriteFile) -> None:
    path = write_file("a.csv", "Mã xã,Tên ấp/khu phố\n28249,A\n")
    assert list(read_csv(path, COLUMNS, ["code"])) == [Row(2, {"code": "28249", "name": "A"})]


def test_xlsx_cells_become_text_like_csv_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã xã", "Tên ấp/khu phố", "Ghi chú"])
    sheet.append([28249, "Khu  phố 1", dt.datetime(2023, 9, 1)])  # noqa: DTZ001 - Excel is naive
    sheet.append([28249.0, "B"])  # trailing cells omitted: not a cut-off row in XLSX
    sheet.append([None, None, None])
    sheet.append([28249, "C", 1.5])
    path = tmp_path / "a.xlsx"
    book.save(path)
    assert rows(path) == [
        Row(2, {"code": "28249", "name": "Khu phố 1", "note": "2023-09-01"}),
        Row(3, {"code": "28249", "name": "B", "note": ""}),
        Row(5, {"code": "28249", "name": "C", "note": "1.5"}),
    ]
    assert table_row_estimate(path) == 4


def test_not_an_xlsx(write_file: WriteFile) -> None:
    with pytest.raises(TabularError, match="không phải Excel"):
        rows(write_file("a.xlsx", "Mã xã\n"))
    with pytest.raises(TabularError, match=r"\.xls \(Excel 97-2003\) không được hỗ trợ"):
        rows(write_file("a.xls", "Mã xã\n"))


def damaged_xlsx(tmp_path: Path, part: str, rows_before: int = 3) -> Path:
    """An xlsx whose `part` is cut in half (bad XML inside a good zip), as a crashed
    save or a broken converter leaves it."""
    import zipfile

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã xã", "Tên ấp/khu phố"])
    for i in range(200):
        sheet.append([28249, f"Ấp {i}"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    path = tmp_path / "Danh sach.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            out.writestr(info, data[: len(data) // 2] if info.filename == part else data)
    return path


def test_bad_xml_inside_an_xlsx_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    # The sheet itself: parsed as rows are read, so the error comes mid-file, at the
    # first row that cannot be read, after the good ones.
    path = damaged_xlsx(tmp_path, "xl/worksheets/sheet1.xml")
    read: list[Row] = []
    with pytest.raises(TabularError) as raised:
        read.extend(read_table(path, COLUMNS, ["code", "name"]))
    (error,) = raised.value.errors
    assert error.file == "Danh sach.xlsx" and error.row == len(read) + 2 > 2
    assert "tệp Excel bị hỏng" in str(raised.value) and "Danh sach.xlsx" in str(raised.value)
    # A part read on opening (styles, the workbook): the same message, on row 0.
    for part in ("xl/styles.xml", "xl/workbook.xml"):
        with pytest.raises(TabularError, match="Danh sach.xlsx, dòng 0: tệp Excel bị hỏng"):
            rows(damaged_xlsx(tmp_path, part))


def test_cell_text() -> None:
    assert cell_text(82123456789) == "82123456789"
    assert cell_text(82123456789.0) == "82123456789"
    assert cell_text(dt.datetime(2023, 9, 1, 8, 30)) == "2023-09-01 08:30:00"  # noqa: DTZ001
    assert cell_text(dt.date(2023, 9, 1)) == "2023-09-01"
    assert cell_text(None) == ""
    assert cell_text("  a \n b ") == "a b"


def test_row_estimate_for_csv(write_file: WriteFile, tmp_path: Path) -> None:
    assert table_row_estimate(write_file("a.csv", "h\n1\n2\n3\n")) == 3
    assert table_row_estimate(write_file("b.csv", "h\n1\n2\n3")) == 3
    big = tmp_path / "big.csv"
    big.write_text("h\n" + "1234567\n" * 300_000)
    assert 290_000 < (table_row_estimate(big) or 0) < 310_000
    assert table_row_estimate(tmp_path / "none.csv") is None


def test_error_file(tmp_path: Path) -> None:
    errors = [
        RowError("a.csv", 3, "Số định danh cá nhân", "082095000123", "trùng với dòng 2"),
        RowError("a.csv", 4, "", "", "dòng bị cắt"),
        RowError("a.csv", 5, "Họ và tên", '=HYPERLINK("x")', "ký tự lạ \x07"),
    ]
    path = tmp_path / "out" / "loi.xlsx"
    assert write_error_file(errors, path) == 3
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Dòng", "Cột", "Giá trị", "Lỗi"],
        [3, "Số định danh cá nhân", "082095000123", "trùng với dòng 2"],
        [4, None, None, "dòng bị cắt"],
        [5, "Họ và tên", '=HYPERLINK("x")', "ký tự lạ "],
    ]
    assert sheet["C4"].data_type == "s"  # text, not a formula


def test_error_log_spools_past_what_it_keeps(tmp_path: Path) -> None:
    log = RowErrorLog(keep=2)
    for n in range(5):
        log.add(RowError("a.csv", n + 2, "Cột", str(n), "lỗi"))
    assert len(log) == 5
    assert [e.row for e in log.first] == [2, 3]
    assert [e.row for e in log] == [2, 3, 4, 5, 6]
    assert [e.value for e in log] == ["0", "1", "2", "3", "4"]  # iterating twice works
    log.close()
