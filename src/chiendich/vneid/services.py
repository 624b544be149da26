"""Writes to citizens' account histories.

Every path that adds account events (police-list imports, visits, officers'
entries, the demo simulation) ends with `events_relink`, which recomputes each
touched citizen's `until` chain and current state in two set-based statements,
so a late-arriving older event slots into the history correctly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from chiendich.accounts.models import AuditEvent, User
from chiendich.accounts.services import audit_event_record
from chiendich.core import clock
from chiendich.units.models import Level, Unit

from .counts import counts_citizen_follow, counts_lock
from .models import ELIGIBLE_AGE, AccountEvent, AccountState, Citizen, Flag, FlagKind, Source


def eligible_from(birth_date: dt.date) -> dt.date:
    """The day a citizen turns ELIGIBLE_AGE (29 February births turn on 1 March)."""
    try:
        return birth_date.replace(year=birth_date.year + ELIGIBLE_AGE)
    except ValueError:
        return dt.date(birth_date.year + ELIGIBLE_AGE, 3, 1)


def events_relink(citizens_sql: str = "", params: tuple[Any, ...] = ()) -> None:
    """Recompute `until`, the events' and flags' unit, and Citizen.state/state_date for
    the citizens selected by `citizens_sql` (a SELECT of citizen ids), or for everyone
    when it is empty.

    Runs inside the caller's transaction. Uses window functions and UPDATE ... FROM,
    which SQLite (3.33+) and PostgreSQL both have.
    """
    where = f"WHERE citizen_id IN ({citizens_sql})" if citizens_sql else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE vneid_accountevent SET until = n.next_date
            FROM (
                SELECT id, LEAD(date) OVER (PARTITION BY citizen_id ORDER BY date, id) AS next_date
                FROM vneid_accountevent {where}
            ) AS n
            WHERE vneid_accountevent.id = n.id
              AND vneid_accountevent.until IS DISTINCT FROM n.next_date
            """,  # noqa: S608 - `where` is built from our own SQL, values are parameters
            params,
        )
        # A citizen who moved takes their history along: counts follow the current unit.
        for table in ("vneid_accountevent", "vneid_flag"):
            cursor.execute(
                f"""
                UPDATE {table} SET unit_id = c.unit_id
                FROM vneid_citizen AS c
                WHERE c.id = {table}.citizen_id AND {table}.unit_id <> c.unit_id
                  {"AND " + table + ".citizen_id IN (" + citizens_sql + ")" if citizens_sql else ""}
                """,  # noqa: S608
                params,
            )
        citizen_where = f"AND vneid_citizen.id IN ({citizens_sql})" if citizens_sql else ""
        cursor.execute(
            f"""
            UPDATE vneid_citizen SET state = e.state, state_date = e.date
            FROM vneid_accountevent AS e
            WHERE e.citizen_id = vneid_citizen.id AND e.until IS NULL
              AND (vneid_citizen.state <> e.state OR vneid_citizen.state_date IS DISTINCT FROM e.date)
              {citizen_where}
            """,  # noqa: S608
            params,
        )


@transaction.atomic
def citizen_state_record(
    citizen: Citizen,
    *,
    state: AccountState | str,
    date: dt.date,
    source: Source | str,
    acting_user: User | None = None,
    note: str = "",
) -> AccountEvent | None:
    """Record that `citizen`'s account was in `state` on `date`.

    Returns the new event, or None when the history already says exactly that
    (same state on the same day), so repeating an entry changes nothing.
    """
    if date > clock.today():
        raise ValueError(f"ngày {date:%d/%m/%Y} ở tương lai")
    event, created = AccountEvent.objects.get_or_create(
        citizen=citizen,
        date=date,
        state=state,
        defaults={
            "source": source,
            "unit_id": citizen.unit_id,
            "recorded_by": acting_user,
            "note": note[:300],
        },
    )
    if not created:
        return None
    events_relink("SELECT %s", (citizen.pk,))
    citizen.refresh_from_db(fields=["state", "state_date"])
    return event


@transaction.atomic
def citizen_flag_set(
    citizen: Citizen,
    *,
    kind: FlagKind | str,
    date: dt.date,
    source: Source | str,
    reason: str = "",
    acting_user: User | None = None,
    note: str = "",
) -> Flag:
    """Flag `citizen` from `date` on (closing an open flag of the same kind first)."""
    if kind == FlagKind.NOT_ELIGIBLE and not reason:
        raise ValueError("cần lý do không đủ điều kiện")
    Flag.objects.filter(citizen=citizen, kind=kind, until__isnull=True, date__lt=date).update(
        until=date
    )
    flag, _ = Flag.objects.get_or_create(
        citizen=citizen,
        kind=kind,
        date=date,
        until=None,
        defaults={
            "reason": reason,
            "source": source,
            "unit_id": citizen.unit_id,
            "recorded_by": acting_user,
            "note": note[:300],
        },
    )
    return flag


@transaction.atomic
def citizen_flag_clear(citizen: Citizen, *, kind: FlagKind | str, date: dt.date) -> int:
    """End `citizen`'s open flag of `kind` on `date` (exclusive). Returns flags closed."""
    return Flag.objects.filter(
        citizen=citizen, kind=kind, until__isnull=True, date__lte=date
    ).update(until=date)


class PlaceError(ValueError):
    """A citizen who cannot be put in that hamlet."""


@transaction.atomic
def citizen_place(citizen: Citizen, hamlet: Unit, *, acting_user: User | None) -> Citizen:
    """Give a citizen recorded without a hamlet (their `unit` is the commune) one of that
    commune's hamlets, as an officer read it off the household register.

    Why a write of its own: a police list without a hamlet leaves the citizen on the
    commune, and a commune split across several new ones counts such a citizen only
    for the new province; placed in a hamlet (that an officer assigned to a new
    commune), the citizen and their history count for that commune. The hamlet is
    inside the same commune, so the commune's own totals do not move: its counts
    pass from the commune row to the hamlet row. The household follows when it has
    no hamlet either; a household already in another hamlet refuses the move rather
    than split a family across hamlets by guess. Events and flags take the new unit
    (events_relink), the citizen's share of the daily counts moves from one unit to
    the other, and the move is audited (RECORD_PLACED).
    """
    counts_lock(shared=True)  # before any row lock, as every writer of counts does
    # Lock the citizen row only (PostgreSQL refuses FOR UPDATE across the nullable
    # household join): a concurrent outcome or placement for the person waits its turn.
    citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
    commune = citizen.unit
    if commune.level == Level.HAMLET:
        raise PlaceError(f"{citizen.full_name} đã ở {commune.name}")
    if hamlet.level != Level.HAMLET or hamlet.parent_id != commune.pk:
        raise PlaceError(f"{hamlet.name} không phải ấp/khu phố của {commune.name}")
    household = citizen.household
    household_moved = False
    if household is not None and household.unit_id != hamlet.pk:
        if household.unit_id != commune.pk:
            raise PlaceError(
                f"hộ {household.code} ở ấp/khu phố khác ({household.unit}): chọn ấp/khu phố đó"
            )
        household.unit = hamlet
        household.save(update_fields=["unit"])
        household_moved = True
    with counts_citizen_follow(citizen.pk, since=None):
        Citizen.objects.filter(pk=citizen.pk).update(unit=hamlet, updated_at=timezone.now())
        citizen.unit = hamlet
        events_relink("SELECT %s", (citizen.pk,))
    audit_event_record(
        AuditEvent.Type.RECORD_PLACED,
        user=acting_user,
        unit=hamlet,
        obj=citizen,
        before=commune.code,
        after=hamlet.code,
        household=household.code if household_moved and household else None,
    )
    return citizen
