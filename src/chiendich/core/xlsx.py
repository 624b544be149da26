"""Import templates as officers open them in Excel: a data sheet whose columns are
text (so ID numbers, codes and phone numbers keep their leading zeros) with a
frozen, bold header row, and a "Hướng dẫn" sheet explaining each column."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

GUIDE_TITLE = "Hướng dẫn"


def template_workbook(
    title: str,
    headers: Sequence[str],
    examples: Sequence[Sequence[Any]],
    guide_headers: Sequence[str],
) -> tuple[Workbook, Worksheet]:
    """The data sheet filled with `headers` and `examples`, and the guide sheet with its
    header row; the caller appends the guide's rows and calls `template_bytes`."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = title
    sheet.append(list(headers))
    for row in examples:
        sheet.append(list(row))
    bold = Font(bold=True)
    for index, text in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = bold
        sheet.column_dimensions[letter].width = max(14, len(text) + 4)
        sheet.column_dimensions[letter].number_format = "@"
        for row_number in range(2, len(examples) + 2):
            sheet.cell(row=row_number, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(GUIDE_TITLE)
    guide.append(list(guide_headers))
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
    out = BytesIO()
    book.save(out)
    return out.getvalue()
