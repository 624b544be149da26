"""core.bulkload.InsertKeys: on PostgreSQL an INSERT's rows have their foreign keys
checked once per distinct id after the statement, instead of one trigger per row and
key, with the referenced rows locked as the triggers lock them. Anything else written
in the block is refused, and everywhere else nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from chiendich.conftest import COMMUNE_A
from chiendich.core.bulkload import InsertKeys
from chiendich.units.models import Unit
from chiendich.vneid.models import Citizen, Household

HOUSEHOLD = Household._meta.db_table
CITIZEN = Citizen._meta.db_table


def _role(cursor: Any) -> str:
    cursor.execute("SHOW session_replication_role")
    return str(cursor.fetchone()[0])


def _households(cursor: Any, *rows: tuple[str, int, int]) -> None:
    cursor.executemany(
        f"INSERT INTO {HOUSEHOLD} (code, commune_id, unit_id) VALUES (%s, %s, %s)",  # noqa: S608
        list(rows),
    )


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite checks its keys as it writes")


@pytest.mark.django_db
def test_the_inserted_rows_keys_are_checked_and_their_targets_locked(tien_giang: Unit) -> None:
    _postgresql_only()
    commune = Unit.objects.get(code=COMMUNE_A)
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmax::text FROM units_unit WHERE id = %s", [commune.pk])
        assert cursor.fetchone()[0] == "0"  # not locked yet
        keys = InsertKeys.for_tables(cursor, [HOUSEHOLD, CITIZEN])
        assert keys is not None
        assert ("unit_id", "units_unit", "id") in keys.keys[HOUSEHOLD]
        assert ("household_id", HOUSEHOLD, "id") in keys.keys[CITIZEN]
        with keys.inserting(cursor, HOUSEHOLD):
            assert _role(cursor) == "replica"  # the per-row triggers are off ...
            _households(cursor, ("H1", commune.pk, commune.pk), ("H2", commune.pk, commune.pk))
        assert _role(cursor) == "origin"  # ... for the block only
        # The unit both rows reference is locked FOR KEY SHARE (its xmax holds the lock):
        # no one may delete it or change its id until this transaction ends.
        cursor.execute("SELECT xmax::text FROM units_unit WHERE id = %s", [commune.pk])
        assert cursor.fetchone()[0] != "0"
        cursor.execute(
            "SELECT DISTINCT mode FROM pg_locks WHERE pid = pg_backend_pid()"
            " AND relation = 'units_unit'::regclass"
        )
        modes = {m for (m,) in cursor.fetchall()}
        assert not modes & {"ShareLock", "ExclusiveLock", "AccessExclusiveLock"}, modes
    assert sorted(Household.objects.values_list("code", flat=True)) == ["H1", "H2"]


@pytest.mark.django_db
def test_a_missing_key_is_refused_as_the_foreign_key_would(tien_giang: Unit) -> None:
    _postgresql_only()
    with connection.cursor() as cursor:
        keys = InsertKeys.for_tables(cursor, [HOUSEHOLD])
        assert keys is not None
        with (
            pytest.raises(
                IntegrityError,
                match=r'Key \(unit_id\)=\(987654321\) is not present in table "units_unit"',
            ),
            transaction.atomic(),
            keys.inserting(cursor, HOUSEHOLD),
        ):
            _households(
                cursor, ("H1", tien_giang.pk, tien_giang.pk), ("H2", tien_giang.pk, 987654321)
            )
        assert _role(cursor) == "origin"
    assert not Household.objects.exists()  # rolled back with its savepoint


def _household_moved(cursor: Any, unit: Unit) -> None:
    cursor.execute(f"UPDATE {HOUSEHOLD} SET unit_id = 987654321 WHERE code = 'H0'")  # noqa: S608


def _unit_renamed(cursor: Any, unit: Unit) -> None:
    Unit.objects.filter(pk=unit.pk).update(name="Tỉnh Mới")


@pytest.mark.django_db
@pytest.mark.parametrize("other_write", [_household_moved, _unit_renamed])
def test_a_block_writing_more_than_new_rows_is_refused(
    tien_giang: Unit, other_write: Callable[[Any, Unit], None]
) -> None:
    """An update of the table (it could move a key or a referenced id with no trigger to
    see it) or a write to another table, in the block: refused, all rolled back."""
    _postgresql_only()
    Household.objects.create(code="H0", commune=tien_giang, unit=tien_giang)
    with connection.cursor() as cursor:
        keys = InsertKeys.for_tables(cursor, [HOUSEHOLD, CITIZEN])
        assert keys is not None
        with (
            pytest.raises(IntegrityError, match="more than new rows of vneid_household"),
            transaction.atomic(),
            keys.inserting(cursor, HOUSEHOLD),
        ):
            _households(cursor, ("H1", tien_giang.pk, tien_giang.pk))
            other_write(cursor, tien_giang)
    assert list(Household.objects.values_list("code", "unit_id")) == [("H0", tien_giang.pk)]
    assert Unit.objects.get(pk=tien_giang.pk).name != "Tỉnh Mới"


@pytest.mark.django_db
def test_a_role_that_may_not_skip_triggers_keeps_them(tien_giang: Unit) -> None:
    _postgresql_only()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE chiendich_test_plain NOLOGIN")  # rolled back at the end
        cursor.execute("SET LOCAL ROLE chiendich_test_plain")
        assert InsertKeys.for_tables(cursor, [HOUSEHOLD]) is None
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_elsewhere_nothing_changes(tien_giang: Unit) -> None:
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assert InsertKeys.for_tables(cursor, [HOUSEHOLD]) is None
            return
        # Outside a transaction (pytest-django's test transaction is an atomic block).
        in_block = connection.in_atomic_block
        connection.in_atomic_block = False
        try:
            assert InsertKeys.for_tables(cursor, [HOUSEHOLD]) is None
        finally:
            connection.in_atomic_block = in_block
