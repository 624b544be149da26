"""Writes of the door-to-door work: one outcome at a door becomes a Visit row, an
account event and/or a flag, and the hamlet's daily counts move by the citizen's
difference at once (in milliseconds: fifty volunteers may record at the same time)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from chiendich.accounts.models import User
from chiendich.units.models import Unit
from chiendich.vneid.counts import counts_citizen_follow, counts_lock
from chiendich.vneid.models import (
    ACTIVATED_STATES,
    AccountState,
    Citizen,
    FlagKind,
    NotEligibleReason,
    Source,
)
from chiendich.vneid.services import citizen_flag_clear, citizen_flag_set, citizen_state_record

from .models import Outcome, Team, Visit

# Outcomes after which the citizen is no longer "absent, to revisit": someone answered.
_PRESENT = {
    Outcome.ACTIVATED_L1,
    Outcome.GUIDED,
    Outcome.REFUSED,
    Outcome.POLICE_L2,
    Outcome.FREE_SIM,
    Outcome.NOT_ELIGIBLE,
}


# What a client is told to wait before sending an outcome again when the database
# stayed busy past the connection's timeout (settings: SQLite "timeout").
RETRY_AFTER_SECONDS = 5
# PostgreSQL's "try again" errors: lock timeout, deadlock, serialization failure.
_RETRYABLE_SQLSTATES = frozenset({"55P03", "40P01", "40001"})


class DatabaseBusyError(Exception):
    """The outcome was not recorded because the database stayed busy (SQLite's write
    lock past its timeout, a PostgreSQL lock timeout or deadlock); sending it again
    later records it."""


def database_busy(exc: OperationalError) -> bool:
    """Whether `exc` means "busy, try again" rather than a broken database."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    text = str(exc).lower()  # SQLite's SQLITE_BUSY and SQLITE_LOCKED
    return "database is locked" in text or "database table is locked" in text


class VisitConflictError(Exception):
    """An outcome came with a phone-made id already stored for a different outcome."""

    def __init__(self, stored: Visit) -> None:
        super().__init__(f"client_id {stored.client_id} is stored for another outcome")
        self.stored = stored


def phone_time_bound(value: dt.datetime | None, received: dt.datetime) -> dt.datetime | None:
    """The phone's clock, bounded by the server's: never later than `received` (a phone
    set in the future cannot win every conflict), never earlier than the days a phone
    may keep outcomes offline (settings.FIELD_OFFLINE_DAYS)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    earliest = received - dt.timedelta(days=settings.FIELD_OFFLINE_DAYS)
    return max(earliest, min(value, received))


def same_outcome(visit: Visit, citizen_id: int, outcome: str, reason: str, note: str) -> bool:
    return (
        visit.citizen_id == citizen_id
        and visit.outcome == outcome
        and visit.reason == (reason if outcome == Outcome.NOT_ELIGIBLE else "")
        and visit.note == note[:300]
    )


def _team_of(user: User | None, citizen: Citizen) -> Team | None:
    if user is None or not user.pk:
        return None
    return Team.objects.filter(members=user, hamlets=citizen.unit_id).order_by("pk").first()


def visit_record(
    citizen: Citizen,
    *,
    outcome: Outcome | str,
    day: dt.date,
    acting_user: User | None,
    reason: str = "",
    note: str = "",
    refresh_counts: bool = True,
) -> Visit:
    """Record what happened at `citizen`'s door on `day` (see visit_record_once)."""
    visit, _created = visit_record_once(
        citizen,
        outcome=outcome,
        day=day,
        acting_user=acting_user,
        reason=reason,
        note=note,
        refresh_counts=refresh_counts,
    )
    return visit


def visit_record_once(
    citizen: Citizen,
    *,
    outcome: Outcome | str,
    day: dt.date,
    acting_user: User | None,
    reason: str = "",
    note: str = "",
    refresh_counts: bool = True,
    client_id: str | None = None,
    recorded_on_phone: dt.datetime | None = None,
    received: dt.datetime | None = None,
    wait: float | None = None,
) -> tuple[Visit, bool]:
    """Record what happened at `citizen`'s door on `day`.

    Always stores a Visit (two members recording the same household at once
    both keep their row). Then: activated level 1 is an account event (source
    visit); guided turns a not-registered citizen into a pending application;
    absent sets the absent flag; not eligible sets that flag with `reason`
    (the citizen leaves the denominator); any answer at the door ends an open
    absent flag. The stored counts of the citizen's hamlet move from `day` on by
    what this changed for the citizen (vneid.counts.counts_citizen_follow), so they
    stay equal to a recount; with `refresh_counts=False` they are left alone.

    Once per phone: with a `client_id` (a UUID the phone made when the outcome was
    tapped) an outcome already stored under that id is not stored again; the stored
    visit comes back with created False. The same id for a different outcome raises
    VisitConflictError.

    The conflict rule (two volunteers, both offline, recording the same person):
    every visit is kept; the person's state follows the visit that happened last,
    by the phones' clocks bounded by the server's (phone_time_bound; a visit with
    no phone time happened when the server received it). A visit that arrives
    after a later one was stored is kept with applied=False and changes nothing.

    `received`: when the server received the outcome (the field inbox applies
    outcomes it accepted earlier: their phone time is bounded by that moment, not
    by now); None is now.

    Raises DatabaseBusyError, with nothing written, when the database stayed busy
    past the connection's timeout, or past `wait` seconds when given (the bound of
    field.inbox.visit_submit: SQLite's busy timeout for this write, PostgreSQL's
    lock_timeout for its transaction).
    """
    outcome = Outcome(outcome)
    if outcome == Outcome.NOT_ELIGIBLE and reason not in NotEligibleReason.values:
        raise ValueError("cần lý do không đủ điều kiện")
    phone = phone_time_bound(recorded_on_phone, received or timezone.now())
    args = (citizen, outcome, day, acting_user, reason, note, refresh_counts, client_id, phone)
    try:
        try:
            with _writer_turn(wait), transaction.atomic():
                _lock_wait_bound(wait)
                return _visit_record(*args)
        except IntegrityError:
            # Another request stored the same phone id between our check and our write.
            stored = Visit.objects.filter(client_id=client_id).first() if client_id else None
            if stored is None:
                raise
            if not same_outcome(stored, citizen.pk, outcome, reason, note):
                raise VisitConflictError(stored) from None
            return stored, False
    except OperationalError as exc:
        if database_busy(exc):
            raise DatabaseBusyError(str(exc)) from exc
        raise


@dataclass(frozen=True)
class VisitItem:
    """One outcome to record in a batch (visits_record_batch): as visit_record_once's
    arguments, with the moment the server received it."""

    citizen: Citizen
    outcome: str
    day: dt.date
    acting_user: User | None
    reason: str
    note: str
    client_id: str
    recorded_on_phone: dt.datetime | None
    received: dt.datetime


def visits_record_batch(
    items: list[VisitItem], *, wait: float | None = None, seconds: float = 0.5
) -> list[tuple[Visit, bool] | Exception | None]:
    """Record several outcomes in one transaction (the field inbox's drain: one wait
    for the lock instead of one per outcome), each as visit_record_once would, in
    order, each in a savepoint: an outcome that fails (VisitConflictError,
    ValueError, IntegrityError) comes back as its exception and the others are kept.
    Stops taking new outcomes after `seconds` of holding the lock, so that outcomes
    waiting for it meanwhile stay under their bound; those not taken come back None.
    Raises DatabaseBusyError, nothing written, when the lock stayed busy past
    `wait` (None: the connection's timeout)."""
    results: list[tuple[Visit, bool] | Exception | None] = [None] * len(items)
    try:
        with _writer_turn(wait), transaction.atomic():
            _lock_wait_bound(wait)
            started = time.monotonic()
            for k, item in enumerate(items):
                if k and time.monotonic() - started > seconds:
                    break
                phone = phone_time_bound(item.recorded_on_phone, item.received)
                try:
                    outcome = Outcome(item.outcome)
                    with transaction.atomic():
                        results[k] = _visit_record(
                            item.citizen,
                            outcome,
                            item.day,
                            item.acting_user,
                            item.reason,
                            item.note,
                            True,
                            item.client_id,
                            phone,
                        )
                except (VisitConflictError, IntegrityError, ValueError, ObjectDoesNotExist) as exc:
                    results[k] = exc
    except OperationalError as exc:
        if database_busy(exc):
            raise DatabaseBusyError(str(exc)) from exc
        raise
    return results


# One outcome at a time per process asks SQLite for its write lock; the others queue
# here. SQLite's own wait polls (every 100 ms once it has waited a little), so among
# fifty waiting threads the lock goes to whichever polls at the right moment, and an
# unlucky one can wait past its timeout while others pass many times. A queue is fair
# and bounded by the same timeout. PostgreSQL queues its row locks itself.
_sqlite_turn = threading.Lock()


@contextmanager
def _writer_turn(wait: float | None = None) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    timeout = float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5))
    bound = timeout if wait is None else min(wait, timeout)
    started = time.monotonic()
    if not _sqlite_turn.acquire(timeout=bound):
        raise DatabaseBusyError("waited past the timeout for this process's writers")
    try:
        # The time spent in the queue counts against the timeout: one wait in all.
        left = max(1, int((bound - (time.monotonic() - started)) * 1000))
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {left}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    finally:
        _sqlite_turn.release()


def _lock_wait_bound(wait: float | None) -> None:
    """PostgreSQL: no lock of this transaction (the counts lock an import holds
    exclusive while it merges, a citizen's row) is waited for longer than `wait`
    seconds; past it the transaction fails with 55P03 (DatabaseBusyError). Only in
    the outermost transaction: SET LOCAL would outlive a savepoint."""
    if wait is None or connection.vendor != "postgresql":
        return
    if len(connection.savepoint_ids) > 0 or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        bound = max(1, int(wait * 1000))  # 0 would mean no bound at all
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{bound}ms"])


def _visit_record(
    citizen: Citizen,
    outcome: Outcome,
    day: dt.date,
    acting_user: User | None,
    reason: str,
    note: str,
    refresh_counts: bool,
    client_id: str | None,
    phone: dt.datetime | None,
) -> tuple[Visit, bool]:
    # The counts lock first, then the citizen's row: every writer takes them in this
    # order, so an outcome never deadlocks with an import or a recount (PostgreSQL).
    counts_lock(shared=True)
    # Lock the citizen row so concurrent outcomes for one person apply in turn
    # (a no-op on SQLite, whose writers are serialized anyway).
    citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
    if client_id:
        stored = Visit.objects.filter(client_id=client_id).first()
        if stored is not None:
            if not same_outcome(stored, citizen.pk, outcome, reason, note):
                raise VisitConflictError(stored)
            return stored, False
    args = (citizen, outcome, day, acting_user, reason, note, client_id, phone)
    if not refresh_counts:
        return _visit_write(*args), True
    with counts_citizen_follow(citizen.pk, since=day):
        return _visit_write(*args), True


def later_visit_exists(citizen: Citizen, happened: dt.datetime) -> bool:
    """Whether a stored visit of `citizen` that decided their state happened after
    `happened` (the conflict rule of visit_record_once)."""
    return (
        Visit.objects.filter(citizen=citizen, applied=True)
        .filter(
            Q(recorded_on_phone__gt=happened)
            | Q(recorded_on_phone__isnull=True, recorded_at__gt=happened)
        )
        .exists()
    )


def _visit_write(
    citizen: Citizen,
    outcome: Outcome,
    day: dt.date,
    acting_user: User | None,
    reason: str,
    note: str,
    client_id: str | None = None,
    phone: dt.datetime | None = None,
) -> Visit:
    applied = phone is None or not later_visit_exists(citizen, phone)
    visit = Visit.objects.create(
        citizen=citizen,
        household_id=citizen.household_id,
        unit_id=citizen.unit_id,
        team=_team_of(acting_user, citizen),
        outcome=outcome,
        reason=reason if outcome == Outcome.NOT_ELIGIBLE else "",
        note=note[:300],
        day=day,
        recorded_by=acting_user if acting_user is not None and acting_user.pk else None,
        client_id=client_id or None,
        recorded_on_phone=phone,
        applied=applied,
    )
    if not applied:
        return visit
    by = visit.recorded_by
    state = None
    if outcome == Outcome.ACTIVATED_L1 and citizen.state not in ACTIVATED_STATES:
        state = AccountState.ACTIVATED_L1
    elif outcome == Outcome.GUIDED and citizen.state == AccountState.NOT_REGISTERED:
        state = AccountState.L1_PENDING
    if state is not None:
        citizen_state_record(
            citizen, state=state, date=day, source=Source.VISIT, acting_user=by, note=note
        )
    if outcome == Outcome.ABSENT:
        citizen_flag_set(
            citizen,
            kind=FlagKind.ABSENT,
            date=day,
            source=Source.VISIT,
            acting_user=by,
            note=note,
        )
    elif outcome in _PRESENT:
        citizen_flag_clear(citizen, kind=FlagKind.ABSENT, date=day)
    if outcome == Outcome.NOT_ELIGIBLE:
        citizen_flag_set(
            citizen,
            kind=FlagKind.NOT_ELIGIBLE,
            reason=reason,
            date=day,
            source=Source.VISIT,
            acting_user=by,
            note=note,
        )
    return visit


@transaction.atomic
def team_create(
    *,
    name: str,
    type: str,  # noqa: A002 - the field's name
    commune: Unit,
    hamlets: list[Unit],
    members: list[User] | None = None,
) -> Team:
    """Create a team of `commune` covering `hamlets` (which must lie in the commune)."""
    team = Team.objects.create(name=name, type=type, commune=commune)
    prefix = team.commune.path
    if any(not h.path.startswith(prefix) for h in hamlets):
        raise ValueError("ấp không thuộc xã của tổ")
    team.hamlets.set(hamlets)
    team.members.set(members or [])
    return team
