"""The parts of an administrative document around a report's tables (Decree 30/2020/NĐ-CP).

Appendix I of the decree lays out a document: top left the governing body and the
issuing body (bold, uppercase), the number and symbol ("Số: .../BC-..."); top right
the national name and motto; the place and date line; the document type and its
summary as the title; the body; "Nơi nhận" bottom left; the signer's authority,
title and name bottom right. Plan 383 itself is laid out so (shared/seed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from chiendich.core.text import fold
from chiendich.units.models import Kind, Unit

from .models import Report, ReportState, Signer, SignerBody

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
    signer_authority: str = ""
    signer_title: str = ""
    signer_name: str = ""
    # (heading, text) of the narrative parts the unit wrote; empty parts left out.
    narrative: list[tuple[str, str]] = field(default_factory=list)


def signer_body(report: Report) -> str:
    """The body that issues `report`: the police for the statistics the plan gives to
    the police (VII.2.a), else the unit itself."""
    police = POLICE_TYPE in (report.schedule.responsible_unit_types or [])
    if police and report.unit.kind == Kind.TERRITORIAL:
        return SignerBody.POLICE
    return SignerBody.ADMINISTRATION


def signer_for(report: Report) -> tuple[str, str, str]:
    """(authority, title, name) of who signs `report`: the copy taken when it was
    submitted, else the unit's Signer for the issuing body, else a blank block
    headed "THỦ TRƯỞNG ĐƠN VỊ" for a hand signature."""
    if report.state != ReportState.OPEN and report.signer_title:
        return report.signer_authority, report.signer_title, report.signer_name
    signer = Signer.objects.filter(unit_id=report.unit_id, body=signer_body(report)).first()
    if signer is not None:
        return signer.authority, signer.title, signer.name
    return "", _upper(_("Head of unit")), ""


_SAME_LEVEL = re.compile(r"\bcấp (tỉnh|huyện|xã)\s*\(cùng cấp\)", re.IGNORECASE)
_VERB = re.compile(r"^(để )?(tập hợp )?(báo cáo )?", re.IGNORECASE)


def _in_sentence(name: str) -> str:
    """ "Huyện Cái Bè" as written inside a sentence: "huyện Cái Bè"."""
    return name[:1].lower() + name[1:] if name else name


def _split_top(text: str) -> list[str]:
    """`text` cut at " và ", "," and ";" outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        cut = 0
        if depth == 0:
            if ch in ",;":
                cut = 1
            elif text.startswith(" và ", i):
                cut = 4
        if cut:
            parts.append(text[start:i])
            start = i + cut
            i += cut
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def recipients_for(report: Report) -> list[str]:
    """ "Nơi nhận", as Plan 383 VII says who receives each report.

    Each addressee of the schedule's `recipient` line, one per line ("Ủy ban nhân dân
    tỉnh (qua Văn phòng ...) và Công an tỉnh (qua Phòng ...)" is two); "cấp huyện
    (cùng cấp)" is the responsible unit's own district by name; "tập hợp báo cáo Chủ
    tịch ..." (the final report) names the Chairman as the second addressee. The
    statistics of VII.2.a go "về Công an tỉnh": a district police's daily report is
    copied to the provincial police. Last, the issuer's own archive ("Lưu: VT.").
    """
    text = " ".join(report.schedule.recipient.split())
    recipient = report.recipient_unit
    text = _SAME_LEVEL.sub(_in_sentence(recipient.name), text)
    lines = []
    for part in _split_top(text):
        part = _VERB.sub("", part).strip()
        if part:
            lines.append(part[:1].upper() + part[1:])
    if signer_body(report) == SignerBody.POLICE and report.unit.pk != report.plan.province_id:
        province_police = f"Công an {_in_sentence(report.plan.province.name)}"
        if not any(line.startswith(province_police) for line in lines):
            lines.append(province_police + " (" + _("for follow-up") + ")")
    lines.append(_("Filed: VT."))
    return lines


def narrative_for(report: Report) -> list[tuple[str, str]]:
    """The narrative parts the unit wrote, with their headings (empty ones left out)."""
    parts = [
        (_("1. Results achieved"), report.narrative_results),
        (_("2. Difficulties and obstacles"), report.narrative_difficulties),
        (_("3. Proposals"), report.narrative_proposals),
    ]
    return [(title, text.strip()) for title, text in parts if text and text.strip()]


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
    authority, signer_title, signer_name = signer_for(report)
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
        recipients=recipients_for(report),
        signer_authority=_upper(authority),
        signer_title=_upper(signer_title),
        signer_name=signer_name,
        narrative=narrative_for(report),
    )
