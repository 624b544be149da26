"""A bulk load drops a table's indexes and foreign keys and puts back exactly the same,
checking every row; a failed load leaves the table and its schema as they were."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from chiendich.core.bulkload import loading, rows_insert
from chiendich.units.models import Unit
from chiendich.vneid.models import Citizen, Household

TABLES = [Household._meta.db_table, Citizen._meta.db_table]
COLUMNS = ["code", "commune_id", "unit_id", "head_name", "address"]


def schema() -> dict[str, Any]:
    """Every index and constraint of TABLES: names, columns, kinds, referenced tables."""
    with connection.cursor() as cursor:
        return {
            table: {
                name: (
                    tuple(c["columns"] or ()),
                    c["unique"],
                    c["index"],
                    c["primary_key"],
                    c["foreign_key"],
                )
                for name, c in connection.introspection.get_constraints(cursor, table).items()
            }
            for table in TABLES
        }


def test_a_load_puts_back_every_index_and_key(tien_giang: Unit) -> None:
    before = schema()
    assert any(c[4] for c in before[Household._meta.db_table].values()), "no foreign key?"
    assert any(c[2] and not c[1] for c in before[Citizen._meta.db_table].values()), "no index?"
    commune = Unit.objects.get(code="28249")
    rows = [(f"H{i:05d}", commune.pk, commune.pk, "", "") for i in range(2_000)]
    with transaction.atomic(), connection.cursor() as cursor, loading(cursor, TABLES):
        rows_insert(cursor, Household._meta.db_table, COLUMNS, rows)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid::regclass::text = ANY(%s)",
                [TABLES],
            )
            assert cursor.fetchone()[0] == 0, "the keys were not dropped during the load"
    assert schema() == before
    assert Household.objects.filter(unit=commune).count() == 2_000
    # The unique index is kept throughout: the same code again is refused.
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.cursor() as cursor,
        loading(cursor, TABLES),
    ):
        rows_insert(cursor, Household._meta.db_table, COLUMNS, rows[:1])
    assert schema() == before


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite checks deferred foreign keys only at the outermost commit, which a test "
    "inside a transaction never reaches",
)
def test_a_row_naming_a_missing_unit_is_refused_and_nothing_stays(tien_giang: Unit) -> None:
    before = schema()
    commune = Unit.objects.get(code="28249")
    missing = Unit.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    rows = [("H1", commune.pk, commune.pk, "", ""), ("H2", commune.pk, missing, "", "")]
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.cursor() as cursor,
        loading(cursor, TABLES),
    ):
        rows_insert(cursor, Household._meta.db_table, COLUMNS, rows)
    assert schema() == before
    assert not Household.objects.exists()


def test_loading_outside_a_transaction_is_refused(transactional_db: None) -> None:
    with (
        connection.cursor() as cursor,
        pytest.raises(RuntimeError, match="transaction"),
        loading(cursor, TABLES),
    ):
        pass


def test_a_scratch_folder_removes_those_of_killed_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import killed before it removed its scratch folder leaves it behind; the next
    scratch folder removes the folders of processes no longer running, and no other."""
    import subprocess
    import sys

    from chiendich.core import bulkload

    monkeypatch.setattr(bulkload.tempfile, "gettempdir", lambda: str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    dead = tmp_path / f"{bulkload.SCRATCH_PREFIX}{int(gone.stdout)}-stage-x"
    alive = tmp_path / f"{bulkload.SCRATCH_PREFIX}{os.getppid()}-stage-y"
    mine = tmp_path / f"{bulkload.SCRATCH_PREFIX}{os.getpid()}-stage-z"
    other = tmp_path / "someone-else-1"
    for folder in (dead, alive, mine, other):
        folder.mkdir()
        (folder / "staged.sqlite3").write_bytes(b"x" * 1000)
    new = bulkload.scratch_folder("police-list")
    assert new.is_dir() and new.parent == tmp_path
    assert new.name.startswith(f"{bulkload.SCRATCH_PREFIX}{os.getpid()}-police-list-")
    assert not dead.exists()
    assert alive.exists() and mine.exists() and other.exists()
