"""A report as an Excel workbook: a summary sheet, then one sheet per level of units.

Numbers are stored as numbers (rates as fractions with a percent format, so Excel and
LibreOffice compute with them), headers in Vietnamese, header rows frozen, totals
rows in bold, every sheet set up to print on A4 landscape, one page wide.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chiendich.core import xlsx

from .content import ReportContent, Table
from .document import Heading
from .labels import (
    SHEET_NAMES,
    column_label,
    constant_notes,
    document_value,
    row_header,
    row_name,
    table_title,
)

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
FORMATS = {"pct": "0.00%", "dec": "#,##0.00", "int": "#,##0", "bool": "0"}


def _value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "pct":
        return value / 100
    if kind == "bool":
        return _("met") if value else _("not met")
    return value


def _print_setup(sheet: Worksheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


def _write_table(sheet: Worksheet, row: int, table: Table, *, freeze: bool) -> int:
    """Write `table` from `row`; returns the next free row."""
    xlsx.put(sheet, row, 1, table_title(table.kind, table.level)).font = BOLD
    row += 1
    for note in constant_notes(table, document_value):
        xlsx.put(sheet, row, 1, note)
        row += 1
    show_parent = len({r.get("parent") for r in table.rows}) > 1
    columns = ["name", *(["parent"] if show_parent else []), *table.columns]
    for index, column in enumerate(columns, start=1):
        label = row_header(table.kind) if column == "name" else column_label(column, table.labels)
        cell = xlsx.put(sheet, row, index, label)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    if freeze:
        sheet.freeze_panes = sheet.cell(row=row + 1, column=2)
        sheet.print_title_rows = f"{row}:{row}"
    row += 1
    body = [*table.rows, *([table.total] if table.total else [])]
    for line_no, line in enumerate(body):
        is_total = table.total is not None and line_no == len(body) - 1
        for index, column in enumerate(columns, start=1):
            value = line.get(column)
            if is_total and column == "name":
                value = _("Total: %(unit)s") % {"unit": value}
            elif column == "name":
                value = row_name(line)
            kind = "text" if column in ("name", "parent") else table.kind_of(column, line)
            cell = xlsx.put(sheet, row, index, _value(kind, value))
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
            if is_total:
                cell.font = BOLD
        row += 1
    if not body:
        xlsx.put(sheet, row, 1, _("No rows."))
        row += 1
    return row + 1


def _widths(sheet: Worksheet) -> None:
    sheet.column_dimensions["A"].width = 34
    for index in range(2, sheet.max_column + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 15


def report_xlsx(heading: Heading, content: ReportContent) -> bytes:
    """The workbook's bytes."""
    book = openpyxl.Workbook()
    summary = book.active
    assert summary is not None  # noqa: S101 - a new workbook always has one sheet
    summary.title = _("Overview")[:31]
    lines = [
        (heading.issuer_upper, BOLD),
        (heading.issuer, BOLD),
        (heading.number, None),
        (heading.place_date, None),
        (heading.title, TITLE),
        (heading.subtitle, None),
        (heading.state_line, None),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = xlsx.put(summary, row, 1, text)
        if font is not None:
            cell.font = font
    row = len(lines) + 2
    row = _narrative(summary, row, heading)
    levels: dict[str, list[Table]] = {}
    for table in content.tables:
        if table.rows and table.kind not in ("tthc_indicators",):
            levels.setdefault(table.level, []).append(table)
        else:
            row = _write_table(summary, row, table, freeze=False)
    if content.trend and content.trend.get("dates"):
        row = _trend(summary, row, content.trend)
    row = _closing(summary, row, heading)
    _widths(summary)
    _print_setup(summary)
    for level, tables in levels.items():
        sheet = book.create_sheet(title=str(SHEET_NAMES.get(level, level))[:31])  # type: ignore[call-overload]
        at = 1
        for index, table in enumerate(tables):
            at = _write_table(sheet, at, table, freeze=index == 0)
        _widths(sheet)
        _print_setup(sheet)
    return xlsx.save(book)


NARRATIVE_COLUMNS = 8  # the text spans A:H, about the width of a printed page
CHARS_PER_LINE = 140


def _narrative(sheet: Worksheet, row: int, heading: Heading) -> int:
    """The narrative parts the unit wrote, each a bold heading and its text wrapped
    across the page's width; returns the next free row."""
    for title, text in heading.narrative:
        xlsx.put(sheet, row, 1, title).font = BOLD
        row += 1
        cell = xlsx.put(sheet, row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=NARRATIVE_COLUMNS)
        lines = sum(max(1, -(-len(p) // CHARS_PER_LINE)) for p in text.split("\n"))
        sheet.row_dimensions[row].height = 15 * lines
        row += 2
    return row


def _closing(sheet: Worksheet, row: int, heading: Heading) -> int:
    """ "Nơi nhận" and the signer, below everything else of the summary sheet."""
    xlsx.put(sheet, row, 1, _("Recipients:")).font = BOLD
    signer_lines = [
        heading.signer_authority,
        heading.signer_title,
        heading.signer_name,
    ]
    for index, text in enumerate(filter(None, signer_lines)):
        xlsx.put(sheet, row + index, 5, text).font = BOLD
    for index, recipient in enumerate(heading.recipients, start=1):
        xlsx.put(sheet, row + index, 1, f"- {recipient}")
    return row + max(len(heading.recipients), 3) + 2


def _trend(sheet: Worksheet, row: int, trend: dict[str, Any]) -> int:
    """The daily series with the target as a second line, and a line chart of both."""
    xlsx.put(sheet, row, 1, _("Activated accounts day by day")).font = BOLD
    row += 1
    for index, text in enumerate((_("Day"), _("Activated accounts"), _("Target")), start=1):
        xlsx.put(sheet, row, index, text).font = BOLD
    first = row + 1
    for day, value in zip(trend["dates"], trend["activated"], strict=True):
        row += 1
        xlsx.put(sheet, row, 1, dt.date.fromisoformat(day)).number_format = "dd/mm/yyyy"
        xlsx.put(sheet, row, 2, value).number_format = "#,##0"
        xlsx.put(sheet, row, 3, trend.get("target")).number_format = "#,##0"
    chart = LineChart()
    chart.title = _("Activated VNeID accounts and the target")
    chart.height, chart.width = 8, 22
    chart.add_data(
        Reference(sheet, min_col=2, max_col=3, min_row=first - 1, max_row=row),
        titles_from_data=True,
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=row))
    sheet.add_chart(chart, f"E{first}")
    return row + 2
