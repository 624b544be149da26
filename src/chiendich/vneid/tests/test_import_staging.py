"""A real police-list import stages its valid rows outside any transaction: on SQLite by
ADBC into a scratch file attached to the connection (core.bulkload.ScratchFile).
It must store exactly what the same import inside a transaction stores (there the
connection's TEMP tables, as before), and leave nothing attached and nothing on disk."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from chiendich.core.bulkload import SCRATCH_PREFIX, InsertKeys, ScratchFile
from chiendich.vneid.importing import citizens_import, writer
from chiendich.vneid.models import AccountEvent, Citizen, Household
from chiendich.vneid.tests.test_import import WriteFile, cccd, places  # noqa: F401
from chiendich.vneid.tests.test_import_frames import HEADER, rows

pytestmark = pytest.mark.django_db(transaction=True)


def stored() -> tuple[list[Any], ...]:
    """What the import wrote, without the ids (two runs give different ones)."""
    return (
        list(
            Citizen.objects.order_by("id").values_list(
                "id_number", "full_name", "birth_date", "sex", "phone", "commune_id",
                "unit_id", "household__code", "state", "state_date",
            )
        ),
        list(
            AccountEvent.objects.order_by("id").values_list(
                "citizen__id_number", "state", "date", "until", "source", "unit_id"
            )
        ),
        list(
            Household.objects.order_by("id").values_list(
                "code", "commune_id", "unit_id", "head_name", "address"
            )
        ),
    )  # fmt: skip


def attached() -> list[str]:
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        return [name for _, name, _ in cursor.fetchall() if name not in ("main", "temp")]


def scratch_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"))


def test_staged_outside_a_transaction_stores_what_the_temp_tables_store(
    places: None,  # noqa: F811
    write_file: WriteFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = [
        f"{cccd(1960, serial=900 + n)},Người {n},01/01/1960,Nam,28249,,,Khu phố 2,HK9{n % 3},"
        f",,,Đã kích hoạt mức 2,0{1 + n % 9}/09/2023"
        for n in range(40)
    ]
    path = write_file("ds.csv", "\ufeff" + "\n".join([HEADER, *rows(), *extra]) + "\n")
    put: list[str] = []
    real = ScratchFile.ingest

    def spy(self: ScratchFile, table: str, frame: Any) -> None:
        put.append(table)
        real(self, table, frame)

    monkeypatch.setattr(ScratchFile, "ingest", spy)
    before = scratch_folders()

    outside = citizens_import(path, errors_path=tmp_path / "a.xlsx")
    # SQLite staged through the scratch file; PostgreSQL by COPY, as always.
    assert bool(put) == (connection.vendor == "sqlite")
    assert set(put) <= {writer.STAGED, writer.STAGED_HOUSEHOLDS}
    assert attached() == [] and scratch_folders() == before
    got = stored()
    assert outside.created == len(got[0]) > 45
    assert outside.events_created == len(got[1]) > 40
    assert outside.households_created == len(got[2]) >= 5

    # The same list again, outside a transaction: everything is known, nothing new.
    again = citizens_import(path, errors_path=tmp_path / "b.xlsx")
    assert (again.created, again.events_created, again.households_created) == (0, 0, 0)
    assert stored() == got

    # Inside a transaction (the TEMP tables): the very same rows, errors and counts.
    AccountEvent.objects.all().delete()
    Citizen.objects.all().delete()
    Household.objects.all().delete()
    put.clear()
    with transaction.atomic():
        inside = citizens_import(path, errors_path=tmp_path / "c.xlsx")
    assert put == []
    assert stored() == got
    assert inside.errors == outside.errors
    assert (inside.rows_valid, inside.created, inside.events_created) == (
        outside.rows_valid,
        outside.created,
        outside.events_created,
    )


def test_postgresql_checks_the_inserted_keys_once_and_stores_what_the_triggers_store(
    places: None,  # noqa: F811
    write_file: WriteFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the households, citizens and events inserted have their keys checked
    once per distinct id (core.bulkload.InsertKeys) instead of by one trigger per row and
    key: the rows stored are those the triggers' path stores, a first list and a later one
    giving known citizens new states alike."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite checks its keys as it writes")

    def listed(state: str, day: int) -> list[str]:
        return [
            f"{cccd(1960, serial=900 + n)},Người {n},01/01/1960,Nam,28249,,,Khu phố 2,HK9{n % 3},"
            f",,,{state},{day:02d}/09/2023"
            for n in range(40)
        ]

    first = write_file(
        "ds.csv", "\ufeff" + "\n".join([HEADER, *rows(), *listed("Chưa đăng ký", 1)])
    )
    later = write_file("ds2.csv", "\ufeff" + "\n".join([HEADER, *listed("Đã kích hoạt mức 2", 9)]))
    inserted: list[str] = []
    real = InsertKeys.inserting

    def spy(self: InsertKeys, cursor: Any, table: str) -> Any:
        inserted.append(table)
        return real(self, cursor, table)

    monkeypatch.setattr(InsertKeys, "inserting", spy)
    a = citizens_import(first, errors_path=tmp_path / "a.xlsx")
    b = citizens_import(later, errors_path=tmp_path / "b.xlsx")
    assert {writer.HOUSEHOLD, writer.CITIZEN, writer.EVENT} <= set(inserted)
    assert b.events_created == 40  # each known citizen's new state, by COPY
    got = stored()
    assert len(got[0]) == a.created > 40 and len(got[1]) == a.events_created + 40

    # The same lists with the per-row triggers (a role that may not skip them).
    AccountEvent.objects.all().delete()
    Citizen.objects.all().delete()
    Household.objects.all().delete()
    inserted.clear()
    monkeypatch.setattr(InsertKeys, "for_tables", classmethod(lambda cls, cursor, tables: None))
    again = citizens_import(first, errors_path=tmp_path / "c.xlsx")
    citizens_import(later, errors_path=tmp_path / "d.xlsx")
    assert inserted == []
    assert stored() == got
    assert again.errors == a.errors
