"""A report as a PDF in the administrative document format (Decree 30/2020/NĐ-CP).

A4 landscape (the tables are wide), Liberation Serif (Times New Roman's metrics,
every Vietnamese glyph) embedded; the heading block, the title, the tables, the
trend of activated accounts with the target line, "Nơi nhận" and the signer block.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from chiendich.core.numbers import vn_number
from chiendich.core.pdf import register_serif_fonts

from .content import ReportContent
from .content import Table as ReportTable
from .document import MOTTO, NATIONAL_NAME, Heading
from .labels import column_label, constant_notes, document_value, row_header, row_name, table_title

PAGE = landscape(A4)
MARGINS = {
    "leftMargin": 3 * cm,
    "rightMargin": 1.5 * cm,
    "topMargin": 2 * cm,
    "bottomMargin": 2 * cm,
}


class _NumberedCanvas(Canvas):
    """Writes "Trang x/y" at the foot of every page: pages are kept until the document
    is finished, when their count is known (the two-pass canvas of ReportLab's docs)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        regular, _bold, _italic = register_serif_fonts()
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(regular, 9)
            self.drawRightString(
                PAGE[0] - MARGINS["rightMargin"],
                MARGINS["bottomMargin"] / 2,
                _("Page %(page)s/%(pages)s") % {"page": number, "pages": total},
            )
            super().showPage()
        super().save()


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold, italic = register_serif_fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=11, leading=14)
    return {
        "base": base,
        "center": ParagraphStyle("center", base, alignment=TA_CENTER),
        "center_bold": ParagraphStyle("center_bold", base, fontName=bold, alignment=TA_CENTER),
        "motto": ParagraphStyle("motto", base, fontName=bold, fontSize=12, alignment=TA_CENTER),
        "place": ParagraphStyle("place", base, fontName=italic, alignment=TA_RIGHT),
        "title": ParagraphStyle(
            "title", base, fontName=bold, fontSize=13, leading=17, alignment=TA_CENTER
        ),
        "heading": ParagraphStyle("heading", base, fontName=bold, spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=10),
        "cell_bold": ParagraphStyle("cell_bold", base, fontName=bold, fontSize=8.5, leading=10),
        "small_bold": ParagraphStyle("small_bold", base, fontName=bold, fontSize=10),
        "small_bold_center": ParagraphStyle(
            "small_bold_center", base, fontName=bold, fontSize=10, alignment=TA_CENTER
        ),
        "body": ParagraphStyle("body", base, fontSize=12, leading=16, firstLineIndent=1 * cm),
        "small": ParagraphStyle("small", base, fontSize=10, leading=12),
    }


def _header_block(heading: Heading, st: dict[str, ParagraphStyle]) -> Table:
    left = [
        Paragraph(heading.issuer_upper, st["center"]),
        Paragraph(f"<u>{heading.issuer}</u>", st["center_bold"]),
        Spacer(1, 4),
        Paragraph(heading.number, st["center"]),
    ]
    right = [
        Paragraph(NATIONAL_NAME, st["center_bold"]),
        Paragraph(f"<u>{MOTTO}</u>", st["motto"]),
        Spacer(1, 4),
        Paragraph(heading.place_date, st["place"]),
    ]
    width = PAGE[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"]
    block = Table([[left, right]], colWidths=[width * 0.42, width * 0.58])
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return block


def _table(table: ReportTable, st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    show_parent = len({r.get("parent") for r in table.rows}) > 1
    columns = ["name", *(["parent"] if show_parent else []), *table.columns]
    header = [
        Paragraph(
            row_header(table.kind) if c == "name" else column_label(c, table.labels),
            st["cell_bold"],
        )
        for c in columns
    ]
    body = [*table.rows, *([table.total] if table.total else [])]
    data = [header]
    for line in body:
        data.append(
            [
                Paragraph(escape(row_name(line)), st["cell"])
                if c == "name"
                else Paragraph(escape(str(line.get(c) or "")), st["cell"])
                if c == "parent" or table.kind_of(c, line) == "text"
                else document_value(table.kind_of(c, line), line.get(c))
                for c in columns
            ]
        )
    first = 5.2 * cm
    parent = 3.6 * cm if show_parent else 0
    rest = max((width - first - parent) / max(len(table.columns), 1), 1.4 * cm)
    widths = [first, *([parent] if show_parent else []), *([rest] * len(table.columns))]
    regular, bold, _italic = register_serif_fonts()
    style = [
        ("FONT", (0, 0), (-1, -1), regular, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE4EE")),
        ("ALIGN", (len(columns) - len(table.columns), 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if table.total:
        style += [("FONT", (0, len(data) - 1), (-1, len(data) - 1), bold, 8.5)]
        data[-1][0] = Paragraph(
            escape(_("Total: %(unit)s") % {"unit": table.total["name"]}), st["cell_bold"]
        )
    grid = Table(data, colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle(style))
    title = Paragraph(table_title(table.kind, table.level), st["heading"])
    notes = [Paragraph(escape(n), st["small"]) for n in constant_notes(table, document_value)]
    if not body:
        return [title, Paragraph(_("No rows."), st["small"])]
    return [title, *notes, grid]


def _trend(trend: dict[str, Any], width: float) -> Drawing:
    """Activated accounts day by day, and the target as a flat line across the period."""
    regular, _bold, _italic = register_serif_fonts()
    days = [dt.date.fromisoformat(d) for d in trend["dates"]]
    start = days[0]
    end = dt.date.fromisoformat(trend["period_end"]) if trend.get("period_end") else days[-1]
    x = [(d - start).days for d in days]
    series = [list(zip(x, trend["activated"], strict=True))]
    target = trend.get("target")
    if target:
        series.append([(0, target), ((end - start).days, target)])
    drawing = Drawing(width, 6 * cm)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 2.2 * cm, 1 * cm, width - 3 * cm, 4.3 * cm
    plot.data = series
    plot.lines[0].strokeColor = colors.HexColor("#1F5AA6")
    plot.lines[0].strokeWidth = 1.6
    plot.lines[0].symbol = makeMarker("Circle", size=2)
    if target:
        plot.lines[1].strokeColor = colors.HexColor("#C0392B")
        plot.lines[1].strokeDashArray = [4, 3]
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max((end - start).days, 1)
    plot.xValueAxis.labelTextFormat = lambda v: f"{start + dt.timedelta(days=int(v)):%d/%m}"
    plot.xValueAxis.labels.fontName = regular
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.labelTextFormat = lambda v: vn_number(int(v))
    plot.yValueAxis.labels.fontName = regular
    drawing.add(plot)
    drawing.add(
        String(
            2.2 * cm,
            5.6 * cm,
            _("Activated accounts (blue) and the target (red, dashed)"),
            fontName=regular,
            fontSize=9,
        )
    )
    return drawing


def report_pdf(heading: Heading, content: ReportContent) -> bytes:
    """The PDF's bytes."""
    st = _styles()
    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=PAGE, title=heading.title.replace("\n", " "), **MARGINS)
    width = PAGE[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"]
    story: list[Any] = [_header_block(heading, st), Spacer(1, 14)]
    for line in heading.title.split("\n"):
        story.append(Paragraph(line, st["title"]))
    story += [
        Paragraph(heading.subtitle, st["center"]),
        Paragraph(heading.state_line, st["center"]),
    ]
    story.append(Spacer(1, 8))
    if content.trend and content.trend.get("dates"):
        story.append(_trend(content.trend, width))
    for part_title, text in heading.narrative:
        story.append(Paragraph(escape(part_title), st["heading"]))
        for paragraph in text.split("\n"):
            if paragraph.strip():
                story.append(Paragraph(escape(paragraph.strip()), st["body"]))
    if heading.narrative and content.tables:
        story.append(Paragraph(escape(_("Figures")), st["heading"]))
    for table in content.tables:
        story += _table(table, st, width)
    title = _("Recipients:")
    recipients = [Paragraph(f"<b><i>{title}</i></b>", st["small"])]
    last = len(heading.recipients) - 1
    recipients += [
        Paragraph(f"- {escape(r)}{'' if i == last else ';'}", st["small"])
        for i, r in enumerate(heading.recipients)
    ]
    signer = [
        *(
            [Paragraph(escape(heading.signer_authority), st["small_bold_center"])]
            if heading.signer_authority
            else []
        ),
        Paragraph(escape(heading.signer_title), st["small_bold_center"]),
        Spacer(1, 48),
        Paragraph(f"<b>{escape(heading.signer_name)}</b>", st["center"]),
    ]
    closing = Table([[recipients, signer]], colWidths=[width * 0.5, width * 0.5])
    closing.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTER")])
    )
    story += [Spacer(1, 16), KeepTogether(closing)]
    doc.build(story, canvasmaker=_NumberedCanvas)
    return out.getvalue()
