"""Writes of the results store: store a result (or a new version of one), revoke it,
confirm a scan's metadata, confirm a reuse for a dossier (R6, R12).

Every function is atomic, keyword-only, takes the acting user and leaves an
audit event. A file is written to storage before its row; if the row cannot be
written the file this call wrote is removed again, so storage never keeps a
file the database does not know about (and content addressing makes a file
that survives a crash harmless: the next store of those bytes reuses it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.roles import Action
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.core.cells import CellError
from chiendich.core.text import clean
from chiendich.procedures.models import Procedure
from chiendich.units.models import Unit
from chiendich.vneid.importing.cells import parse_id_number

from .documents import has_text_layer, number_key, pdf_text, search_text, unit_tokens
from .models import ChangeKind, Result, ResultReuse, ResultType, SubjectKind
from .storage import file_delete, file_put, sha256_of, sniff_content_type

MAX_FILE_BYTES = 50 * 1024 * 1024
# Dates a result can carry: none issued before the 20th century (a birth record
# digitized today is newer), none valid for more than a century ahead; anything
# outside is a typo (0001-01-01, 9999-12-31) that must not reach the store.
EARLIEST_ISSUE = dt.date(1900, 1, 1)
VALID_YEARS_AHEAD = 100


def latest_valid_until(today: dt.date) -> dt.date:
    return today.replace(year=today.year + VALID_YEARS_AHEAD, day=1)


class ResultError(ValueError):
    """A result that cannot be stored or reused; the message is for the officer."""


class DuplicateResult(ResultError):
    """The file, or the number and symbol, is already in the store as `existing`."""

    def __init__(self, message: str, existing: Result) -> None:
        super().__init__(message)
        self.existing = existing


def describe(result: Result) -> str:
    """How a message names a stored result: number, date, title and its id."""
    return _("%(number)s of %(date)s, “%(title)s” (result no. %(id)s)") % {
        "number": result.number_symbol,
        "date": f"{result.issued_on:%d/%m/%Y}",
        "title": result.title,
        "id": result.pk,
    }


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months, clamped to the month's last day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def subject_id_clean(kind: str, value: str) -> str:
    """A citizen's 12-digit ID number (leading zeros restored) or an enterprise code."""
    value = value.strip().replace(" ", "")
    if kind == SubjectKind.CITIZEN:
        try:
            return parse_id_number(value)[0]
        except CellError as exc:
            raise ResultError(str(exc)) from exc
    if not value or len(value) > 20 or not value.replace("-", "").isalnum():
        raise ResultError(_("An enterprise code has 10 to 14 digits (a branch: -001)."))
    return value


def duplicate_of(sha256: str, unit: Unit, key: str, issued_on: dt.date) -> DuplicateResult | None:
    """The error a new file would meet: same bytes, or same (unit, number, date)."""
    same_file = Result.objects.filter(sha256=sha256).first()
    if same_file is not None:
        return DuplicateResult(
            _("This file is already in the store: %(result)s.") % {"result": describe(same_file)},
            same_file,
        )
    same_number = Result.objects.filter(unit=unit, number_key=key, issued_on=issued_on).first()
    if same_number is not None:
        return DuplicateResult(
            _("%(unit)s already has a result with this number and date: %(result)s.")
            % {"unit": unit.name, "result": describe(same_number)},
            same_number,
        )
    return None


def may_change(user: User | None, unit: Unit) -> bool:
    """Whether `user` may record results for `unit` (None: a command run by the operator)."""
    if user is None:
        return True
    return Unit.objects.restrict(user, Action.CHANGE).filter(pk=unit.pk).exists()


@dataclass
class ResultInput:
    """The metadata an officer enters with a file (or a CSV row gives)."""

    unit: Unit
    number_symbol: str
    issued_on: dt.date
    title: str
    result_type: ResultType
    subject_id: str
    subject_name: str
    subject_kind: str = SubjectKind.CITIZEN
    procedure: Procedure | None = None
    valid_until: dt.date | None = None
    source_dossier_code: str = ""
    subject_unit: Unit | None = None


def result_fields(
    data: ResultInput, content: bytes, original_name: str, *, find_commune: bool = True
) -> dict[str, Any]:
    """Checked, derived column values of a new result (no file written, nothing saved).
    `find_commune`: look the citizen up in the police lists when `subject_unit` is unset
    (a bulk import looks every row up at once instead)."""
    if not content:
        raise ResultError(_("The file is empty."))
    if len(content) > MAX_FILE_BYTES:
        raise ResultError(_("The file is larger than 50 MB."))
    content_type = sniff_content_type(content[:16])
    if content_type is None:
        raise ResultError(_("Only PDF files and images (JPEG, PNG, TIFF) can be stored."))
    number_symbol = clean(data.number_symbol)
    if not number_symbol:
        raise ResultError(_("The number and symbol is required."))
    title = clean(data.title)
    if not title:
        raise ResultError(_("The title is required."))
    if data.issued_on > clock.today():
        raise ResultError(_("The issue date is in the future."))
    if data.issued_on < EARLIEST_ISSUE:
        raise ResultError(_("The issue date is before 1900: check the year."))
    if data.valid_until is not None and data.valid_until > latest_valid_until(clock.today()):
        raise ResultError(
            _(
                "The result cannot be valid for more than 100 years: check the year, or leave it empty."
            )
        )
    valid_until = data.valid_until
    if valid_until is None and data.result_type.validity_months:
        valid_until = add_months(data.issued_on, data.result_type.validity_months)
    if valid_until is not None and valid_until < data.issued_on:
        raise ResultError(_("The result cannot expire before it was issued."))
    subject_id = subject_id_clean(data.subject_kind, data.subject_id)
    text = pdf_text(content) if content_type == "application/pdf" else ""
    with_text = has_text_layer(text)
    procedure = data.procedure or data.result_type.procedure
    subject_unit = data.subject_unit
    if subject_unit is None and find_commune and data.subject_kind == SubjectKind.CITIZEN:
        subject_unit = _citizen_commune(subject_id)
    return {
        "unit": data.unit,
        "number_symbol": number_symbol,
        "number_key": number_key(number_symbol),
        "issued_on": data.issued_on,
        "title": title,
        "procedure": procedure,
        "result_type": data.result_type,
        "subject_kind": data.subject_kind,
        "subject_id": subject_id,
        "subject_name": clean(data.subject_name),
        "subject_unit": subject_unit,
        "valid_until": valid_until,
        "source_dossier_code": clean(data.source_dossier_code),
        "original_name": original_name[:255],
        "content_type": content_type,
        "size": len(content),
        "has_text": with_text,
        "needs_review": not with_text,
        "text": text if with_text else "",
        "search_text": search_text(
            title,
            number_symbol,
            data.result_type.name,
            data.unit.name,
            clean(data.subject_name),
            text if with_text else "",
        )
        + " "
        + unit_tokens(data.unit.path),
    }


def citizen_communes(id_numbers: list[str]) -> dict[str, int]:
    """ID number -> commune id, for those the police lists place in a commune: their
    commune's officers may then see the ID number on the result too. Only the commune
    is read, to scope the result; nothing of the citizen reaches the user."""
    from chiendich.vneid.models import Citizen

    out: dict[str, int] = {}
    for start in range(0, len(id_numbers), 5_000):
        out.update(
            Citizen.objects.filter(id_number__in=id_numbers[start : start + 5_000]).values_list(
                "id_number", "commune_id"
            )
        )
    return out


def _citizen_commune(id_number: str) -> Unit | None:
    found = citizen_communes([id_number]).get(id_number)
    return Unit.objects.filter(pk=found).first() if found else None


def result_store(
    *,
    acting_user: User | None,
    data: ResultInput,
    content: bytes,
    original_name: str,
    supersedes: Result | None = None,
    change_kind: str = ChangeKind.ORIGINAL,
    change_note: str = "",
) -> Result:
    """Store a digitized result: its file unchanged in storage, its row with the SHA-256
    and metadata. With `supersedes`, the new row is the next version of that result's
    lineage (an amendment or a replacement) and becomes the current one.

    Refuses (DuplicateResult, naming the stored one) the same bytes twice, and a
    second result of the same unit with the same number and issue date.
    """
    if not may_change(acting_user, data.unit):
        raise ResultError(_("You cannot record results for %(unit)s.") % {"unit": data.unit.name})
    if supersedes is not None and not may_change(acting_user, supersedes.unit):
        raise ResultError(
            _("You cannot change results of %(unit)s.") % {"unit": supersedes.unit.name}
        )
    fields = result_fields(data, content, original_name)
    sha256 = sha256_of(io.BytesIO(content))
    duplicate = duplicate_of(sha256, data.unit, fields["number_key"], data.issued_on)
    if duplicate is not None:
        raise duplicate
    if supersedes is not None and change_kind == ChangeKind.ORIGINAL:
        change_kind = ChangeKind.AMENDMENT
    name, written = file_put(content, sha256, fields["content_type"])
    try:
        with transaction.atomic():
            root: Result | None = None
            version = 1
            if supersedes is not None:
                root_id = supersedes.root_id or supersedes.pk
                lineage = Result.objects.select_for_update().filter(pk=root_id)
                root = lineage.get()
                version = 1 + max(
                    Result.objects.filter(root_id=root_id).values_list("version", flat=True),
                    default=root.version,
                )
                lineage_current = Result.objects.filter(
                    Q(pk=root_id) | Q(root_id=root_id), is_current=True
                )
                for old in lineage_current:
                    old.is_current = False
                    old.save(update_fields=["is_current"])
            result = Result.objects.create(
                **fields,
                sha256=sha256,
                file_name=name,
                root=root,
                version=version,
                change_kind=change_kind,
                change_note=clean(change_note),
                is_current=True,
                digitized_by=acting_user if acting_user is not None and acting_user.pk else None,
                digitized_at=timezone.now(),
            )
            audit_event_record(
                AuditEvent.Type.RESULT_STORED,
                user=acting_user,
                unit=data.unit,
                obj=result,
                number=result.number_symbol,
                sha256=sha256,
                version=version,
                change_kind=change_kind,
                needs_review=result.needs_review,
            )
    except IntegrityError as exc:
        if written:
            file_delete(name)
        duplicate = duplicate_of(sha256, data.unit, fields["number_key"], data.issued_on)
        raise duplicate or ResultError(str(exc)) from exc
    except BaseException:
        if written:
            file_delete(name)
        raise
    return result


@transaction.atomic
def result_revoke(
    *, acting_user: User | None, result: Result, revoked_on: dt.date, reason: str
) -> Result:
    """Mark a result revoked from `revoked_on` (a court or the issuer annulled it): it
    stays in the store, and the once-only lookup no longer offers it from that day."""
    if not may_change(acting_user, result.unit):
        raise ResultError(_("You cannot change results of %(unit)s.") % {"unit": result.unit.name})
    reason = clean(reason)
    if not reason:
        raise ResultError(_("Say why the result is revoked."))
    if revoked_on < result.issued_on:
        raise ResultError(_("A result cannot be revoked before it was issued."))
    result.revoked_on, result.revoked_reason = revoked_on, reason
    result.save(update_fields=["revoked_on", "revoked_reason"])
    audit_event_record(
        AuditEvent.Type.RESULT_REVOKED,
        user=acting_user,
        unit=result.unit,
        obj=result,
        revoked_on=revoked_on.isoformat(),
        reason=reason,
    )
    return result


@transaction.atomic
def result_review_confirm(*, acting_user: User, result: Result, title: str = "") -> Result:
    """An officer has checked the metadata of a scan without a text layer against the
    paper (and may correct the title, which is then what search finds)."""
    if not may_change(acting_user, result.unit):
        raise ResultError(_("You cannot change results of %(unit)s.") % {"unit": result.unit.name})
    if clean(title):
        result.title = clean(title)
        result.search_text = (
            search_text(
                result.title,
                result.number_symbol,
                result.result_type.name,
                result.unit.name,
                result.subject_name,
                result.text,
            )
            + " "
            + unit_tokens(result.unit.path)
        )
    result.needs_review = False
    result.reviewed_by = acting_user
    result.save(update_fields=["title", "search_text", "needs_review", "reviewed_by"])
    audit_event_record(
        AuditEvent.Type.RESULT_REVIEWED, user=acting_user, unit=result.unit, obj=result
    )
    return result


@transaction.atomic
def result_reuse_confirm(
    *,
    acting_user: User,
    result: Result,
    dossier_code: str,
    procedure: Procedure,
    origin: str = "web",
) -> ResultReuse:
    """Record that dossier `dossier_code` of `procedure` takes `result` instead of asking
    the citizen for it again (R6): the result must be one the user may see, current,
    valid today and of a type the procedure accepts."""
    from .selectors import accepted_types

    dossier_code = clean(dossier_code)
    if not dossier_code:
        raise ResultError(_("The dossier code is required."))
    if not Result.objects.restrict(acting_user, Action.CHANGE).filter(pk=result.pk).exists():
        raise ResultError(_("You cannot use results of %(unit)s.") % {"unit": result.unit.name})
    if not result.is_current:
        raise ResultError(_("A newer version of this result exists; use that one."))
    if not result.is_valid_on(clock.today()):
        raise ResultError(_("This result is no longer valid."))
    if result.result_type_id not in accepted_types(procedure):
        raise ResultError(
            _("Procedure %(procedure)s does not accept %(type)s.")
            % {"procedure": procedure.code, "type": result.result_type.name}
        )
    reuse, created = ResultReuse.objects.get_or_create(
        result=result,
        dossier_code=dossier_code,
        defaults={"procedure": procedure, "confirmed_by": acting_user, "origin": origin},
    )
    if created:
        audit_event_record(
            AuditEvent.Type.RESULT_REUSED,
            user=acting_user,
            unit=result.unit,
            obj=result,
            dossier=dossier_code,
            procedure=procedure.code,
            origin=origin,
        )
    return reuse
