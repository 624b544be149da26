"""Outcomes accepted while the database is busy: the field inbox.

An outcome at the door is written at once when it can be (services.visit_record_once,
a few milliseconds). But an import's final merge holds SQLite's write lock, or the
counts lock exclusive on PostgreSQL, for tens of seconds with a 300,000-row list. A
volunteer must then neither see an error nor wait: `visit_submit` waits at most
settings.FIELD_WAIT_SECONDS for the lock (SQLite's busy timeout for that write,
PostgreSQL's lock_timeout for its transaction), and past it accepts the outcome
into the inbox and answers 202 "received, being written".

The inbox is a small SQLite file of its own (WAL, synchronous NORMAL as the database:
an accepted outcome survives the process dying) beside the database, in DATA_DIR, one per database. It
shares no lock with the database, so an import never blocks it, on SQLite or
PostgreSQL. Everything that can refuse an outcome is checked BEFORE accepting it,
with reads only (WAL readers and PostgreSQL readers are not blocked by a writer):
the user's scope and assignment, the person, the outcome and reason, the day. What
the inbox accepted is therefore written later as it was received; it is never
silently dropped.

While outcomes wait there, a new outcome joins them at once (202, no wait): the
arrival order holds, and the database's writes go to draining the inbox rather
than to new outcomes overtaking it one by one (under a sustained load the inbox
would otherwise only grow).

Drained (`inbox_drain`) in arrival order, in batches of short transactions (one
wait for the lock per batch; at most about half a second holding it): right
after an import's job commits (imports.services.job_import_run), by the worker's
heartbeat (imports.worker), and after the answer of each outcome request is sent
(drain_after, about half a second). One drainer at a time (a file lock); each entry is
written with its client_id (the phone's, or one the server made), so a drain
killed between writing the visit and removing the entry loses nothing and stores
nothing twice: the next drain finds the visit under that id and removes the entry.
The conflict rule is unchanged: an entry keeps the server's receipt time, which
bounds its phone time (an outcome with no phone time happened when it was
received).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection
from django.http.response import HttpResponseBase
from django.utils import timezone

from chiendich.accounts.models import User
from chiendich.vneid.models import Citizen, NotEligibleReason

from .models import Outcome, Visit
from .services import (
    DatabaseBusyError,
    VisitConflictError,
    VisitItem,
    phone_time_bound,
    same_outcome,
    visit_record_once,
    visits_record_batch,
)

logger = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 3.0
# How long an outcome's request drains the inbox after its answer (batches are
# started until then), and waits for the lock meanwhile.
OPPORTUNISTIC_SECONDS = 0.5
DRAIN_BATCH = 50  # outcomes per transaction of a drain

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    citizen INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT NOT NULL,
    day TEXT NOT NULL,
    user_id INTEGER,
    phone_time TEXT,
    received TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT ''
)
"""
_COLUMNS = "seq, client_id, citizen, outcome, reason, note, day, user_id, phone_time, received"


def wait_seconds() -> float:
    """How long an outcome waits for the database before the inbox takes it."""
    return float(getattr(settings, "FIELD_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))


@dataclass(frozen=True)
class Entry:
    """One outcome the inbox accepted."""

    seq: int
    client_id: str
    citizen: int
    outcome: str
    reason: str
    note: str
    day: dt.date
    user_id: int | None
    phone_time: dt.datetime | None
    received: dt.datetime

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Entry:
        seq, client_id, citizen, outcome, reason, note, day, user_id, phone, received = row
        return cls(
            seq,
            client_id,
            citizen,
            outcome,
            reason,
            note,
            dt.date.fromisoformat(day),
            user_id,
            dt.datetime.fromisoformat(phone) if phone else None,
            dt.datetime.fromisoformat(received),
        )

    def same(self, citizen: int, outcome: str, reason: str, note: str) -> bool:
        return (
            self.citizen == citizen
            and self.outcome == outcome
            and self.reason == (reason if outcome == Outcome.NOT_ELIGIBLE else "")
            and self.note == note[:300]
        )


class PendingConflictError(Exception):
    """The client_id is waiting in the inbox for a different outcome (answered like
    VisitConflictError: 409)."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(f"client_id {entry.client_id} is waiting for another outcome")
        self.entry = entry


@dataclass(frozen=True)
class Submitted:
    """What became of an outcome: 201 stored now, 200 already stored under its
    client_id (visit set), or 202 accepted into the inbox (visit None)."""

    status: int
    client_id: str | None
    visit: Visit | None = None


def inbox_path() -> Path:
    """The inbox of the database in use: its name holds a digest of the database's
    engine, host, port and name, so two databases used from one data folder (a
    SQLite and a PostgreSQL demo, a test database) never apply each other's."""
    folder = getattr(settings, "FIELD_INBOX_DIR", None) or settings.DATA_DIR
    db = connection.settings_dict
    key = "|".join(str(db.get(k) or "") for k in ("ENGINE", "HOST", "PORT", "NAME"))
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(folder) / f"field-inbox-{connection.vendor}-{digest}.sqlite3"


_local = threading.local()


@contextmanager
def _inbox(*, create: bool) -> Iterator[sqlite3.Connection | None]:
    """A connection to the inbox file (None when there is none and `create` is
    False), kept per thread and per file: opening one costs more than a read."""
    path = inbox_path()
    if not create and not path.exists():
        yield None
        return
    cache: dict[Path, sqlite3.Connection] = _local.__dict__.setdefault("connections", {})
    db = cache.get(path)
    if db is None or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        # WAL; synchronous NORMAL as the database itself (settings): an accepted
        # outcome survives the process dying, as a written visit does.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        cache[path] = db
    yield db


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def inbox_get(client_id: str) -> Entry | None:
    """The entry waiting under `client_id`, if any."""
    with _inbox(create=False) as db:
        if db is None:
            return None
        row = db.execute(
            f"SELECT {_COLUMNS} FROM inbox WHERE client_id = ?",  # noqa: S608
            [client_id],
        ).fetchone()
        return Entry.from_row(row) if row else None


def inbox_waiting() -> int:
    """How many outcomes wait in the inbox (those that failed to apply included)."""
    with _inbox(create=False) as db:
        if db is None:
            return 0
        return int(db.execute("SELECT count(*) FROM inbox").fetchone()[0])


def inbox_failed() -> list[tuple[str, str]]:
    """(client_id, error) of the entries a drain could not apply (kept, never dropped)."""
    with _inbox(create=False) as db:
        if db is None:
            return []
        return list(db.execute("SELECT client_id, error FROM inbox WHERE error != '' ORDER BY seq"))


def inbox_status() -> dict[str, Any]:
    """For /healthz: how many outcomes wait to be written, and how many could not be."""
    try:
        return {"waiting": inbox_waiting(), "failed": len(inbox_failed())}
    except sqlite3.Error as exc:
        return {"status": "unknown", "error": type(exc).__name__}


def inbox_accept(
    citizen: Citizen,
    *,
    outcome: str,
    day: dt.date,
    acting_user: User | None,
    reason: str,
    note: str,
    client_id: str | None,
    recorded_on_phone: dt.datetime | None,
    received: dt.datetime | None = None,
) -> Submitted:
    """Accept a checked outcome into the inbox (202), once per client_id: an id
    already stored as a visit answers 200 with it, an id already waiting answers 202
    again; the same id for a different outcome raises VisitConflictError or
    PendingConflictError. The caller checked scope, person, outcome and day."""
    outcome = Outcome(outcome)
    if outcome == Outcome.NOT_ELIGIBLE and reason not in NotEligibleReason.values:
        raise ValueError("cần lý do không đủ điều kiện")
    reason = reason if outcome == Outcome.NOT_ELIGIBLE else ""
    note = note[:300]
    received = received or timezone.now()
    client_id = str(uuid.UUID(client_id)) if client_id else str(uuid.uuid4())
    stored = Visit.objects.filter(client_id=client_id).first()
    if stored is not None:
        if not same_outcome(stored, citizen.pk, outcome, reason, note):
            raise VisitConflictError(stored)
        return Submitted(200, client_id, stored)
    phone = phone_time_bound(recorded_on_phone, received)
    user_id = acting_user.pk if acting_user is not None and acting_user.pk else None
    with _inbox(create=True) as db:
        assert db is not None  # noqa: S101 - create=True
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM inbox WHERE client_id = ?",  # noqa: S608
                [client_id],
            ).fetchone()
            if row is not None:
                entry = Entry.from_row(row)
                if not entry.same(citizen.pk, outcome, reason, note):
                    raise PendingConflictError(entry)
            else:
                db.execute(
                    "INSERT INTO inbox (client_id, citizen, outcome, reason, note, day, user_id,"
                    " phone_time, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        client_id,
                        citizen.pk,
                        str(outcome),
                        reason,
                        note,
                        day.isoformat(),
                        user_id,
                        _iso(phone),
                        received.isoformat(),
                    ],
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return Submitted(202, client_id)


def visit_submit(
    citizen: Citizen,
    *,
    outcome: str,
    day: dt.date,
    acting_user: User | None,
    reason: str = "",
    note: str = "",
    client_id: str | None = None,
    recorded_on_phone: dt.datetime | None = None,
) -> Submitted:
    """Record an outcome, never waiting more than settings.FIELD_WAIT_SECONDS for
    the database: 201 stored now, 200 already stored under `client_id`, 202
    accepted into the inbox (module docstring): when the database stayed busy past
    the bound, or at once when outcomes are already waiting there. Raises VisitConflictError or
    PendingConflictError for a client_id that holds another outcome, ValueError for
    an invalid outcome; any database error but "busy" stays an error."""
    received = timezone.now()
    if client_id:
        entry = inbox_get(client_id)
        if entry is not None and not entry.same(citizen.pk, outcome, reason, note):
            raise PendingConflictError(entry)

    def accept() -> Submitted:
        return inbox_accept(
            citizen,
            outcome=outcome,
            day=day,
            acting_user=acting_user,
            reason=reason,
            note=note,
            client_id=client_id,
            recorded_on_phone=recorded_on_phone,
            received=received,
        )

    if _count_ready():
        # Outcomes are waiting: this one queues behind them, at once. They keep their
        # arrival order, and the database's writes go to draining them (in batches,
        # drain_after) instead of to outcomes overtaking them one by one.
        Outcome(outcome)  # an invalid outcome is refused (ValueError), never accepted
        return accept()
    try:
        visit, created = visit_record_once(
            citizen,
            outcome=outcome,
            day=day,
            acting_user=acting_user,
            reason=reason,
            note=note,
            client_id=client_id,
            recorded_on_phone=recorded_on_phone,
            received=received,
            wait=wait_seconds(),
        )
    except DatabaseBusyError:
        return accept()
    return Submitted(201 if created else 200, client_id, visit)


def drain_after[R: HttpResponseBase](response: R) -> R:
    """After `response` is sent (its close(), which the WSGI server calls once the
    client has it), write outcomes that wait in the inbox, for about
    OPPORTUNISTIC_SECONDS, if no other drain runs (the requests of outcomes keep the
    inbox moving even with no worker running). Never inside a caller's transaction (its
    rollback would undo visits whose entries are gone). Returns `response`."""

    def drain() -> None:
        if connection.in_atomic_block or not inbox_path().exists():
            return
        try:
            inbox_drain(seconds=OPPORTUNISTIC_SECONDS, wait=OPPORTUNISTIC_SECONDS)
        except Exception:  # someone else's outcome never fails this one's request
            logger.exception("field inbox: drain after an outcome failed")

    response._resource_closers.append(drain)  # type: ignore[attr-defined]  # noqa: SLF001
    return response


@dataclass
class Drained:
    """What a drain did: entries written (or found already written), entries that
    could not be applied (kept with their error), entries left (the database was
    busy, the bound was reached, or another drain runs)."""

    applied: int = 0
    failed: int = 0
    left: int = 0


@contextmanager
def _drain_turn() -> Iterator[bool]:
    """One drainer at a time, across processes; False when another one runs."""
    path = inbox_path().with_suffix(".drain-lock")
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def inbox_drain(
    *, limit: int | None = None, seconds: float | None = None, wait: float | None = None
) -> Drained:
    """Write the inbox's outcomes in arrival order, a batch per transaction (at most
    DRAIN_BATCH outcomes and about half a second holding the lock, so that outcomes
    written at once meanwhile stay under their bound), each entry removed once its
    visit is committed; at most `limit` entries and about `seconds` (None: all of
    those waiting when it starts; later ones are the next drain's).
    Stops, leaving the rest, when the database is busy past `wait` (None:
    settings.FIELD_WAIT_SECONDS). An entry that cannot be applied (its person
    deleted since, a conflicting id) is kept with its error and logged, never
    dropped."""
    result = Drained()
    if not inbox_path().exists():
        return result
    started = time.monotonic()
    bound = wait_seconds() if wait is None else wait
    with _drain_turn() as mine:
        if not mine:
            result.left = _count_ready()
            return result
        # Only what waits now: outcomes arriving meanwhile are the next drain's (a
        # drain that chased them could run as long as the writers keep writing).
        last = _last_seq()
        done = 0
        while limit is None or done < limit:
            if seconds is not None and time.monotonic() - started > seconds:
                break
            size = DRAIN_BATCH if limit is None else min(DRAIN_BATCH, limit - done)
            entries = _oldest(size, last)
            if not entries:
                break
            try:
                applied, failed = _apply(entries, bound)
            except DatabaseBusyError:
                break
            done += applied + failed
            result.applied += applied
            result.failed += failed
            if not applied and not failed:
                break  # nothing moved (cannot happen: the first is always taken)
        result.left = _count_ready()
    return result


def _oldest(n: int, last: int) -> list[Entry]:
    with _inbox(create=False) as db:
        if db is None:
            return []
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM inbox WHERE error = '' AND seq <= ?"  # noqa: S608
            " ORDER BY seq LIMIT ?",
            [last, n],
        ).fetchall()
        return [Entry.from_row(row) for row in rows]


def _last_seq() -> int:
    with _inbox(create=False) as db:
        if db is None:
            return 0
        return int(db.execute("SELECT coalesce(max(seq), 0) FROM inbox").fetchone()[0])


def _count_ready() -> int:
    with _inbox(create=False) as db:
        if db is None:
            return 0
        return int(db.execute("SELECT count(*) FROM inbox WHERE error = ''").fetchone()[0])


def _apply(entries: list[Entry], wait: float) -> tuple[int, int]:
    """Store the entries' visits in one transaction (or find them stored under their
    client_id), then remove them from the inbox; (applied, failed)."""
    citizens = Citizen.objects.in_bulk({e.citizen for e in entries})
    users = User.objects.in_bulk({e.user_id for e in entries if e.user_id})
    items: list[VisitItem] = []
    taken: list[Entry] = []
    failed = 0
    for entry in entries:
        citizen = citizens.get(entry.citizen)
        if citizen is None:
            _failed(entry, "the person is no longer in the database")
            failed += 1
            continue
        items.append(
            VisitItem(
                citizen=citizen,
                outcome=entry.outcome,
                day=entry.day,
                acting_user=users.get(entry.user_id) if entry.user_id else None,
                reason=entry.reason,
                note=entry.note,
                client_id=entry.client_id,
                # No phone time: it happened when the server received it.
                recorded_on_phone=entry.phone_time or entry.received,
                received=entry.received,
            )
        )
        taken.append(entry)
    if not items:
        return 0, failed
    results = visits_record_batch(items, wait=wait)
    done: list[Entry] = []
    for entry, outcome in zip(taken, results, strict=True):
        if outcome is None:
            continue  # not taken this time: the next batch
        if isinstance(outcome, IntegrityError):
            continue  # the same client_id written meanwhile: the next drain finds it
        if isinstance(outcome, Exception):
            _failed(entry, str(outcome))
            failed += 1
            continue
        done.append(entry)
    _remove(done)
    return len(done), failed


def _remove(entries: list[Entry]) -> None:
    if not entries:
        return
    with _inbox(create=False) as db:
        if db is not None:
            db.executemany("DELETE FROM inbox WHERE seq = ?", [[e.seq] for e in entries])


def _failed(entry: Entry, error: str) -> None:
    logger.error("field inbox: outcome %s could not be written: %s", entry.client_id, error)
    with _inbox(create=False) as db:
        if db is not None:
            db.execute(
                "UPDATE inbox SET error = ? WHERE seq = ?", [error[:500] or "error", entry.seq]
            )


def inbox_drain_quietly(*, seconds: float | None = None) -> Drained | None:
    """inbox_drain for the import job and the worker's heartbeat: an error is logged,
    never raised (the entries stay for the next drain)."""
    try:
        drained = inbox_drain(seconds=seconds)
    except Exception:
        logger.exception("field inbox: drain failed; the outcomes stay for the next one")
        return None
    if drained.applied or drained.failed:
        logger.info(
            "field inbox: %d outcome(s) written, %d could not be, %d left",
            drained.applied,
            drained.failed,
            drained.left,
        )
    return drained


# --- backup and restore (core.backup) ------------------------------------------------------------


def inbox_snapshot(target: Path) -> bool:
    """A consistent copy of the inbox at `target` (SQLite's online backup: the writers
    go on); False when this database has no inbox. core.backup takes it BEFORE the
    database's snapshot: an outcome drained in between is then in both, and the drain
    after a restore finds its visit under its client_id and only removes the entry. The
    other order could lose it (in neither)."""
    with _inbox(create=False) as db:
        if db is None:
            return False
        copy = sqlite3.connect(target)
        try:
            db.backup(copy)
        finally:
            copy.close()
    return True


def inbox_replace(source: Path | None, stamp: str) -> Path | None:
    """After a restore: this database's inbox becomes `source` (the backup's), or empty
    when the backup had none. Outcomes still waiting in the inbox it replaces belonged
    to the replaced data: they are copied beside it as `<inbox>.replaced-<stamp>`
    (returned), never dropped. Copied page by page into the live file (not renamed), so
    its WAL and any open connection stay right."""
    kept = None
    with _inbox(create=True) as db:
        assert db is not None  # noqa: S101 - create=True
        if db.execute("SELECT count(*) FROM inbox").fetchone()[0]:
            kept = inbox_path().with_name(f"{inbox_path().name}.replaced-{stamp}")
            copy = sqlite3.connect(kept)
            try:
                db.backup(copy)
            finally:
                copy.close()
        if source is not None:
            restored = sqlite3.connect(source)
            try:
                restored.backup(db)
            finally:
                restored.close()
            db.execute(_SCHEMA)
        else:
            db.execute("DELETE FROM inbox")
    return kept
