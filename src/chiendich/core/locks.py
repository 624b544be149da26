"""Advisory locks held until the transaction ends (PostgreSQL), in one place.

Every key is here, so no two uses can share one by accident, and every holder takes its
lock the same way: inside a transaction (a transaction-level lock taken in autocommit
would be released as soon as it is granted) and before any row lock, so a holder never
waits for a lock while holding a row another holder waits for.

On SQLite there is nothing to do: its writers are serialized by the database lock
(every write transaction is IMMEDIATE).

Keys: PostgreSQL keeps one-bigint keys and (int, int) keys apart (`pg_locks.objsubid`
1 and 2), so a space of (int, int) keys cannot meet a bigint key.
"""

from __future__ import annotations

from django.db import connection

# Any numbers: they only have to be the same in every process.
VNEID_COUNTS = 0x63_68_69_65_6E_64_69_63  # "chiendic": VNeID recounts / in-place changes
VNEID_CHANGES = VNEID_COUNTS + 1  # in-place changes take turns (their log ids commit in order)
TTHC_COUNTS = 0x54_54_48_43_63_6E_74  # "TTHCcnt": TTHC rebuilds / imports adding differences
STAFF_AGENCY = 0x73_74_61_66  # "staf", with an agency's id: one staff-list import at a time


def xact_lock(key: int, item: int | None = None, *, shared: bool = False) -> None:
    """Wait for and take the advisory lock `key` (with `item`, the lock (key, item) of
    the space `key`, both 32-bit), exclusive or shared, until the transaction ends.
    Nothing on SQLite. Raises outside a transaction."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("an advisory lock held until the transaction ends needs one")
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        if item is None:
            cursor.execute(f"SELECT {function}(%s::bigint)", [key])
        else:
            cursor.execute(f"SELECT {function}(%s::int, %s::int)", [key, item])
