"""Staging and merging of the set-based imports (procedures.importing.bulk): on SQLite a
real import stages outside any transaction by ADBC into an attached scratch file; on
PostgreSQL the merge checks each foreign key once per distinct id instead of once per
row. Both must give exactly what the per-row paths give."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from chiendich.procedures.importing import bulk, dossiers_import
from chiendich.procedures.importing.bulk import Key, keys_checked_once
from chiendich.procedures.models import COUNT_FIELDS, Dossier, DossierCount
from chiendich.units.models import Unit

from .test_import_bulk import _check_one_by_one, _mixed_rows, _stored, _write

COLUMNS = [
    ("n", "integer"),
    ("big", "bigint"),
    ("day", "date"),
    ("flag", "boolean"),
    ("short", "varchar(12)"),
    ("long", "varchar(200)"),
]
SCHEMA = {
    "n": pl.Int64,
    "big": pl.Int64,
    "day": pl.Date,
    "flag": pl.Boolean,
    "short": pl.String,
    "long": pl.String,
}


def _frame() -> pl.DataFrame:
    texts = ["", None, "a", 'quo"te', "back\\slash", "Đã giải quyết", "x" * 200, " sp ", "\t\n"]
    n = len(texts)
    return pl.DataFrame(
        {
            "n": list(range(n)),
            "big": [None, 0, -5, 2**62, 7, 1, None, 3, 4],
            "day": [dt.date(2023, 1, d + 1) if d % 3 else None for d in range(n)],
            "flag": [True, False, None, True, True, False, None, False, True],
            "short": ["processing", "", "x", "ab", "a b", "z", "q", "Đ", "r"],
            "long": texts,
        },
        schema=SCHEMA,
    )


def _attached() -> set[str]:
    """The staging files still attached (none once a stage's block is left)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        return {name for _, name, _ in cursor.fetchall() if name.startswith(bulk.ATTACHED)}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_stage_gives_back_the_rows_put_in() -> None:
    frame = _frame()
    with bulk.Stage("test_stage", COLUMNS) as stage:
        # SQLite: the scratch file, attached; PostgreSQL: the temporary table (COPY).
        assert stage.attached == (connection.vendor == "sqlite")
        stage.put(frame.slice(0, 4))
        stage.put(frame.slice(0, 0))
        stage.put(frame.slice(4))
        with connection.cursor() as cursor:
            cursor.execute("SELECT n, big, day, flag, short, long FROM test_stage ORDER BY seq")
            got = cursor.fetchall()
        folder = stage._folder  # noqa: SLF001 - the scratch file's folder
    assert stage.rows == frame.height
    for row, expected in zip(got, frame.rows(), strict=True):
        n, big, day, flag, short, long = row
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        flag = None if flag is None else bool(flag)
        assert (n, big, day, flag, short, long) == expected
    # The table, the attachment and the file went with the block.
    with connection.cursor() as cursor, pytest.raises(DatabaseError):
        cursor.execute("SELECT 1 FROM test_stage")
    if connection.vendor == "sqlite":
        assert not _attached()
        assert folder is not None and not folder.exists()


@pytest.mark.django_db(transaction=True)
def test_two_stages_open_at_once_keep_apart() -> None:
    frame = _frame()
    with bulk.Stage("test_one", COLUMNS) as one, bulk.Stage("test_two", COLUMNS) as two:
        one.put(frame.slice(0, 3))
        two.put(frame.slice(3))
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM test_one")
            assert cursor.fetchone()[0] == 3
            cursor.execute("SELECT COUNT(*) FROM test_two")
            assert cursor.fetchone()[0] == frame.height - 3
    if connection.vendor == "sqlite":
        assert not _attached()


@pytest.mark.django_db(transaction=True)
def test_the_scratch_file_refuses_a_type_it_does_not_take() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's COPY takes any type")
    with pytest.raises(ValueError, match="unsupported"), bulk.Stage("t", [("x", "numeric")]):
        pass
    assert not _attached()


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each stage of the import was the attached file (SQLite) or not."""
    seen: list[bool] = []
    real = bulk.Stage.put

    def put(self: bulk.Stage, frame: pl.DataFrame) -> None:
        seen.append(self.attached)
        real(self, frame)

    monkeypatch.setattr(bulk.Stage, "put", put)
    yield seen


@pytest.mark.django_db(transaction=True)
def test_a_real_import_outside_a_transaction_writes_what_the_row_checker_passes(
    agencies: dict[str, Unit], catalogue: None, tmp_path: Path, spied: list[bool]
) -> None:
    rows = _mixed_rows(random.Random(5), 300)
    path = _write(tmp_path / "hon-hop.csv", rows)
    want_errors, want_valid = _check_one_by_one(path)
    assert len(want_valid) > 30

    report = dossiers_import(path, errors_path=tmp_path / "loi.xlsx")
    assert spied and all(s == (connection.vendor == "sqlite") for s in spied)
    assert report.errors == want_errors
    assert (report.rows_valid, report.created) == (len(want_valid), len(want_valid))
    assert _stored() == sorted(tuple(v[1:15]) for v in want_valid)
    by_code = dict(Dossier.objects.values_list("code", "id"))
    assert [by_code[v.code] for v in want_valid] == sorted(by_code.values())  # row order
    assert Dossier.objects.filter(batch_id=report.batch_id).count() == len(want_valid)
    assert DossierCount.objects.count() == report.count_rows > 0
    if connection.vendor == "sqlite":
        assert not _attached()

    # The same file again changes nothing; a changed row is updated through the stage.
    again = dossiers_import(path, errors_path=tmp_path / "loi.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(want_valid))
    changed = [
        [*r[:5], "", "11/09/2023", "Đã giải quyết", *r[8:]] if r[4] == "05/09/2023" else r
        for r in rows
    ]
    path = _write(tmp_path / "hon-hop-2.csv", changed)
    want_errors, want_valid = _check_one_by_one(path)
    report = dossiers_import(path, errors_path=tmp_path / "loi-2.xlsx")
    assert report.errors == want_errors
    assert report.updated > 0
    assert {tuple(v[1:15]) for v in want_valid} <= set(_stored())


# --- foreign keys checked once (PostgreSQL) -------------------------------------------------


def _role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return str(cursor.fetchone()[0])


@pytest.fixture
def staged_units(db: None, tien_giang: Unit) -> Iterator[str]:
    """A temporary table of unit ids: one that exists, and the SELECT of them."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE test_keys (unit_id bigint)")
        cursor.execute("INSERT INTO test_keys VALUES (%s), (%s)", [tien_giang.pk, tien_giang.pk])
    yield "SELECT DISTINCT unit_id FROM test_keys"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE test_keys")


STAFF_KEYS = "staff_staffmember", "agency_id", "units_unit"


def _unit_locks() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT mode FROM pg_locks WHERE pid = pg_backend_pid()"
            " AND relation = 'units_unit'::regclass"
        )
        return {m for (m,) in cursor.fetchall()}


def test_keys_are_checked_once_on_postgresql_only(staged_units: str) -> None:
    keys = [Key(*STAFF_KEYS, staged_units)]
    with transaction.atomic():
        held = _unit_locks() if connection.vendor == "postgresql" else set()
        with keys_checked_once(keys) as once:
            assert once == (connection.vendor == "postgresql")
            if once:
                assert _role() == "replica"
                # Row locks on the units only (FOR KEY SHARE, as each trigger takes):
                # no table lock that would keep pages from reading or writing units.
                taken = _unit_locks() - held
                assert taken == {"RowShareLock"}, taken
                strong = {"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock"}
                assert not _unit_locks() & (strong | {"AccessExclusiveLock"})
    if connection.vendor == "postgresql":
        with transaction.atomic():
            assert _role() == "origin"


def test_a_missing_key_is_refused_as_the_foreign_key_would(staged_units: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps its own per-row checks")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO test_keys VALUES (987654321)")
    keys = [Key(*STAFF_KEYS, staged_units)]
    with (
        pytest.raises(IntegrityError, match=r"Key \(agency_id\)=\(987654321\)"),
        transaction.atomic(),
        keys_checked_once(keys),
    ):
        pytest.fail("the block must not run")


def test_a_table_written_in_the_block_without_its_keys_declared_is_refused(
    staged_units: str, tien_giang: Unit
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    keys = [Key(*STAFF_KEYS, staged_units)]
    with (
        pytest.raises(IntegrityError, match="procedures_dossiercount written without"),
        transaction.atomic(),
        keys_checked_once(keys),
        connection.cursor() as cursor,
    ):
        # A count row: its keys (unit, procedure) are not among those declared.
        cursor.execute(
            "INSERT INTO procedures_dossiercount (unit_id, day, procedure_id, "  # noqa: S608
            + ", ".join(COUNT_FIELDS)
            + ") VALUES (%s, '2023-09-01', 424242, "
            + ", ".join(["0"] * len(COUNT_FIELDS))
            + ")",
            [tien_giang.pk],
        )
    assert not DossierCount.objects.exists()


@pytest.mark.parametrize(
    "keys",
    [
        # A foreign key of the table written left out: it would go unchecked.
        [Key("procedures_dossier", "unit_id", "units_unit", "SELECT 1")],
        # Declared wrong (another target).
        [Key("staff_staffmember", "agency_id", "procedures_procedure", "SELECT 1")],
    ],
)
def test_keys_not_matching_the_schema_keep_the_per_row_checks(
    staged_units: str, keys: list[Key]
) -> None:
    with transaction.atomic(), keys_checked_once(keys) as once:
        assert once is False
        if connection.vendor == "postgresql":
            assert _role() == "origin"


def test_outside_a_transaction_nothing_changes(staged_units: str) -> None:
    # pytest-django's test transaction is an atomic block: leave it to test the rule.
    keys = [Key(*STAFF_KEYS, staged_units)]
    in_block = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with keys_checked_once(keys) as once:
            assert once is False
    finally:
        connection.in_atomic_block = in_block
