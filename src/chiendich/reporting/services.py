"""Writes of the reporting app: the report workflow and communication activities.

open → submitted (by the responsible unit) → approved (by the receiving unit) →
locked. The receiving unit may return a submitted or approved report to the sender
with a reason; a locked report never changes. Every transition is an audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.roles import Action
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.core.inputs import count_value
from chiendich.units.models import Unit

from .content import report_content
from .document import signer_for
from .models import CommunicationActivity, Report, ReportState, Signer, SignerBody


class WorkflowError(ValueError):
    """A transition the report's state does not allow; the message is for the user."""


def _may(user: User, action: str, unit_id: int) -> bool:
    return Unit.objects.restrict(user, action).filter(pk=unit_id).exists()


def may_submit(user: User, report: Report) -> bool:
    return report.state == ReportState.OPEN and _may(user, Action.CHANGE, report.unit_id)


def may_review(user: User, report: Report) -> bool:
    """The receiving unit's approvers: may approve, return or lock."""
    return _may(user, Action.APPROVE, report.recipient_unit_id)


def _locked_for_update(report: Report) -> Report:
    return (
        Report.objects.select_for_update()
        .select_related("schedule", "plan", "unit")
        .get(pk=report.pk)
    )


@transaction.atomic
def report_submit(
    *, report: Report, acting_user: User, note: str = "", on: dt.date | None = None
) -> Report:
    """Send the report: freeze today's numbers as its snapshot, stamp the campaign day.

    `on` backdates the submission day (the demo's replay of 2023); users never pass it.
    """
    report = _locked_for_update(report)
    if not _may(acting_user, Action.CHANGE, report.unit_id):
        raise PermissionDenied
    if report.state != ReportState.OPEN:
        raise WorkflowError(_("Only an open report can be submitted."))
    report.snapshot = report_content(report).as_dict()
    report.signer_authority, report.signer_title, report.signer_name = signer_for(report)
    report.state = ReportState.SUBMITTED
    report.submitted_on = on or clock.today()
    report.submitted_at = timezone.now()
    report.submitted_by = acting_user
    report.note = note
    report.save()
    audit_event_record(
        AuditEvent.Type.REPORT_SUBMITTED,
        user=acting_user,
        unit=report.unit,
        obj=report,
        report=report.slug,
        on_time=report.on_time,
    )
    return report


NARRATIVE_FIELDS = ("narrative_results", "narrative_difficulties", "narrative_proposals")
NARRATIVE_MAX = 20_000  # characters per part: a few pages of text


@transaction.atomic
def report_narrative_set(*, report: Report, acting_user: User, values: Mapping[str, str]) -> Report:
    """Write the report's narrative (results, difficulties, proposals) while it is open.

    Only the responsible unit writes it, and only before submission: what was sent
    does not change. Each part is optional; the change log keeps every version.
    """
    report = _locked_for_update(report)
    if not _may(acting_user, Action.CHANGE, report.unit_id):
        raise PermissionDenied
    if report.state != ReportState.OPEN:
        raise WorkflowError(_("The narrative can be changed only before the report is submitted."))
    for name in NARRATIVE_FIELDS:
        text = str(values.get(name, "") or "").replace("\r\n", "\n").strip()
        if len(text) > NARRATIVE_MAX:
            raise WorkflowError(
                _("Each part of the narrative holds at most %(n)s characters.")
                % {"n": f"{NARRATIVE_MAX:,}".replace(",", ".")}
            )
        setattr(report, name, text)
    report.save(update_fields=[*NARRATIVE_FIELDS])
    return report


class SignerError(ValueError):
    """Bad signer fields, by field; the messages are for the user."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@transaction.atomic
def signer_set(
    *, unit: Unit, body: str, authority: str, title: str, name: str, acting_user: User
) -> Signer:
    """Name who signs `unit`'s reports for `body` (its administration or its police).

    An officer of the unit (change right over it) sets it; reports not yet submitted
    read it at once, submitted ones keep the signer they were sent with.
    """
    if not _may(acting_user, Action.CHANGE, unit.pk):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if body not in SignerBody.values:
        errors["body"] = _("Choose the issuing body.")
    cleaned = {"authority": authority.strip(), "title": title.strip(), "name": name.strip()}
    if not cleaned["title"]:
        errors["title"] = _("Write the signer's title, e.g. Chủ tịch.")
    if not cleaned["name"]:
        errors["name"] = _("Write the signer's full name.")
    for key, value in cleaned.items():
        if len(value) > 120:
            errors[key] = _("At most 120 characters.")
    if errors:
        raise SignerError(errors)
    signer, _created = Signer.objects.update_or_create(unit=unit, body=body, defaults=cleaned)
    return signer


@transaction.atomic
def report_approve(*, report: Report, acting_user: User) -> Report:
    """The receiving unit accepts the report as submitted; its snapshot stays frozen."""
    report = _locked_for_update(report)
    if not may_review(acting_user, report):
        raise PermissionDenied
    if report.state != ReportState.SUBMITTED:
        raise WorkflowError(_("Only a submitted report can be approved."))
    if report.submitted_by_id == acting_user.pk:
        raise WorkflowError(_("A report is approved by someone other than its sender."))
    report.state = ReportState.APPROVED
    report.approved_at = timezone.now()
    report.approved_by = acting_user
    report.save()
    audit_event_record(
        AuditEvent.Type.REPORT_APPROVED,
        user=acting_user,
        unit=report.unit,
        obj=report,
        report=report.slug,
    )
    return report


@transaction.atomic
def report_return(*, report: Report, acting_user: User, reason: str) -> Report:
    """Send a submitted or approved (not locked) report back to its unit to redo."""
    report = _locked_for_update(report)
    if not may_review(acting_user, report):
        raise PermissionDenied
    if report.state not in (ReportState.SUBMITTED, ReportState.APPROVED):
        raise WorkflowError(_("Only a submitted or approved report can be returned."))
    if not reason.strip():
        raise WorkflowError(_("Say why the report is returned."))
    previous = report.state
    report.state = ReportState.OPEN
    report.snapshot = {}
    report.submitted_on = report.submitted_at = report.approved_at = None
    report.submitted_by = report.approved_by = None
    report.signer_authority = report.signer_title = report.signer_name = ""
    report.save()
    audit_event_record(
        AuditEvent.Type.REPORT_RETURNED,
        user=acting_user,
        unit=report.unit,
        obj=report,
        report=report.slug,
        reason=reason.strip(),
        previous_state=previous,
    )
    return report


@transaction.atomic
def report_lock(*, report: Report, acting_user: User) -> Report:
    """Close an approved report for good: no return, no change."""
    report = _locked_for_update(report)
    if not may_review(acting_user, report):
        raise PermissionDenied
    if report.state != ReportState.APPROVED:
        raise WorkflowError(_("Only an approved report can be locked."))
    report.state = ReportState.LOCKED
    report.locked_at = timezone.now()
    report.save()
    audit_event_record(
        AuditEvent.Type.REPORT_LOCKED,
        user=acting_user,
        unit=report.unit,
        obj=report,
        report=report.slug,
    )
    return report


def activity_clean(values: Mapping[str, Any]) -> dict[str, int]:
    """Whole numbers from 0 to MAX_COUNT for each activity field (more would not fit
    the database's column); errors name the field."""
    cleaned: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name in CommunicationActivity.FIELDS:
        raw = values.get(name, 0)
        if raw is None or str(raw).strip() == "":
            cleaned[name] = 0
            continue
        try:
            cleaned[name] = count_value(raw)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise ActivityError(errors)
    return cleaned


class ActivityError(ValueError):
    """Bad numbers in a communication activity entry, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@transaction.atomic
def activity_record(
    *,
    unit: Unit,
    date: dt.date,
    values: Mapping[str, Any],
    acting_user: User,
    note: str = "",
) -> CommunicationActivity:
    """Enter (or replace) one unit's communication activities of one day."""
    if not _may(acting_user, Action.CHANGE, unit.pk):
        raise PermissionDenied
    cleaned = activity_clean(values)
    activity, _created = CommunicationActivity.objects.update_or_create(
        unit=unit, date=date, defaults={**cleaned, "note": note, "recorded_by": acting_user}
    )
    audit_event_record(
        AuditEvent.Type.ACTIVITIES_RECORDED,
        user=acting_user,
        unit=unit,
        obj=activity,
        date=date.isoformat(),
        values=cleaned,
    )
    return activity


def report_export(*, report: Report, fmt: str, acting_user: User | None) -> tuple[bytes, str, str]:
    """The report as an XLSX or PDF file, with the export on the audit log."""
    from .selectors import report_file

    data, name, content_type = report_file(report, fmt)
    audit_event_record(
        AuditEvent.Type.REPORT_EXPORTED,
        user=acting_user,
        unit=report.unit,
        obj=report if report.pk else None,
        report=report.slug,
        format=fmt,
        state=report.state,
    )
    return data, name, content_type
