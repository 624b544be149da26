"""The dashboard's tables as an XLSX file: what the page shows, numbers as numbers
(a rate of 48,41% is the number 48.41 formatted with two decimals), dates as dates."""

from __future__ import annotations

from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chiendich.core import xlsx
from chiendich.units.models import Unit

from .dashboard import Dashboard, light_label

XLSX_TYPE = xlsx.XLSX_TYPE
PERCENT_FORMAT = "0.00"
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"


def _number(value: Any) -> Any:
    """Decimals become floats so Excel stores a number, not text."""
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


def _sheet(sheet: Worksheet, headers: list[str], rows: list[list[Any]], formats: list[str]) -> None:
    xlsx.append(sheet, headers, font=Font(bold=True))
    for row in rows:
        xlsx.append(sheet, row)
    for index, (header, number_format) in enumerate(zip(headers, formats, strict=True), start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(12, len(header) + 2), 48)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"


def dashboard_xlsx(unit: Unit, dashboard: Dashboard) -> bytes:
    """Two sheets: the unit's indicators on the day, and the units below it."""
    book = openpyxl.Workbook()
    indicators = book.active
    assert indicators is not None  # noqa: S101 - a new workbook always has one sheet
    indicators.title = _("Indicators")[:31]
    rows = []
    for card in dashboard.cards:
        rows.append(
            [
                card.name,
                _number(card.value),
                _number(card.target),
                _number(card.percent_of_target),
                str(light_label(card.light)),
                card.rank.position if card.rank else None,
                card.rank.total if card.rank else None,
                card.start,
                min(dashboard.day, card.end),
            ]
        )
    _sheet(
        indicators,
        [
            _("Indicator"),
            _("Value"),
            _("Target"),
            _("Of target (%)"),
            _("Status"),
            _("Rank"),
            _("Among"),
            _("From"),
            _("To"),
        ],
        rows,
        ["", "", "", PERCENT_FORMAT, "", "", "", DATE_FORMAT, DATE_FORMAT],
    )
    for row_number, card in enumerate(dashboard.cards, start=2):
        number_format = COUNT_FORMAT if card.measure == "count" else PERCENT_FORMAT
        indicators.cell(row=row_number, column=2).number_format = number_format
        indicators.cell(row=row_number, column=3).number_format = number_format

    below = book.create_sheet(_("Units below")[:31])
    headers = [
        _("Code"),
        _("Unit"),
        _("Rank"),
        _("Eligible citizens"),
        _("Activated"),
        _("Target"),
        _("Of target (%)"),
        _("Status"),
        _("Share of eligible"),
    ]
    formats = [
        "",
        "",
        "",
        COUNT_FORMAT,
        COUNT_FORMAT,
        COUNT_FORMAT,
        PERCENT_FORMAT,
        "",
        PERCENT_FORMAT,
    ]
    for _key, name in dashboard.columns:
        headers += [f"{name} (%)", _("Target") + " (%)"]
        formats += [PERCENT_FORMAT, PERCENT_FORMAT]
    table = []
    for child in dashboard.children:
        row = [
            child.unit.gso_code or child.unit.code,
            child.unit.name,
            child.rank.position if child.rank else None,
            child.eligible,
            child.activated,
            child.target,
            _number(child.percent_of_target),
            str(light_label(child.light)),
            _number(child.rate_of_eligible),
        ]
        for key, _name in dashboard.columns:
            cell = child.cells.get(key)
            row += [_number(cell.value) if cell else None, _number(cell.target) if cell else None]
        table.append(row)
    _sheet(below, headers, table, formats)
    return xlsx.save(book)
