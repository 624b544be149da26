"""A hamlet's worklist and the plan's lists as files: xlsx to work on, and an A4 PDF
in Vietnamese to print and tick by hand at the door (one block per household)."""

from __future__ import annotations

import datetime as dt
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chiendich.core import xlsx
from chiendich.core.pdf import register_fonts
from chiendich.units.models import Unit

from .models import Outcome
from .selectors import PRIORITY_LABELS, HouseholdBlock, PlanLists

XLSX = xlsx.XLSX_TYPE
# The columns a team member ticks at the door, in the order outcomes are common.
TICK_OUTCOMES = (
    Outcome.ACTIVATED_L1,
    Outcome.GUIDED,
    Outcome.ABSENT,
    Outcome.NOT_ELIGIBLE,
    Outcome.REFUSED,
    Outcome.POLICE_L2,
    Outcome.FREE_SIM,
)


def _header(ws, names: list[str]) -> None:  # type: ignore[no-untyped-def]
    xlsx.append(ws, names, font=Font(bold=True))
    ws.freeze_panes = "A2"


def worklist_xlsx(hamlet: Unit, day: dt.date, blocks: list[HouseholdBlock]) -> bytes:
    """One row per person to visit, grouped by household in worklist order."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Worklist")[:31]
    _header(
        ws,
        [
            _("Order"),
            _("Household"),
            _("Full name"),
            _("Date of birth"),
            _("Personal ID number"),
            _("Phone number"),
            _("What to do"),
            *[str(o.label) for o in TICK_OUTCOMES],
            _("Note"),
        ],
    )
    for n, block in enumerate(blocks, 1):
        for p in block.people:
            xlsx.append(
                ws,
                [
                    n,
                    block.code,
                    p.citizen.full_name,
                    p.citizen.birth_date.strftime("%d/%m/%Y"),
                    p.id_number,
                    p.phone,
                    str(PRIORITY_LABELS[p.priority]) if p.priority is not None else "",
                ],
            )
    for col, width in zip("ABCDEFG", (6, 16, 28, 12, 15, 13, 30), strict=True):
        ws.column_dimensions[col].width = width
    return xlsx.save(wb)


def worklist_pdf(hamlet: Unit, day: dt.date, blocks: list[HouseholdBlock]) -> bytes:
    """A4 pages, one block per household, a box to tick per outcome and person."""
    regular, bold = register_fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=8, leading=10)
    title = ParagraphStyle("title", fontName=bold, fontSize=13, leading=16)
    head = ParagraphStyle("head", fontName=bold, fontSize=9.5, leading=12)
    small = ParagraphStyle("small", fontName=regular, fontSize=6.5, leading=8)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=f"{_('Worklist')} {hamlet.name}",
    )
    story: list = [
        Paragraph(f"{_('Worklist')}: {hamlet.name} ({hamlet.code})", title),
        Paragraph(
            f"{_('As of')} {day:%d/%m/%Y} · {_('households')}: {len(blocks)} · "
            f"{_('people')}: {sum(len(b.people) for b in blocks)}",
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    widths = [52 * mm, 24 * mm, 30 * mm] + [11 * mm] * len(TICK_OUTCOMES) + [0]
    widths[-1] = doc.width - sum(widths[:-1])
    header = [
        Paragraph(_("Full name"), small),
        Paragraph(_("Personal ID number"), small),
        Paragraph(_("What to do"), small),
        *[Paragraph(str(o.label), small) for o in TICK_OUTCOMES],
        Paragraph(_("Note"), small),
    ]
    for n, block in enumerate(blocks, 1):
        rows = [header]
        for p in block.people:
            rows.append(
                [
                    Paragraph(f"{p.citizen.full_name} ({p.citizen.birth_date:%Y})", body),
                    Paragraph(p.id_number, body),
                    Paragraph(
                        str(PRIORITY_LABELS[p.priority]) if p.priority is not None else "", small
                    ),
                    *["☐"] * len(TICK_OUTCOMES),
                    "",
                ]
            )
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), regular, 11),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("ALIGN", (3, 1), (-2, -1), "CENTER"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.append(
            KeepTogether(
                [Paragraph(f"{n}. {_('Household')} {block.code}", head), table, Spacer(1, 3 * mm)]
            )
        )
    doc.build(story)
    return out.getvalue()


def plan_lists_xlsx(unit: Unit, day: dt.date, lists: PlanLists) -> bytes:
    """The three lists of Plan 383 V.2.d, one sheet each."""
    wb = Workbook()
    columns = [
        _("Hamlet"),
        _("Household"),
        _("Full name"),
        _("Date of birth"),
        _("Personal ID number"),
    ]
    ws = wb.active
    ws.title = _("Activated")[:31]
    _header(ws, [*columns, _("Account state"), _("Since")])
    for c in lists.activated:
        xlsx.append(
            ws,
            [
                c.unit.name,
                c.household.code if c.household else "",
                c.full_name,
                c.birth_date.strftime("%d/%m/%Y"),
                c.id_number,
                str(c.get_state_display()),  # type: ignore[attr-defined]
                c.state_date.strftime("%d/%m/%Y") if c.state_date else "",
            ],
        )
    for title, rows, with_reason in (
        (_("Absent"), lists.absent, False),
        (_("Not eligible"), lists.not_eligible, True),
    ):
        ws = wb.create_sheet(title[:31])
        _header(ws, [*columns, _("Since"), *([_("Reason")] if with_reason else [])])
        for c, flag in rows:
            xlsx.append(
                ws,
                [
                    c.unit.name,
                    c.household.code if c.household else "",
                    c.full_name,
                    c.birth_date.strftime("%d/%m/%Y"),
                    c.id_number,
                    flag.date.strftime("%d/%m/%Y"),
                    *([str(flag.get_reason_display())] if with_reason else []),  # type: ignore[attr-defined]
                ],
            )
    return xlsx.save(wb)
