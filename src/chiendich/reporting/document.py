"""The parts of an administrative document around a report's tables (Decree 30/2020/NĐ-CP).

Appendix I of the decree lays out a document: top left the governing body and the
issuing body (bold, uppercase), the number and symbol ("Số: .../BC-..."); top right
the national name and motto; the place and date line; the document type and its
summary as the title; the body; "Nơi nhận" bottom left; the signer's authority,
title and name bottom right. Plan 383 itself is laid out so (shared/seed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from chiendich.core.text import fold
from chiendich.units.models import Kind, Unit

from .models import Report, ReportState

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
NBSP = "\u00a0"  # the number is written in by the records office, in the space left
POLICE_TYPE = "cong_an"


def _upper(text: str) -> str:
    return text.upper()


def _symbol(body: str) -> str:
    """Initials of the issuing body ("Công an huyện Cái Bè" → "CAHCB")."""
    return "".join(w[0] for w in fold(body).upper().split() if w[:1].isalpha())[:8]


def issuing_bodies(report: Report) -> tuple[str, str]:
    """(governing body, issuing body), uppercase, as the top-left block writes them."""
    unit: Unit = report.unit
    province = report.plan.province
    police = POLICE_TYPE in (report.schedule.responsible_unit_types or [])
    if unit.kind == Kind.ORGANIZATION:
        return _upper(f"Ủy ban nhân dân {province.name}"), _upper(unit.name)
    if police:
        governing = "Bộ Công an" if unit.pk == province.pk else f"Công an {province.name}"
        return _upper(governing), _upper(f"Công an {unit.name}")
    parent = unit.parent
    governing = f"Ủy ban nhân dân {parent.name}" if parent is not None else ""
    return _upper(governing), _upper(f"Ủy ban nhân dân {unit.name}")


def place_date(place: str, day: dt.date) -> str:
    """ "Tiền Giang, ngày 16 tháng 10 năm 2023" (days and months below 10 with a zero
    for day 1-9 and months 1-2 only, as the decree asks)."""
    day_text = f"{day.day:02d}" if day.day < 10 else str(day.day)
    month_text = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day_text} tháng {month_text} năm {day.year}"


@dataclass
class Heading:
    """Everything of the document that is not the report's tables."""

    issuer_upper: str
    issuer: str
    number: str
    place_date: str
    title: str
    subtitle: str
    state_line: str
    recipients: list[str] = field(default_factory=list)
    signer_title: str = ""
    signer_name: str = ""


def heading_for(report: Report, *, issued_on: dt.date) -> Heading:
    """The document parts of `report` issued on `issued_on`."""
    governing, issuer = issuing_bodies(report)
    window = ""
    if report.data_from and report.data_to and report.data_from != report.data_to:
        window = _("Data from %(start)s to %(end)s") % {
            "start": f"{report.data_from:%d/%m/%Y}",
            "end": f"{report.data_to:%d/%m/%Y}",
        }
    elif report.data_to:
        window = _("Data as of %(day)s") % {"day": f"{report.data_to:%d/%m/%Y}"}
    deadline = _("due %(day)s") % {"day": f"{report.deadline:%d/%m/%Y}"}
    state = {
        ReportState.OPEN: _("Draft computed from the records on %(day)s, not submitted"),
        ReportState.SUBMITTED: _("Submitted on %(day)s"),
        ReportState.APPROVED: _("Submitted on %(day)s and approved"),
        ReportState.LOCKED: _("Submitted on %(day)s, approved and locked"),
    }[ReportState(report.state)] % {"day": f"{(report.submitted_on or issued_on):%d/%m/%Y}"}
    signer = report.submitted_by
    return Heading(
        issuer_upper=governing,
        issuer=issuer,
        number=f"Số:{NBSP * 8}/BC-{_symbol(issuer)}",
        place_date=place_date(report.plan.place, report.submitted_on or report.deadline),
        title=_upper(_("Report")) + "\n" + report.schedule.name,
        subtitle=" · ".join(
            part
            for part in (
                _("According to %(plan)s") % {"plan": report.plan.number},
                report.schedule.section,
                window,
                deadline,
            )
            if part
        ),
        state_line=state,
        recipients=[report.schedule.recipient, _("Filed: VT.")],
        signer_title=_upper(_("Head of unit")),
        signer_name=(signer.full_name or signer.get_username()) if signer is not None else "",
    )
