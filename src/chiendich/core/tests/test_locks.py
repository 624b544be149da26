"""core.locks: every advisory lock of the project is taken in one way, held until the
transaction ends, and its keys cannot meet."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from chiendich.conftest import pg_session
from chiendich.core import locks

KEYS = {
    "VNEID_COUNTS": locks.VNEID_COUNTS,
    "VNEID_CHANGES": locks.VNEID_CHANGES,
    "TTHC_COUNTS": locks.TTHC_COUNTS,
    "STAFF_AGENCY": locks.STAFF_AGENCY,
}


def test_the_keys_are_distinct_and_fit_their_spaces() -> None:
    assert len(set(KEYS.values())) == len(KEYS)
    for name, key in KEYS.items():
        assert 0 < key < 2**63, name  # a bigint key
    assert locks.STAFF_AGENCY < 2**31  # also the first half of (int, int) keys


def _held() -> set[tuple[int, int, int, str]]:
    """This session's advisory locks: (classid, objid, objsubid, mode)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::bigint, objid::bigint, objsubid, mode FROM pg_locks"
            " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return {tuple(row) for row in cursor.fetchall()}  # type: ignore[misc]


@pytest.mark.django_db(transaction=True)
def test_a_lock_is_held_until_the_transaction_ends() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's writers take turns by the database lock")
    key = locks.TTHC_COUNTS
    with pg_session() as other:
        with transaction.atomic():
            locks.xact_lock(key)
            locks.xact_lock(locks.STAFF_AGENCY, 42, shared=True)
            # A bigint key is (high 32 bits, low 32 bits, 1); a pair is (key, item, 2).
            assert _held() == {
                (key >> 32, key & 0xFFFFFFFF, 1, "ExclusiveLock"),
                (locks.STAFF_AGENCY, 42, 2, "ShareLock"),
            }
            try_key = "SELECT pg_try_advisory_lock(%s::bigint)"
            assert other.execute(try_key, [key]).fetchone() == (False,)  # held here
            try_pair = "SELECT pg_try_advisory_lock_shared(%s::int, %s::int)"
            assert other.execute(try_pair, [locks.STAFF_AGENCY, 42]).fetchone() == (True,)
            other.execute(
                "SELECT pg_advisory_unlock_shared(%s::int, %s::int)", [locks.STAFF_AGENCY, 42]
            )
            # The same item under another space's number is another lock.
            assert other.execute(try_pair, [locks.STAFF_AGENCY + 1, 42]).fetchone() == (True,)
            other.execute("SELECT pg_advisory_unlock_all()")
        assert _held() == set()  # released by the commit
        assert other.execute("SELECT pg_try_advisory_lock(%s::bigint)", [key]).fetchone() == (True,)
        other.execute("SELECT pg_advisory_unlock_all()")


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused_on_postgresql_and_nothing_on_sqlite() -> None:
    if connection.vendor == "postgresql":
        # In autocommit the lock would end with its own statement: a silent no-op.
        with pytest.raises(RuntimeError, match="needs one"):
            locks.xact_lock(locks.VNEID_COUNTS)
    else:
        locks.xact_lock(locks.VNEID_COUNTS)  # SQLite: nothing to take
        with transaction.atomic():
            locks.xact_lock(locks.STAFF_AGENCY, 1, shared=True)
