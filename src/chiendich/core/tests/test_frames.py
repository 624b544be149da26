"""core.frames reads a list as frames giving exactly the rows core.tabular.read_table gives."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest

from chiendich.core import frames
from chiendich.core.frames import frame_rows, table_frames
from chiendich.core.tabular import Row, TabularError, read_table

COLUMNS = {
    "code": ["Mã", "code"],
    "name": ["Họ và tên", "name"],
    "note": ["Ghi chú", "note"],
    "absent": ["Không có", "absent"],
}
REQUIRED = ["code", "name"]
KEYS = list(COLUMNS)


def via_frames(path: Path, rows: int = 3) -> list[Row]:
    return [
        row
        for frame in table_frames(path, COLUMNS, REQUIRED, rows=rows)
        for row in frame_rows(frame, KEYS)
    ]


def via_rows(path: Path) -> list[Row]:
    # read_table leaves out the columns a file lacks; frame_rows leaves out empty cells.
    return [
        Row(r.number, {k: v for k, v in r.values.items() if v}, r.problem)
        for r in read_table(path, COLUMNS, REQUIRED)
    ]


def test_python_whitespace_is_what_the_frames_collapse() -> None:
    spaces = "".join(chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) != " ")
    import re

    assert all(re.search(frames._OTHER_WHITESPACE, c) for c in spaces)
    assert not re.search(frames._OTHER_WHITESPACE, "a\u200bb")
    # polars (Rust's regex) finds the same cells to collapse.
    import polars as pl

    cells = [f"a{c}b" for c in spaces] + ["a  b", " a", "a ", "a\u200bb", "a b", "Việt Nam"]
    found = pl.Series(cells).str.contains(frames._MESSY_CELL.pattern).to_list()
    assert found == [" ".join(c.split()) != c for c in cells]


@pytest.mark.parametrize("rows", [1, 2, 3, 100])
def test_every_edge_of_a_csv_reads_as_read_csv_reads_it(tmp_path: Path, rows: int) -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    text = "\ufeff" + "\r\n".join(
        [
            "Mã,Họ và tên,Cột lạ,Ghi chú,Họ và tên",
            "1,An,x,,second name ignored",
            "",  # blank: skipped, counted
            ",,,,",  # every cell blank: skipped
            ",,  ,,",  # blank with spaces: skipped
            ",,lạ,,",  # only an unpicked cell: kept, every value empty
            f"2,{nfd},,  a\u00a0 b\t,",
            "3, Bình  An ,,x\u2003y,",
            '4,"Trần, Văn",,"dòng\nhai",',
            "5,cut",  # cut short
            "6,Ba\u200bn,,,",  # zero-width space: not whitespace, kept
            ",   ,,\u3000,",  # cells of whitespace only
            "7,Bảy,,,,extra,cells",
            '8,"unterminated',
        ]
    )
    path = tmp_path / "ds.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert via_frames(path, rows) == via_rows(path)


def test_a_semicolon_file_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "ds.csv"
    path.write_bytes("Mã;Họ và tên;Ghi chú\n1;An;a\n2;Bình;\n3;C;\n\n4;D;d\n".encode())
    assert via_frames(path, 2) == via_rows(path)
    assert [r.number for r in via_frames(path)] == [2, 3, 4, 6]


def test_errors_before_any_row_are_raised_at_once(tmp_path: Path) -> None:
    missing = tmp_path / "thieu.csv"
    missing.write_text("Mã,Ghi chú\n1,a\n", encoding="utf-8")
    with pytest.raises(TabularError, match="thiếu cột"):
        table_frames(missing, COLUMNS, REQUIRED)
    empty = tmp_path / "rong.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(TabularError) as by_rows:
        list(read_table(empty, COLUMNS, REQUIRED))
    with pytest.raises(TabularError) as by_frames:
        table_frames(empty, COLUMNS, REQUIRED)
    assert by_frames.value.errors == by_rows.value.errors
    with pytest.raises(TabularError, match="không mở được"):
        table_frames(tmp_path / "none.csv", COLUMNS, REQUIRED)


def test_a_file_not_utf8_raises_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "ds.csv"
    path.write_bytes(b"M\xc3\xa3,name\n" + b"1,a\n" * 10 + b"2,\xe0\xe1\n")
    with pytest.raises(TabularError, match="không phải UTF-8"):
        list(table_frames(path, COLUMNS, REQUIRED, rows=100))
    # Past the first block read: raised while the frames are read, after some were given.
    path.write_bytes(b"M\xc3\xa3,name\n" + b"1,a\n" * 100_000 + b"2,\xe0\xe1\n")
    given: list[object] = []
    with pytest.raises(TabularError, match="không phải UTF-8"):
        given.extend(table_frames(path, COLUMNS, REQUIRED, rows=1000))
    assert given


def test_xlsx_reads_as_read_xlsx_reads_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã", "Họ và tên", "Ghi chú"])
    sheet.append([82123456789, "An", None])
    sheet.append([None, None, None])
    sheet.append([2, "  Bình  ", 1.5])
    sheet.append(["3", "C"])
    path = tmp_path / "ds.xlsx"
    book.save(path)
    assert via_frames(path, 2) == via_rows(path)
    assert [r.number for r in via_frames(path)] == [2, 4, 5]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("cut", [False, True])
def test_the_fast_path_with_quoted_cells_reads_as_read_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str, cut: bool
) -> None:
    """Quoted cells holding the separator on whole lines (police lists' "Đã duyệt, chờ
    kích hoạt"), read in many small blocks: each block's own text goes to polars, and
    with a cut line the whole lines alone; both as read_csv reads the file."""
    monkeypatch.setattr(frames, "BLOCK_BYTES", 64)
    lines = ["Mã,Họ và tên,Ghi chú"]
    for n in range(1, 40):
        note = '"Đã duyệt, chờ kích hoạt"' if n % 3 else '"nói ""có"", rồi đi"'
        lines.append(f"{n},Người {n},{note}")
    if cut:
        lines.insert(20, "99,cut")
    path = tmp_path / "quoted.csv"
    path.write_text(newline.join(lines) + newline, encoding="utf-8", newline="")
    assert frames._plain_csv(path, COLUMNS, REQUIRED) is not None  # the fast path
    got = via_frames(path, rows=7)
    assert got == via_rows(path)
    assert len(got) == 39 + cut
    assert got[1].values["note"] == "Đã duyệt, chờ kích hoạt"
